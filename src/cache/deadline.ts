/**
 * A lookup's deadline as the read-through engine takes it (`ReadThroughCache.answer`): when it
 * passes, in the engine's clock (`ReadThroughOptions.now`), and how long it was in all (for the
 * error). A caller that already holds one hands it on, and may know what is left without a clock
 * read (see `LookupDeadline.unspent`).
 */
export interface Deadline {
  /** When the deadline passes, in the clock's milliseconds. */
  readonly at: number;
  /** The whole deadline, in milliseconds. */
  readonly totalMs: number;
  /** Milliseconds left now (0 once past), in the engine's clock. */
  remainingMs(): number;
}

/**
 * The one deadline race of authring: `work`'s outcome, or a rejection with `expired()` once `ms`
 * have passed without it. The work is not cancelled (it runs on, and its outcome is dropped, a
 * late rejection included); the timer is cleared as soon as either side settles, so a settled
 * race holds nothing. With `unref`, the timer never keeps the process alive (a command's
 * deadline); without it, a caller waiting on work that never settles still gets its error.
 */
export function raceDeadline<T>(work: Promise<T>, ms: number, expired: () => Error, unref = false): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(expired()), Math.max(0, ms));
    if (unref) timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
