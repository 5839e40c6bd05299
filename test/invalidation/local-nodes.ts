import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killOnExit } from '../helpers/exit-cleanup.js';
import { waitFor } from '../helpers/wait.js';
import type { Question } from './observer-node.js';

/** A line a local-tier node prints (see local-node.ts). */
export interface NodeLine {
  readonly at: number;
  readonly q?: number;
  readonly answer?: string;
  readonly local?: boolean;
  readonly error?: string;
  readonly round?: number;
  readonly generation?: string;
  readonly swept?: number;
  readonly entries?: number;
  readonly evictions?: number;
  readonly bytes?: number;
}

/** Proxy-node processes with the local tier (local-node.ts) and everything each has printed. */
export class LocalNodes {
  /** Every line each node printed, in order. */
  readonly lines: NodeLine[][] = [];
  private readonly children: ChildProcess[] = [];

  private constructor() {}

  /** Starts `count` nodes on the config file and waits until each answers every question from its local tier. */
  static async start(count: number, configPath: string, questions: readonly Question[], askMs: number, startMs = 120_000): Promise<LocalNodes> {
    const nodes = new LocalNodes();
    const script = fileURLToPath(new URL('./local-node.ts', import.meta.url));
    for (let n = 0; n < count; n++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, configPath, JSON.stringify({ questions, askMs })], { stdio: ['pipe', 'pipe', 'inherit'] });
      const forget = killOnExit(() => child.kill('SIGKILL'));
      child.once('exit', forget);
      const lines: NodeLine[] = [];
      let pending = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const parts = pending.split('\n');
        pending = parts.pop() ?? '';
        for (const text of parts) if (text.trim()) lines.push(JSON.parse(text) as NodeLine);
      });
      nodes.children.push(child);
      nodes.lines.push(lines);
    }
    // Each process compiles the sources with tsx first: slow on a loaded machine.
    for (let q = 0; q < questions.length; q++) await nodes.waitForAnswer(q, () => true, true, 0, startMs);
    return nodes;
  }

  /** Each node's latest report on question `q`. */
  latest(q: number): Array<NodeLine | undefined> {
    return this.lines.map((lines) => last(lines, (l) => l.q === q && l.answer !== undefined));
  }

  /**
   * Waits until every node's latest answer to `q` satisfies `accept` (and came from the local tier
   * or not, when `local` is given); resolves with each node's delay from `since` to that report.
   */
  async waitForAnswer(q: number, accept: (answer: string) => boolean, local: boolean | undefined, since: number, timeoutMs = 20_000): Promise<number[]> {
    const done = (): Array<number | undefined> =>
      this.latest(q).map((l) => (l?.answer !== undefined && accept(l.answer) && (local === undefined || l.local === local) ? Math.max(0, l.at - since) : undefined));
    await waitFor(() => done().every((d) => d !== undefined), `question ${q} on every node (latest ${JSON.stringify(this.latest(q))}, errors ${JSON.stringify(this.errors().slice(-3))})`, timeoutMs);
    return done() as number[];
  }

  /** Waits until every node has asked all its questions `count` more times than now. */
  async waitForRounds(count: number, timeoutMs = 20_000): Promise<void> {
    const round = (lines: NodeLine[]): number => last(lines, (l) => l.round !== undefined)?.round ?? 0;
    const targets = this.lines.map((lines) => round(lines) + count);
    await waitFor(() => this.lines.every((lines, n) => round(lines) >= (targets[n] ?? 0)), `${count} more rounds on every node`, timeoutMs);
  }

  /** Waits until every node has printed a line matching `match` at or after `since`; resolves with each one's. */
  async waitForLine(match: (line: NodeLine) => boolean, since: number, what: string, timeoutMs = 20_000): Promise<NodeLine[]> {
    const found = (): Array<NodeLine | undefined> => this.lines.map((lines) => lines.find((l) => l.at >= since && match(l)));
    await waitFor(() => found().every((l) => l !== undefined), what, timeoutMs);
    return found() as NodeLine[];
  }

  /** Sends a line to node `n`'s stdin. */
  send(n: number, line: string): void {
    this.children[n]?.stdin?.write(`${line}\n`);
  }

  /** Errors the nodes reported. */
  errors(): string[] {
    return this.lines.flatMap((lines) => lines.filter((l) => l.error !== undefined).map((l) => l.error ?? ''));
  }

  /** Stops every node (end of stdin, then SIGKILL after 5 s). */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.stdin?.end();
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }
}

/** The last line matching `match`. */
function last(lines: readonly NodeLine[], match: (line: NodeLine) => boolean): NodeLine | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (match(lines[i] as NodeLine)) return lines[i];
  return undefined;
}
