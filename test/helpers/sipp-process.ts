import { spawn } from 'node:child_process';
import path from 'node:path';
import { freeUdpPort, type KamailioProcess } from './kamailio.js';
import { freeSippMediaPort } from './sipp-media-port.js';

/** One sipp run against a Kamailio: a scenario replayed once per CSV row. */
export interface SippRunOptions {
  /** The sipp binary. */
  readonly sipp: string;
  /** The Kamailio (or any SIP target on loopback) to send to. */
  readonly kamailio: Pick<KamailioProcess, 'host' | 'port'>;
  /** Scenario XML file. */
  readonly scenario: string;
  /** Working directory; the injection file and the logs live there. */
  readonly dir: string;
  /** Injection file (`-inf`). */
  readonly csvPath: string;
  /** Calls to make (`-m`): one per CSV row. */
  readonly calls: number;
  /** Calls per second (`-r`). */
  readonly rate: number;
  /** Rate period in ms (`-rp`). @default 1000 */
  readonly ratePeriodMs?: number;
  /** Calls in flight at once (`-l`). */
  readonly limit: number;
  /** Deadline of the whole run; sipp is killed 5 s after it. */
  readonly timeoutMs: number;
}

/** What a run left: how sipp ended, the tail of its output, and where its logs are. */
export interface SippRunResult {
  /** The command line's arguments, for diagnostics. */
  readonly args: readonly string[];
  readonly exit: string;
  readonly output: string;
  readonly killedByTimeout: boolean;
  /** `-log_file`: the scenario's `<log>` lines (answers). */
  readonly logPath: string;
  /** `-message_file`: every SIP message. */
  readonly messagePath: string;
  /** `-error_file`. */
  readonly errorPath: string;
}

/** Runs sipp with every socket on loopback (`-i`, `-mi`, `-ci`), with message, log and error traces, bounded by `timeoutMs`. */
export async function runSippProcess(options: SippRunOptions): Promise<SippRunResult> {
  const logPath = path.join(options.dir, 'answers.log');
  const messagePath = path.join(options.dir, 'messages.log');
  const errorPath = path.join(options.dir, 'errors.log');
  const args = [
    `${options.kamailio.host}:${options.kamailio.port}`,
    '-sf', options.scenario,
    '-inf', options.csvPath,
    '-m', String(options.calls),
    '-r', String(options.rate),
    '-rp', String(options.ratePeriodMs ?? 1000),
    '-l', String(options.limit),
    '-i', '127.0.0.1',
    '-p', String(await freeUdpPort()),
    '-mi', '127.0.0.1',
    '-mp', String(await freeSippMediaPort()),
    // The control socket (UDP 8888 and up) binds to every address unless told otherwise.
    '-ci', '127.0.0.1',
    '-cp', String(await freeUdpPort()),
    '-nostdin',
    '-trace_logs', '-log_file', logPath,
    '-trace_msg', '-message_file', messagePath,
    '-trace_err', '-error_file', errorPath,
    '-recv_timeout', '5000',
    '-max_retrans', '5',
    '-timeout', `${Math.ceil(options.timeoutMs / 1000)}s`,
  ];
  const child = spawn(options.sipp, args, { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let killedByTimeout = false;
  const timer = setTimeout(() => {
    killedByTimeout = true;
    child.kill('SIGKILL');
  }, options.timeoutMs + 5000);
  const exit = await new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`spawn error: ${error.message}`));
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${String(code)}`));
  });
  clearTimeout(timer);
  return { args, exit, output, killedByTimeout, logPath, messagePath, errorPath };
}
