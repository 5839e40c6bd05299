/**
 * Coalesces concurrent calls for one key in this process: while a call is running, later callers
 * for the same key get its promise instead of starting their own.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** Runs `work` unless a call for `key` is running; `joined` tells which happened. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.running.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = work().finally(() => this.running.delete(key));
    this.running.set(key, promise);
    return { promise, joined: false };
  }

  /** True while a call for `key` is running. */
  has(key: string): boolean {
    return this.running.has(key);
  }

  /** Number of keys with a call running. */
  get size(): number {
    return this.running.size;
  }
}
