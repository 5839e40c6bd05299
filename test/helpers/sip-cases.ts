/**
 * SIP cases played by sipp against any SIP target (the example proxy or Kamailio), one sipp run
 * per scenario file, one call per case, and the final status of each case read back from the
 * scenario's `ANSWER;index;status;retry-after` log lines. Plus a sipp callee that registered
 * users' calls reach. Scenarios: test/helpers/sip-proxy/*.xml.
 *
 * Every sipp binds loopback only: `-i` (the case's source address, 127.0.0.0/8), `-mi` and `-ci`
 * 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgetDir, killOnExit, removeOnExit } from './exit-cleanup.js';
import { findBinary } from './services.js';
import { waitForSipAnswer } from './sip-probe.js';
import { freeSippMediaPort } from './sipp-media-port.js';

/** Directory of the scenarios and the Kamailio cfg template. */
export const SIP_PROXY_HELPER_DIR: string = fileURLToPath(new URL('./sip-proxy/', import.meta.url));

/** Where requests go. */
export interface SipTarget {
  readonly host: string;
  readonly port: number;
}

/** A REGISTER with digest credentials (realm = domain). */
export interface RegisterCase {
  readonly kind: 'REGISTER';
  /** From and To user. */
  readonly user: string;
  readonly domain: string;
  /** The digest username (`user` or `user@domain`). */
  readonly authUser: string;
  readonly password: string;
  /** Contact to bind. @default sip:USER@127.0.0.1:9 */
  readonly contact?: string;
  /** Expires. @default 0 (authentication only; nothing stays bound) */
  readonly expires?: number;
}

/** An INVITE (answered calls are hung up), MESSAGE or OPTIONS from `from` to `to`. */
export interface RequestCase {
  readonly kind: 'INVITE' | 'MESSAGE' | 'OPTIONS';
  readonly from: string;
  readonly domain: string;
  readonly to: string;
  /** Credentials sent if challenged. */
  readonly authUser: string;
  readonly password: string;
}

export type SipCase = RegisterCase | RequestCase;

/** The final answer to one case. */
export interface CaseResult {
  readonly status: number;
  /** The Retry-After of a 503. */
  readonly retryAfter: number | undefined;
}

/** How to play cases. */
export interface PlayOptions {
  /** Source address (127.0.0.0/8). @default 127.0.0.1 */
  readonly localIp?: string;
  /** Calls per second. @default 50 */
  readonly rate?: number;
  /** Deadline of one sipp run. @default 60000 */
  readonly timeoutMs?: number;
}

const SAFE = /^[A-Za-z0-9._~@:=!*()+-]+$/;

function sippBinary(): string {
  const sipp = findBinary('sipp');
  if (sipp === undefined) throw new Error('"sipp" is not installed; install the Debian package "sip-tester"');
  return sipp;
}

/** A UDP port free on `ip` (bound to 0, then released). */
export function freeUdpPortOn(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: ip, port: 0, exclusive: true }, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** The loopback-only address arguments of every sipp run. */
export async function sippLoopbackArgs(localIp: string): Promise<string[]> {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(localIp)) throw new Error(`sipp binds loopback only, not ${localIp}`);
  return ['-i', localIp, '-p', String(await freeUdpPortOn(localIp)), '-mi', '127.0.0.1', '-mp', String(await freeSippMediaPort()), '-ci', '127.0.0.1', '-cp', String(await freeUdpPortOn('127.0.0.1'))];
}

function row(index: number, c: SipCase): string[] {
  const auth = `[authentication username=${c.authUser} password=${c.password}]`;
  const fields =
    c.kind === 'REGISTER'
      ? [String(index), c.user, c.domain, auth, c.contact ?? `sip:${c.user}@127.0.0.1:9`, String(c.expires ?? 0)]
      : [String(index), c.from, c.domain, c.to, auth];
  for (const field of [c.kind === 'REGISTER' ? c.user : c.from, c.domain, c.authUser, c.password]) {
    if (!SAFE.test(field)) throw new Error(`sip case field ${JSON.stringify(field)} is not URI/CSV-safe`);
  }
  return fields;
}

async function scenarioFile(dir: string, kind: SipCase['kind']): Promise<string> {
  if (kind === 'REGISTER') return path.join(SIP_PROXY_HELPER_DIR, 'register.xml');
  if (kind === 'INVITE') return path.join(SIP_PROXY_HELPER_DIR, 'invite.xml');
  const file = path.join(dir, `${kind}.xml`);
  await writeFile(file, (await readFile(path.join(SIP_PROXY_HELPER_DIR, 'request.xml.tmpl'), 'utf8')).replaceAll('{{METHOD}}', kind));
  return file;
}

