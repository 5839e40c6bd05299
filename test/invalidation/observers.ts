import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';
import type { ObserverConfig } from './observer-node.js';

interface Report {
  readonly q: number;
  readonly answer?: string;
  readonly error?: string;
  readonly at: number;
}

/** A line a node prints: an answer report, a finished round, or a server it marked down or up. */
type Line = Report | { readonly round: number; readonly at: number } | { readonly server: string; readonly state: 'down' | 'up'; readonly at: number };

/** What one node has said besides answers. */
interface NodeState {
  /** Rounds of questions finished. */
  rounds: number;
  /** Server state changes, in order. */
  readonly servers: Array<{ readonly server: string; readonly state: 'down' | 'up'; readonly at: number }>;
}

/** Proxy-node processes (observer-node.ts) and what each has reported. */
export class Observers {
  private readonly reports: Report[][] = [];
  private readonly states: NodeState[] = [];
  private readonly children: ChildProcess[] = [];

  private constructor() {}

  /** Starts `count` nodes and waits until each has reported an answer to every question. */
  static async start(count: number, config: ObserverConfig): Promise<Observers> {
    const observers = new Observers();
    const script = fileURLToPath(new URL('./observer-node.ts', import.meta.url));
    for (let n = 0; n < count; n++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const reports: Report[] = [];
      const state: NodeState = { rounds: 0, servers: [] };
      let pending = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const text of lines) {
          if (!text.trim()) continue;
          const line = JSON.parse(text) as Line;
          if ('round' in line) state.rounds = line.round;
          else if ('server' in line) state.servers.push(line);
          else reports.push(line);
        }
      });
      observers.children.push(child);
      observers.reports.push(reports);
      observers.states.push(state);
    }
    for (let q = 0; q < config.questions.length; q++) await observers.waitForAnswer(q, () => true, 0, 30_000);
    return observers;
  }

  /** The latest answer of every node to question `q`. */
  latest(q: number): Array<string | undefined> {
    return this.reports.map((reports) => [...reports].reverse().find((r) => r.q === q && r.answer !== undefined)?.answer);
  }

  /** Every answer any node reported to `q` at or after `since`. */
  answersSince(q: number, since: number): string[] {
    return this.reports.flatMap((reports) => reports.filter((r) => r.q === q && r.at >= since && r.answer !== undefined).map((r) => r.answer ?? ''));
  }

  /**
   * Waits until every node's latest answer to `q` satisfies `accept`; resolves with each node's
   * delay from `since` (when it first reported that answer).
   */
  async waitForAnswer(q: number, accept: (answer: string) => boolean, since: number, timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = this.reports.map((reports) => {
        const last = [...reports].reverse().find((r) => r.q === q && r.answer !== undefined);
        return last && accept(last.answer ?? '') ? Math.max(0, last.at - since) : undefined;
      });
      if (done.every((d) => d !== undefined)) return done as number[];
      if (Date.now() > deadline) {
        throw new Error(`question ${q}: nodes answer ${JSON.stringify(this.latest(q))} after ${timeoutMs} ms; errors: ${JSON.stringify(this.errors())}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Waits until every node has finished `count` more rounds of questions than now: each has asked
   * everything again (an answer that did not change is not reported, so this is how a test knows
   * the nodes have looked).
   */
  async waitForRounds(count: number, timeoutMs = 20_000): Promise<void> {
    const targets = this.states.map((state) => state.rounds + count);
    await waitFor(() => this.states.every((state, n) => state.rounds >= (targets[n] ?? 0)), `${count} more rounds of questions on every node`, timeoutMs);
  }

  /** Waits until every node has reported `server` in `state` (down or up) at or after `since`. */
  async waitForServer(server: string, state: 'down' | 'up', since: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      () => this.states.every((s) => s.servers.some((change) => change.server === server && change.state === state && change.at >= since)),
      `every node to mark ${server} ${state} (since ${since}; they said ${JSON.stringify(this.states.map((s) => s.servers))}; errors ${JSON.stringify(this.errors().slice(-5))})`,
      timeoutMs,
    );
  }

  /** Errors the nodes reported. */
  errors(): string[] {
    return this.reports.flatMap((reports) => reports.filter((r) => r.error).map((r) => r.error ?? ''));
  }

  /** Stops every node. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.stdin?.end();
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }
}
