/**
 * The example SIP proxy (examples/sip-proxy/main.ts) as a child process, started the way its
 * docs say: `node --import tsx examples/sip-proxy/main.ts -c FILE --listen 127.0.0.1:PORT`.
 * Resolves once it answers an OPTIONS; keeps its output for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit } from './exit-cleanup.js';
import { freeSipPort, waitForSipAnswer } from './sip-probe.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_LOG = 256 * 1024;
/** Starts tried when the port found free was taken before the child bound it. */
const BIND_ATTEMPTS = 5;

/** Options of {@link SipProxyProcess.start}. */
export interface SipProxyOptions {
  /** The cluster config file. */
  readonly configPath: string;
  /** Extra arguments (`--direct`, `--verbose`, …). */
  readonly args?: readonly string[];
  /** Extra environment (the MySQL password variable the config names). */
  readonly env?: Readonly<Record<string, string>>;
  /** Address to listen on. @default 127.0.0.1 */
  readonly host?: string;
  /** How long to wait for the first answer (tsx compiles on start: slow on a loaded machine). @default 60000 */
  readonly startTimeoutMs?: number;
}

/** A running example proxy. */
export class SipProxyProcess {
  private output = '';
  private exit: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    /** Listen address. */
    readonly host: string,
    /** Listen port (UDP and TCP). */
    readonly port: number,
  ) {
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-MAX_LOG);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = signal ? `signal ${signal}` : `exit code ${String(code)}`;
        resolve();
      });
    });
  }

  /**
   * Starts the example and waits until it answers SIP. The port is found free and then bound by the
   * child, so another process can take it in between: a start that fails to bind is tried again on
   * another port (up to {@link BIND_ATTEMPTS} times).
   */
  static async start(options: SipProxyOptions): Promise<SipProxyProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await SipProxyProcess.startOnce(options);
      } catch (error) {
        if (attempt >= BIND_ATTEMPTS || !(error instanceof Error) || !error.message.includes('EADDRINUSE')) throw error;
      }
    }
  }

  private static async startOnce(options: SipProxyOptions): Promise<SipProxyProcess> {
    const host = options.host ?? '127.0.0.1';
    const port = await freeSipPort(host);
    const args = ['--import', 'tsx', 'examples/sip-proxy/main.ts', '-c', options.configPath, '--listen', `${host}:${port}`, ...(options.args ?? [])];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const forget = killOnExit(() => child.kill('SIGKILL'));
    child.once('exit', () => forget());
    const proxy = new SipProxyProcess(child, host, port);
    try {
      await waitForSipAnswer(host, port, options.startTimeoutMs ?? 60_000, () => proxy.running);
    } catch (error) {
      await proxy.stop();
      throw new Error(`${(error as Error).message}\n--- sip-proxy output ---\n${proxy.log}`, { cause: error });
    }
    return proxy;
  }

  /** What it printed (stdout and stderr, the last 256 KB). */
  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
