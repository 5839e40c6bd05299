/**
 * The lookups a fault test runs through a node, and what it counts: attempted, failed (with a
 * typed error), wrong (an answer that is not MySQL's), untyped (anything thrown that is not an
 * AuthringError with an `E_` code) and the latency of each.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AuthCache } from '../../src/auth/auth-cache.js';
import { AuthringError } from '../../src/errors.js';
import { ask, type Question } from './rig.js';

/** What one phase of lookups measured. */
export interface PhaseFigures {
  attempted: number;
  /** Typed errors (`E_DEADLINE`, `E_SOURCE_UNAVAILABLE`, …). */
  failed: number;
  /** Answers that differ from MySQL's. */
  wrong: number;
  /** Errors that are not typed: always a defect. */
  untyped: number;
  /** Failures by error code. */
  readonly codes: Record<string, number>;
  /** The slowest lookup, ms. */
  worstMs: number;
  /** The longest the event loop was late, ms (how late any timer, deadlines included, could fire). */
  loopDelayMs: number;
}

/** Options of {@link runLookups}. */
export interface RunOptions {
  /** Lookups to run. */
  readonly count: number;
  /** Lookups in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Called as each lookup starts, with the number started so far (for faults timed by progress). */
  readonly onStart?: (started: number) => void;
}

/**
 * Runs `count` lookups over the questions (in a fixed shuffled order), `concurrency` at a time,
 * and counts what happened.
 */
export async function runLookups(auth: AuthCache, questions: readonly Question[], options: RunOptions): Promise<PhaseFigures> {
  const figures: PhaseFigures = { attempted: 0, failed: 0, wrong: 0, untyped: 0, codes: {}, worstMs: 0, loopDelayMs: 0 };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const n = next++;
      const question = questions[(n * 7919) % questions.length];
      if (!question) continue;
      options.onStart?.(n + 1);
      figures.attempted += 1;
      const started = performance.now();
      try {
        if (!(await ask(auth, question))) figures.wrong += 1;
      } catch (error) {
        const code = error instanceof AuthringError && /^E_/.test(error.code) ? error.code : undefined;
        if (code === undefined) figures.untyped += 1;
        else figures.failed += 1;
        const name = code ?? String((error as Error)?.name ?? error);
        figures.codes[name] = (figures.codes[name] ?? 0) + 1;
      }
      figures.worstMs = Math.max(figures.worstMs, performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  loop.disable();
  figures.loopDelayMs = Math.max(0, loop.max / 1e6 - 10);
  return figures;
}

/**
 * Asks every question in passes until one pass gets every answer right with no error; resolves
 * with the milliseconds that took.
 * @throws Error when no pass is clean within `timeoutMs`, with the last pass's figures.
 */
export async function untilRecovered(auth: AuthCache, questions: readonly Question[], timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const pass = await runLookups(auth, questions, { count: questions.length });
    if (pass.failed + pass.wrong + pass.untyped === 0) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`not recovered after ${timeoutMs} ms: ${JSON.stringify(pass)}`);
  }
}

/** Asks every other question once, fault-free, so half the answers are cached and half are not. */
export async function warmHalf(auth: AuthCache, questions: readonly Question[]): Promise<void> {
  for (const [n, question] of questions.entries()) if (n % 2 === 0) await ask(auth, question);
}

/** One row of the fault table in docs/reliability.md. */
export function tableRow(fault: string, test: string, figures: PhaseFigures, recoveredMs: number): string {
  const codes = Object.entries(figures.codes)
    .map(([code, n]) => `${n} ${code}`)
    .join(', ');
  return `| ${fault} | ${test} | ${figures.attempted} | ${figures.failed}${codes ? ` (${codes})` : ''} | ${figures.wrong} | ${Math.round(figures.worstMs)} ms | ${(recoveredMs / 1000).toFixed(1)} s |`;
}
