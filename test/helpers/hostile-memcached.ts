import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { killOnExit } from './exit-cleanup.js';
import type { HostileMode } from './hostile-memcached-server.js';

export type { HostileMode } from './hostile-memcached-server.js';

const SCRIPT = fileURLToPath(new URL('./hostile-memcached-server.ts', import.meta.url));

/**
 * A hostile memcached server in a child process on 127.0.0.1 (see hostile-memcached-server.ts for
 * the modes). Its stdout reports each connection, so tests wait on connections instead of sleeping.
 */
export class HostileMemcached {
  /** `127.0.0.1:PORT`, the form cluster clients take. */
  readonly address: string;
  /** Connections accepted so far. */
  connections = 0;
  private readonly closed = new Set<number>();
  private readonly waiters: { kind: 'conn' | 'close'; count: number; resolve: () => void }[] = [];
  private readonly modeWaiters: { mode: string; resolve: () => void }[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    lines: AsyncIterator<string>,
  ) {
    this.address = `127.0.0.1:${port}`;
    const forget = killOnExit(() => child.kill('SIGKILL'));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(forget);
    void (async () => {
      for (let next = await lines.next(); !next.done; next = await lines.next()) this.onLine(next.value);
    })();
  }

  /** Starts a server in `mode` and resolves once it listens. */
  static async start(mode: HostileMode): Promise<HostileMemcached> {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    if (!child.stdout) throw new Error('no stdout from the hostile server');
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    const port = first.done ? NaN : Number(/^listening (\d+)$/.exec(first.value)?.[1]);
    if (!Number.isInteger(port) || port <= 0) {
      child.kill('SIGKILL');
      throw new Error(`hostile server did not start: ${first.done ? 'it exited' : first.value}`);
    }
    return new HostileMemcached(child, port, lines);
  }

  /** Resolves once the server has accepted `count` connections in all. */
  waitForConnections(count: number): Promise<void> {
    if (this.connections >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ kind: 'conn', count, resolve }));
  }

  /** Resolves once the `id`th connection (counting from 1) has closed, by either side. */
  waitForClosed(id: number): Promise<void> {
    if (this.closed.has(id)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ kind: 'close', count: id, resolve }));
  }

  /** Switches the mode for requests read from now on, on every connection. */
  setMode(mode: HostileMode): Promise<void> {
    const done = new Promise<void>((resolve) => this.modeWaiters.push({ mode, resolve }));
    this.child.stdin?.write(`mode ${mode}\n`);
    return done;
  }

  /** Ends the process and waits for it. */
  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  private onLine(line: string): void {
    const counter = /^(conn|close) (\d+)$/.exec(line);
    if (counter) {
      if (counter[1] === 'conn') this.connections = Number(counter[2]);
      else this.closed.add(Number(counter[2]));
      const reached = this.waiters.filter((w) => (w.kind === 'conn' ? w.count <= this.connections : this.closed.has(w.count)));
      for (const waiter of reached) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return;
    }
    const mode = /^mode (\S+)$/.exec(line);
    if (mode) {
      for (const waiter of this.modeWaiters.filter((w) => w.mode === mode[1])) {
        this.modeWaiters.splice(this.modeWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
}
