/**
 * Test helpers for the real services authring's tests talk to: memcached and nutcracker
 * (twemproxy) processes started per test on free loopback ports, plus the long-running
 * services that `scripts/services.sh` brings up (memcached on 11311.., MariaDB on 3306).
 *
 * Outside CI a test whose binary or service is missing is skipped
 * (`describe.skipIf(!needBinary('nutcracker'))`); with `CI=true` it fails instead, with a
 * message saying what to install, so a broken CI machine cannot pass by skipping everything.
 *
 * Everything listens on 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { canConnect } from '../../tools/tcp.js';
import { killOnExit, removeOnExit } from './exit-cleanup.js';
import os from 'node:os';
import path from 'node:path';

/** True when running under CI (`CI=true`): missing binaries/services fail tests instead of skipping them. */
export const IN_CI: boolean = process.env.CI === 'true';

/** Directories searched besides `PATH` (sbin is often missing from a non-root user's PATH). */
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/bin'];

/** The Debian package that provides each binary the tests may need. */
const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  memcached: 'memcached',
  nutcracker: 'nutcracker',
  kamailio: 'kamailio',
  sipp: 'sip-tester',
  mysql: 'mariadb-client',
  mariadb: 'mariadb-client',
  mariadbd: 'mariadb-server',
  cc: 'build-essential',
  gcc: 'build-essential',
  'pkg-config': 'pkg-config',
};

/** The loopback address every helper binds and connects to. */
const LOOPBACK = '127.0.0.1';

/**
 * Finds an executable by name on `PATH` or in /usr/sbin, /usr/bin, /usr/local/bin.
 *
 * @param name a bare command name such as `memcached`.
 * @returns its absolute path, or `undefined` when it is not installed.
 */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether an executable is installed (on `PATH` or in /usr/sbin, /usr/bin, /usr/local/bin).
 *
 * @param name a bare command name such as `nutcracker`.
 */
export function hasBinary(name: string): boolean {
  return findBinary(name) !== undefined;
}

/**
 * Gate for tests that need a binary: `describe.skipIf(!needBinary('nutcracker'))(...)`.
 *
 * @param name a bare command name such as `nutcracker`.
 * @returns true when the binary is installed; false when it is missing outside CI (skip).
 * @throws Error when it is missing and {@link IN_CI} is true, naming the Debian package
 *   to install.
 */
export function needBinary(name: string): boolean {
  if (hasBinary(name)) return true;
  if (!IN_CI) return false;
  const pkg = DEBIAN_PACKAGE[name] ?? name;
  throw new Error(
    `Required binary "${name}" is not installed (CI=true, so this fails instead of skipping). ` +
      `Install the Debian package "${pkg}": \`bash scripts/services.sh --interop\` installs it ` +
      `(npm test runs that as its pretest step).`,
  );
}


/**
 * Gate for tests that need a running service: `describe.skipIf(!(await needTcp(...)))`.
 *
 * @param host address to connect to (use loopback).
 * @param port TCP port.
 * @param what human-readable name for the message, e.g. `'MariaDB'`.
 * @returns true when something accepts connections there; false outside CI when not (skip).
 * @throws Error when nothing listens and {@link IN_CI} is true.
 */
export async function needTcp(host: string, port: number, what: string): Promise<boolean> {
  if (await canConnect(host, port, 2000)) return true;
  if (!IN_CI) return false;
  throw new Error(
    `${what} is not reachable on ${host}:${port} (CI=true, so this fails instead of skipping). ` +
      `Start it with \`bash scripts/services.sh --interop\` (npm test runs that as its pretest step).`,
  );
}

/**
 * Asks the OS for a currently free TCP port on 127.0.0.1 (listens on port 0, then closes).
 * Another process could take it before you use it; in practice that is rare.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: server has no TCP address'));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until something accepts TCP connections on `host:port`.
 *
 * @param port TCP port.
 * @param host defaults to 127.0.0.1.
 * @param timeoutMs how long to keep trying; defaults to 5000.
 * @throws Error when nothing accepts within `timeoutMs`.
 */
