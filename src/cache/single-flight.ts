/**
 * Coalesces concurrent calls for one key in this process: while a call is running, later callers
 * for the same key get its promise instead of starting their own.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /**
   * @param heldBy A result may keep its call open a while after it arrived (the engine's store
   *   that follows a load): later callers still join it, and get the result at once, until the
   *   promise `heldBy` returns for it settles.
   */
  constructor(private readonly heldBy?: (result: T) => Promise<unknown> | undefined) {}

  /** Runs `work` unless a call for `key` is running; `joined` tells which happened. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.running.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = work();
    this.running.set(key, promise);
    const end = (): void => {
      if (this.running.get(key) === promise) this.running.delete(key);
    };
    promise.then((result) => {
      const held = this.heldBy?.(result);
      if (held === undefined) end();
      else held.then(end, end);
    }, end);
    return { promise, joined: false };
  }

  /** True while a call for `key` is running. */
  has(key: string): boolean {
    return this.running.has(key);
  }

  /** The calls running (or held open), one per key. */
  all(): Promise<T>[] {
    return [...this.running.values()];
  }

  /** Number of keys with a call running. */
  get size(): number {
    return this.running.size;
  }
}
