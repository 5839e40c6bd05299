import { raceDeadline, type Deadline } from '../cache/deadline.js';
import { AuthringError, DeadlineError, SourceUnavailableError } from '../errors.js';

/**
 * One lookup's deadline, started when the caller asks: building the key (which may need MySQL for
 * a name's weights, or memcached for the namespace generation) and the read-through lookup all
 * spend from it, so no lookup outlives it whatever the name. The engine takes it as it is (a
 * {@link Deadline}) and the namespace generation's freshness is judged as of its start, so its
 * clock must be theirs.
 */
export class LookupDeadline implements Deadline {
  /** When the deadline passes, in the clock's milliseconds. */
  readonly at: number;
  /** When the lookup started, in the clock's milliseconds. */
  readonly startedAt: number;
  /**
   * True only while the lookup's synchronous start runs (set by its caller around that call, and
   * cleared when it returns): nothing has been awaited since the deadline started a moment ago, so
   * all of it is left, and {@link remainingMs} says so without reading the clock. A hit reads the
   * clock once per lookup this way; any step awaited runs after the flag is cleared.
   */
  unspent = false;

  constructor(
    /** The whole deadline, in milliseconds. */
    readonly totalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
    this.at = this.startedAt + totalMs;
  }

  /** Milliseconds left (0 once past). */
  remainingMs(): number {
    return this.unspent ? this.totalMs : Math.max(0, this.at - this.now());
  }

  /**
   * Runs one step of the lookup within what is left: the step's result, or `DeadlineError` when
   * the deadline passes first (the step is left to finish on its own). A failure that is not an
   * `AuthringError` (a driver error) becomes `SourceUnavailableError`.
   */
  async run<T>(label: string, step: () => Promise<T>): Promise<T> {
    try {
      return await raceDeadline(step(), this.remainingMs(), () => new DeadlineError(label, this.totalMs));
    } catch (error) {
      throw error instanceof AuthringError ? error : new SourceUnavailableError(label, error);
    }
  }
}