export async function waitForPort(port: number, host = LOOPBACK, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    if (await canConnect(host, port, Math.min(1000, left))) return;
    await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
  }
  throw new Error(`Nothing accepted connections on ${host}:${port} within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------
// Child process bookkeeping
// ---------------------------------------------------------------------------------------

const MAX_OUTPUT = 16 * 1024;

/** One spawned child: its exit promise and the tail of its stdout+stderr. */
class Supervised {
  readonly exited: Promise<void>;
  private outputText = '';
  private hasExited = false;
  private exitDescription = '';

  constructor(readonly child: ChildProcess) {
    const forget = killOnExit(() => child.kill('SIGKILL')); // SIGKILL also ends a SIGSTOPped child
    const collect = (chunk: Buffer): void => {
      this.outputText = (this.outputText + chunk.toString('utf8')).slice(-MAX_OUTPUT);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      const finish = (description: string): void => {
        if (this.hasExited) return;
        this.hasExited = true;
        this.exitDescription = description;
        forget();
        resolve();
      };
      child.once('exit', (code, signal) => finish(signal ? `signal ${signal}` : `exit code ${String(code)}`));
      child.once('error', (error) => finish(`spawn error: ${error.message}`));
    });
  }

  get alive(): boolean {
    return !this.hasExited;
  }

  get output(): string {
    return this.outputText;
  }

  get howExited(): string {
    return this.exitDescription;
  }

  /** Sends a signal; false if the process is gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.hasExited) return false;
    try {
      return this.child.kill(signal);
    } catch {
      return false;
    }
  }

  /** Resolves true when the process exits within `ms`, false otherwise. */
  async waitExit(ms: number): Promise<boolean> {
    if (this.hasExited) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** SIGCONT (in case it is paused), SIGTERM, then SIGKILL after `graceMs`. */
  async terminate(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    if (await this.waitExit(graceMs)) return;
    await this.forceKill();
  }

  /** SIGKILL and wait for the exit. */
  async forceKill(): Promise<void> {
    if (!this.alive) return;
    this.signal('SIGKILL');
    if (!(await this.waitExit(5000))) {
      throw new Error(`pid ${String(this.child.pid)} did not exit after SIGKILL`);
    }
  }
}

/**
 * Waits until the child accepts connections on `port`, failing early if it exits first.
 *
 * @throws Error with the child's output when it exits or does not listen within `timeoutMs`.
 */
async function waitForListen(
  proc: Supervised,
  what: string,
  host: string,
  port: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.alive) {
      throw new Error(`${what} exited (${proc.howExited}) before listening on ${host}:${port}:\n${proc.output}`);
    }
    if (await canConnect(host, port, 500)) return;
    await sleep(25);
  }
  await proc.forceKill();
  throw new Error(`${what} did not listen on ${host}:${port} within ${timeoutMs} ms:\n${proc.output}`);
}

/**
 * Throws if something already accepts connections on `host:port`; otherwise waiting for
 * the port would mistake that listener for the process being started.
 */
async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (await canConnect(host, port, 500)) {
    throw new Error(`cannot start ${what} on ${host}:${port}: something already listens there`);
  }
}

function requireBinary(name: string): string {
  const found = findBinary(name);
  if (found === undefined) {
    const pkg = DEBIAN_PACKAGE[name] ?? name;
    throw new Error(`"${name}" is not installed; install the Debian package "${pkg}" (bash scripts/services.sh --interop)`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// memcached
// ---------------------------------------------------------------------------------------

/** Options for {@link MemcachedProcess.start}. */
export interface MemcachedOptions {
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Cache size in megabytes (`-m`); 64 when omitted. */
  memoryMb?: number;
  /** More arguments, e.g. `-S` (SASL) or `-Z -o ssl_chain_cert=…` (TLS). */
  extraArgs?: readonly string[];
  /** More environment variables, e.g. `SASL_CONF_PATH`. */
  env?: Readonly<Record<string, string>>;
}

/**
 * A memcached server run as a child process of the test (not daemonized) on 127.0.0.1,
 * which a test can stop, kill, restart on the same port, and pause (SIGSTOP: it still
 * accepts TCP connections but never answers, for timeout tests).
 */
export class MemcachedProcess {
  /** TCP port it listens on (127.0.0.1 only). */
  readonly port: number;
  /** `127.0.0.1:PORT`, the form cluster clients take. */
  readonly address: string;
  private readonly memoryMb: number;
  private proc: Supervised | undefined;
  private paused = false;

  private constructor(
    port: number,
    memoryMb: number,
    private readonly extra: Pick<MemcachedOptions, 'extraArgs' | 'env'> = {},
  ) {
    this.port = port;
    this.address = `${LOOPBACK}:${port}`;
    this.memoryMb = memoryMb;
  }

  /**
   * Spawns `memcached -l 127.0.0.1 -p PORT -U 0 -m MB` (plus `-u root` when running as
   * root) and resolves once it accepts connections.
   *
   * @throws Error when memcached is not installed or does not come up (with its output).
   */
  static async start(opts: MemcachedOptions = {}): Promise<MemcachedProcess> {
    // A port found free can be taken by another test's process before memcached binds it: with no
    // port asked for, a start that does not come up is tried again on another port.
    for (let attempt = 1; ; attempt++) {
      const server = new MemcachedProcess(opts.port ?? (await freePort()), opts.memoryMb ?? 64, opts);
      try {
        await server.spawn();
        return server;
      } catch (error) {
        await server.stop().catch(() => undefined);
        if (opts.port !== undefined || attempt >= 5) throw error;
      }
    }
  }

  /** True while the process is alive (also while paused). */
  get running(): boolean {
    return this.proc?.alive ?? false;
  }

  /** The process id of the current memcached, if running. */
  get pid(): number | undefined {
    return this.running ? this.proc?.child.pid : undefined;
  }

  private async spawn(): Promise<void> {
    const binary = requireBinary('memcached');
    await assertPortFree(LOOPBACK, this.port, 'memcached');
    const args = ['-l', LOOPBACK, '-p', String(this.port), '-U', '0', '-m', String(this.memoryMb)];
    if (process.getuid?.() === 0) args.push('-u', 'root');
    args.push(...(this.extra.extraArgs ?? []));
    const env = this.extra.env === undefined ? undefined : { ...process.env, ...this.extra.env };
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const proc = new Supervised(child);
    this.proc = proc;
    this.paused = false;
    await waitForListen(proc, `memcached (${binary} ${args.join(' ')})`, LOOPBACK, this.port);
  }

  /** SIGTERM (after SIGCONT if paused), then waits for the exit; SIGKILL after 5 s. */
  async stop(): Promise<void> {
    await this.proc?.terminate();
    this.paused = false;
  }

  /** SIGKILL, then waits for the exit: a crash, as far as clients can tell. */
  async kill(): Promise<void> {
    await this.proc?.forceKill();
    this.paused = false;
  }

  /**
   * Starts memcached again on the same port (stopping it first if it still runs) and
   * waits until it accepts connections. The cache starts empty.
   */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.spawn();
  }

  /** SIGSTOP: the kernel still accepts connections, but no request is ever answered. */
  async pause(): Promise<void> {
    if (!this.proc?.alive) throw new Error(`memcached on ${this.address} is not running`);
    this.proc.signal('SIGSTOP');
    this.paused = true;
    await this.untilStopped(true);
  }

  /** SIGCONT: answers again, including requests sent while paused. */
  async resume(): Promise<void> {
    if (!this.proc?.alive) throw new Error(`memcached on ${this.address} is not running`);
    this.proc.signal('SIGCONT');
    this.paused = false;
    await this.untilStopped(false);
  }

  /** Waits until the kernel reports the process stopped (state T), or running again. */
  private async untilStopped(stopped: boolean): Promise<void> {
    const pid = this.proc?.child.pid;
    const deadline = Date.now() + 10_000;
    for (;;) {
      let state: string | undefined;
      try {
        // /proc/PID/stat: "pid (comm) S …"; comm may hold spaces, so read after the last ')'.
        const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      } catch {
        return; // gone: nothing left to wait for
      }
      if ((state === 'T') === stopped) return;
      if (Date.now() > deadline) throw new Error(`memcached pid ${String(pid)} is in state ${state}, not ${stopped ? 'stopped' : 'running'}`);
      await sleep(2);
    }
  }

  /** Whether {@link pause} is in effect. */
  get isPaused(): boolean {
    return this.paused && this.running;
  }
}

// ---------------------------------------------------------------------------------------
// nutcracker (twemproxy)
// ---------------------------------------------------------------------------------------

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[?::1\]?)$/;

/** `host:port` from every `listen:` line of a nutcracker YAML config. */
function parseListenAddresses(yaml: string): { host: string; port: number }[] {
  const result: { host: string; port: number }[] = [];
  for (const match of yaml.matchAll(/^\s*listen:\s*["']?([^\s"']+)/gm)) {
    const value = match[1] ?? '';
    const colon = value.lastIndexOf(':');
    const port = Number(value.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port) || port <= 0) {
      throw new Error(`NutcrackerProcess supports only host:port listen addresses, got "${value}"`);
    }
    const host = value.slice(0, colon);
    if (!LOOPBACK_HOST.test(host)) {
      throw new Error(`NutcrackerProcess: listen address "${value}" is not a loopback address`);
    }
    result.push({ host: host === 'localhost' ? LOOPBACK : host.replace(/^\[|\]$/g, ''), port });
  }
  if (result.length === 0) throw new Error('NutcrackerProcess: the config has no "listen: host:port" line');
  return result;
}

/**
 * A nutcracker (twemproxy) proxy run as a child process from a YAML config, for
 * interop tests; its stats port is a free loopback port (not the default 22222 on 0.0.0.0).
 */
export class NutcrackerProcess {
  /** The first pool's listen port. */
  readonly port: number;
  /** The first pool's listen address, `host:port`. */
  readonly address: string;
  /** Every pool's listen port, in config order. */
  readonly listenPorts: readonly number[];
  /** The stats port (`-s`), bound to 127.0.0.1. */
  readonly statsPort: number;
  /** Path of the YAML config written for this process. */
  readonly configPath: string;
  /** Path of the log file (`-o`, verbosity 5). */
  readonly logPath: string;
  private readonly proc: Supervised;

  private constructor(
    proc: Supervised,
    listen: { host: string; port: number }[],
    statsPort: number,
    configPath: string,
    logPath: string,
  ) {
    const first = listen[0];
    if (first === undefined) throw new Error('NutcrackerProcess: no listen address');
    this.proc = proc;
    this.port = first.port;
    this.address = `${first.host.includes(':') ? `[${first.host}]` : first.host}:${first.port}`;
    this.listenPorts = listen.map((l) => l.port);
    this.statsPort = statsPort;
    this.configPath = configPath;
    this.logPath = logPath;
  }

  /**
   * Writes `yaml` to a temp dir, checks it with `nutcracker -t`, then runs
   * `nutcracker -c FILE -s STATSPORT -a 127.0.0.1 -o LOG -v 5` and waits until every
   * `listen:` port accepts connections.
   *
   * @param yaml a complete nutcracker config; its `listen:` addresses must be loopback host:port.
   * @throws Error when nutcracker is missing, the config test fails (with its output), or
   *   the proxy does not come up (with its log).
   */
  static async start(yaml: string): Promise<NutcrackerProcess> {
    const binary = requireBinary('nutcracker');
    const listen = parseListenAddresses(yaml);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'authring-nutcracker-'));
    removeOnExit(dir);
    const configPath = path.join(dir, 'nutcracker.yml');
    const logPath = path.join(dir, 'nutcracker.log');
    await writeFile(configPath, yaml, 'utf8');

    const check = spawnSync(binary, ['-t', '-c', configPath], { encoding: 'utf8', timeout: 10_000 });
    if (check.error !== undefined || check.status !== 0) {
      const output = `${check.stdout ?? ''}${check.stderr ?? ''}`.trim();
      throw new Error(
        `nutcracker -t rejected the config (${check.error?.message ?? `exit code ${String(check.status)}`}):\n` +
          `${output}\n--- ${configPath} ---\n${yaml}`,
      );
    }

    const statsPort = await freePort();
    const args = [
      '-c', configPath,
      '-s', String(statsPort),
      '-a', LOOPBACK,
      '-o', logPath,
      '-p', path.join(dir, 'nutcracker.pid'),
      '-v', '5',
    ];
    for (const { host, port } of listen) await assertPortFree(host, port, 'nutcracker');
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new Supervised(child);
    const server = new NutcrackerProcess(proc, listen, statsPort, configPath, logPath);
    try {
      for (const { host, port } of listen) {
        await waitForListen(proc, 'nutcracker', host, port);
      }
    } catch (error) {
      await proc.forceKill();
      const log = await server.log();
      throw new Error(`${(error as Error).message}\n--- ${logPath} ---\n${log}`, { cause: error });
    }
    return server;
  }

  /** True while the proxy process is alive. */
  get running(): boolean {
    return this.proc.alive;
  }

  /** SIGTERM, then waits for the exit (SIGKILL after 5 s). The log stays readable. */
  async stop(): Promise<void> {
    await this.proc.terminate();
  }

  /** SIGKILL, then waits for the exit. */
  async kill(): Promise<void> {
    await this.proc.forceKill();
  }

  /** The log file's text so far ('' if nothing was written yet). */
  async log(): Promise<string> {
    try {
      return await readFile(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }
}

// ---------------------------------------------------------------------------------------
// Long-running services from scripts/services.sh
// ---------------------------------------------------------------------------------------

/**
 * The MariaDB URL for tests: `AUTHRING_TEST_MYSQL_URL`, or
 * `mysql://authring:authring@127.0.0.1:3306` (the login scripts/services.sh creates).
 *
 * @param database when given, the URL's path is set to this database.
 */
export function mysqlUrl(database?: string): string {
  const base = process.env.AUTHRING_TEST_MYSQL_URL ?? 'mysql://authring:authring@127.0.0.1:3306';
  if (database === undefined || database === '') return base;
  const url = new URL(base);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

const demoBasePort = Number(process.env.AUTHRING_MEMCACHED_BASE_PORT ?? '11311');

/**
 * The memcached instances scripts/services.sh runs for the demo and benchmarks:
 * `127.0.0.1:11311`, `:11312`, `:11313` (base port from `AUTHRING_MEMCACHED_BASE_PORT`).
 */
export const DEMO_MEMCACHED: string[] = [0, 1, 2].map(
  (i) => `${LOOPBACK}:${(Number.isInteger(demoBasePort) && demoBasePort > 0 ? demoBasePort : 11311) + i}`,
);