/** Plays every case against `target` (one sipp run per kind) and returns their answers in order. */
export async function playCases(target: SipTarget, cases: readonly SipCase[], options: PlayOptions = {}): Promise<CaseResult[]> {
  const results = new Map<number, CaseResult>();
  for (const kind of ['REGISTER', 'INVITE', 'MESSAGE', 'OPTIONS'] as const) {
    const indexes = cases.flatMap((c, i) => (c.kind === kind ? [i] : []));
    if (indexes.length > 0) for (const [i, r] of await runSipp(target, kind, indexes.map((i) => [i, cases[i]!] as const), options)) results.set(i, r);
  }
  return cases.map((c, i) => {
    const result = results.get(i);
    if (!result) throw new Error(`case ${i} ${JSON.stringify(c)} has no answer`);
    return result;
  });
}

async function runSipp(target: SipTarget, kind: SipCase['kind'], cases: readonly (readonly [number, SipCase])[], options: PlayOptions): Promise<Map<number, CaseResult>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `authring-sip-${kind}-`));
  try {
    const csv = path.join(dir, 'cases.csv');
    await writeFile(csv, ['SEQUENTIAL', ...cases.map(([i, c]) => `${row(i, c).join(';')};`)].join('\n') + '\n');
    const logFile = path.join(dir, 'answers.log');
    const timeoutMs = options.timeoutMs ?? 60_000;
    const args = [
      `${target.host}:${target.port}`,
      '-sf', await scenarioFile(dir, kind),
      '-inf', csv,
      '-m', String(cases.length),
      '-r', String(options.rate ?? 50),
      '-l', '20',
      ...(await sippLoopbackArgs(options.localIp ?? '127.0.0.1')),
      '-nostdin',
      '-trace_logs', '-log_file', logFile,
      '-trace_msg', '-message_file', path.join(dir, 'messages.log'),
      '-trace_err', '-error_file', path.join(dir, 'errors.log'),
      '-recv_timeout', '10000',
      '-timeout', `${Math.ceil(timeoutMs / 1000)}s`,
    ];
    const exit = await runToEnd(spawn(sippBinary(), args, { cwd: dir, stdio: 'ignore' }), timeoutMs + 5000);
    const answers = new Map<number, CaseResult>();
    const log = await readFile(logFile, 'utf8').catch(() => '');
    for (const match of log.matchAll(/^ANSWER;(\d+);(\d{3});?(\d*)/gm)) {
      answers.set(Number(match[1]), { status: Number(match[2]), retryAfter: match[3] ? Number(match[3]) : undefined });
    }
    const missing = cases.filter(([i]) => !answers.has(i));
    if (missing.length > 0) {
      const tail = async (file: string): Promise<string> => (await readFile(path.join(dir, file), 'utf8').catch(() => '')).split('\n').slice(-60).join('\n');
      throw new Error(
        `sipp ${kind} (${exit}): ${missing.length} of ${cases.length} cases got no answer, e.g. ${JSON.stringify(missing[0])}\n` +
          `--- errors ---\n${await tail('errors.log')}\n--- messages ---\n${await tail('messages.log')}`,
      );
    }
    return answers;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runToEnd(child: ChildProcess, killAfterMs: number): Promise<string> {
  const forget = killOnExit(() => child.kill('SIGKILL'));
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) => {
    child.once('error', (error) => resolve(`spawn error: ${error.message}`));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      forget();
      resolve(signal ? `signal ${signal}` : `exit code ${String(code)}`);
    });
  });
}

/** A sipp callee (test/helpers/sip-proxy/uas.xml) on 127.0.0.1 answering INVITE, MESSAGE and OPTIONS. */
export class SippCallee {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** Its UDP port on 127.0.0.1. */
    readonly port: number,
    private readonly exited: Promise<string>,
  ) {}

  /**
   * Starts it and waits until it answers. It quits by itself after `lifetimeS` (sipp's global
   * `-timeout`), so a callee orphaned by a killed test run does not answer forever.
   */
  static async start(lifetimeS = 900): Promise<SippCallee> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'authring-callee-'));
    removeOnExit(dir);
    const loopback = await sippLoopbackArgs('127.0.0.1');
    const port = Number(loopback[3]);
    const child = spawn(sippBinary(), ['-sf', path.join(SIP_PROXY_HELPER_DIR, 'uas.xml'), ...loopback, '-nostdin', '-timeout', `${lifetimeS}s`, '-trace_err', '-error_file', path.join(dir, 'errors.log')], { cwd: dir, stdio: 'ignore' });
    let alive = true;
    const exited = runToEnd(child, 24 * 3600_000).finally(() => (alive = false));
    const callee = new SippCallee(child, dir, port, exited);
    try {
      await waitForSipAnswer('127.0.0.1', port, 10_000, () => alive);
    } catch (error) {
      await callee.stop();
      throw error;
    }
    return callee;
  }

  /** The Contact URI of `user` at this callee. */
  contact(user: string): string {
    return `sip:${user}@127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
    await rm(this.dir, { recursive: true, force: true });
    forgetDir(this.dir);
  }
}
