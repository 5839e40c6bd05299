import { spawn, type ChildProcess } from 'node:child_process';
import { killOnExit } from '../helpers/exit-cleanup.js';

/**
 * A Node process running an ES module snippet (imports relative to the repository root), driven
 * line by line: the test writes lines to its stdin and waits for the JSON lines it prints. Lets a
 * test order events across processes without sleeping ("wait until A is loading, then start B").
 */
export class ScriptProcess {
  private readonly child: ChildProcess;
  private readonly lines: unknown[] = [];
  private readonly waiters: Array<() => void> = [];
  private exited = false;
  private readonly forget: () => void;

  constructor(script: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.forget = killOnExit(() => this.child.kill('SIGKILL'));
    let buffered = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end).trim();
        buffered = buffered.slice(end + 1);
        if (line.startsWith('{')) this.lines.push(JSON.parse(line));
      }
      this.wake();
    });
    this.child.on('exit', () => {
      this.exited = true;
      this.forget();
      this.wake();
    });
  }

  /** Resolves with the first printed object that has `field` set to `value`; rejects if the process exits first. */
  async waitFor<T extends Record<string, unknown>>(field: string, value: unknown, timeoutMs = 20_000): Promise<T> {
    const found = (): T | undefined => this.lines.find((l) => (l as Record<string, unknown>)[field] === value) as T | undefined;
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      const line = found();
      if (line) return line;
      if (this.exited) throw new Error(`process exited before printing ${field}=${String(value)}`);
      if (Date.now() > giveUpAt) throw new Error(`no ${field}=${String(value)} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, giveUpAt - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first object printed so far that has `field` set to `value`, if any (no waiting). */
  printed<T extends Record<string, unknown>>(field: string, value: unknown): T | undefined {
    return this.lines.find((l) => (l as Record<string, unknown>)[field] === value) as T | undefined;
  }

  /** Writes one line to the process's stdin. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Kills the process with SIGKILL and resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Script lines that read stdin line by line: `await nextLine()` resolves with the next one. */
export const STDIN_LINES = `
  import { createInterface } from 'node:readline';
  const pending = [];
  const queued = [];
  createInterface({ input: process.stdin }).on('line', (line) => {
    const next = pending.shift();
    if (next) next(line); else queued.push(line);
  });
  const nextLine = () => queued.length > 0 ? Promise.resolve(queued.shift()) : new Promise((r) => pending.push(r));
  const say = (object) => console.log(JSON.stringify(object));
`;
