import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killOnExit } from '../../test/helpers/exit-cleanup.js';
import type { NodeConfig, Sample } from './node.js';

/** One soak node process, as the runner sees it. */
export class NodeProcess {
  /** Its resource samples, in time order. */
  readonly samples: Sample[] = [];
  private readonly lines: Array<Record<string, unknown>> = [];
  private readonly waiters = new Set<() => void>();
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined;
  private readonly forget: () => void;

  constructor(readonly config: NodeConfig, env: NodeJS.ProcessEnv) {
    const script = fileURLToPath(new URL('./node.ts', import.meta.url));
    this.child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.forget = killOnExit(() => this.child.kill('SIGKILL'));
    let pending = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const text of lines) {
        if (!text.trim()) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        if (line['type'] === 'sample') this.samples.push(line as unknown as Sample);
        else this.lines.push(line);
      }
      this.wake();
    });
    this.child.on('exit', (code) => {
      this.exitCode = code;
      this.forget();
      this.wake();
    });
  }

  /** Lookups done, from the latest sample. */
  get done(): number {
    return this.samples.at(-1)?.done ?? 0;
  }

  /** Resolves with the first line of `type`; rejects if the process exits first. */
  async next<T>(type: string): Promise<T> {
    for (;;) {
      const line = this.lines.find((l) => l['type'] === type);
      if (line) return line as T;
      if (this.exitCode !== undefined) throw new Error(`soak node ${this.config.id} exited (${String(this.exitCode)}) before "${type}"`);
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /** Sends one command line. */
  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Closes stdin; resolves true when the process then exits on its own within `ms`. */
  async exitsWithin(ms: number): Promise<boolean> {
    this.child.stdin?.end();
    if (this.exitCode !== undefined) return true;
    const exited = new Promise<boolean>((resolve) => this.child.once('exit', () => resolve(true)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (!result) this.child.kill('SIGKILL');
    return result;
  }

  private wake(): void {
    for (const wake of [...this.waiters]) {
      this.waiters.delete(wake);
      wake();
    }
  }
}
