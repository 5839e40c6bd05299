/**
 * One load step: sipp at a fixed call rate for a fixed time against one or more SIP targets
 * (the rate split evenly, one sipp per target), and what came of it: calls attempted and
 * completed, and every completed call's response time (sipp's rtd 1, written with
 * `-trace_rtt`). A call fails on any unexpected message or when an answer takes more than 5 s.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary } from '../../test/helpers/services.js';
import { sippLoopbackArgs, type SipTarget } from '../../test/helpers/sip-cases.js';
import { CALLEE, DOMAIN, passwordOf } from './database.js';

/** The two workloads. */
export type Workload = 'register' | 'call';

/** SIP requests the proxy receives per completed call of each workload. */
export const REQUESTS_PER_CALL: Record<Workload, number> = {
  register: 2, // REGISTER, REGISTER with credentials
  call: 5, // INVITE, ACK of the 407, INVITE with credentials, ACK, BYE
};

const SCENARIOS = fileURLToPath(new URL('./scenarios/', import.meta.url));

/** What one step measured. */
export interface StepResult {
  /** Calls per second offered, all targets together. */
  readonly rate: number;
  readonly attempted: number;
  readonly completed: number;
  /** Response times of completed calls, milliseconds. */
  readonly responseMs: readonly number[];
}

/** Plays `workload` at `rate` calls/s for `seconds` against `targets`, users drawn at random. */
export async function runStep(targets: readonly SipTarget[], workload: Workload, rate: number, seconds: number, users: readonly string[]): Promise<StepResult> {
  const sipp = findBinary('sipp');
  if (sipp === undefined) throw new Error('"sipp" is not installed (bash scripts/services.sh --interop)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authring-sipbench-'));
  try {
    const csv = path.join(dir, 'users.csv');
    await writeFile(csv, ['RANDOM', ...users.map((u) => `${u};[authentication username=${u} password=${passwordOf(u)}];`)].join('\n') + '\n');
    const perTarget = rate / targets.length;
    const calls = Math.round(perTarget * seconds);
    const runs = targets.map(async (target, i) => {
      const cwd = path.join(dir, String(i));
      await mkdir(cwd);
      const args = [
        `${target.host}:${target.port}`,
        '-sf', path.join(SCENARIOS, `${workload}.xml`),
        '-inf', csv,
        '-set', 'domain', DOMAIN,
        ...(workload === 'call' ? ['-set', 'callee', CALLEE.user] : []),
        '-r', String(perTarget), '-rp', '1000',
        '-m', String(calls),
        '-l', String(Math.max(50, Math.ceil(perTarget * 6))),
        ...(await sippLoopbackArgs('127.0.0.1')),
        '-nostdin',
        '-trace_rtt', '-rtt_freq', '1',
        '-recv_timeout', '5000',
        '-max_retrans', '4',
        '-timeout', `${seconds + 30}s`,
      ];
      await new Promise<void>((resolve, reject) => {
        const child = spawn(sipp, args, { cwd, stdio: 'ignore' });
        const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 40) * 1000);
        child.once('error', reject);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
      });
      const rttFile = (await readdir(cwd)).find((f) => f.endsWith('_rtt.csv'));
      const text = rttFile ? await readFile(path.join(cwd, rttFile), 'utf8') : '';
      return { calls, responseMs: parseRtt(text) };
    });
    const results = await Promise.all(runs);
    const responseMs = results.flatMap((r) => r.responseMs);
    return { rate, attempted: results.reduce((n, r) => n + r.calls, 0), completed: responseMs.length, responseMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** sipp's rtt trace: `date_ms;response_time_ms;rtd_no` lines after a header. */
function parseRtt(text: string): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(';');
    const ms = Number(fields[1]);
    if (fields.length >= 3 && Number.isFinite(ms) && /^\d/.test(fields[0] ?? '')) values.push(ms);
  }
  return values;
}
