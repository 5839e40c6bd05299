import { raceDeadline } from '../cache/deadline.js';
import { CommandTimeoutError } from '../errors.js';

/**
 * Runs `work` and rejects with {@link CommandTimeoutError} if it has not settled within
 * `timeoutMs`. The work is not cancelled (the run ends, and the process with it); the timer never
 * keeps the process alive.
 */
export async function withDeadline<T>(what: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  return raceDeadline(work(), timeoutMs, () => new CommandTimeoutError(what, timeoutMs), true);
}

/** Milliseconds elapsed since `start` (a `performance.now()` reading), rounded to 0.01 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/**
 * The deadline for one part of a command whose whole has `timeoutMs`: a fifth less, so a part
 * that times out is still reported (as down, with its error) before the command's own deadline.
 */
export function partDeadline(timeoutMs: number): number {
  return Math.max(1, Math.floor(timeoutMs * 0.8));
}
