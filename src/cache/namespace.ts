import type { MemcacheCluster } from '../cluster/cluster.js';
import { SingleFlight } from './single-flight.js';

/**
 * A namespace generation: a counter in memcached that is part of every key of the namespace, so
 * bumping it invalidates the whole namespace at once (O(1), no flush of shared servers); the
 * old entries are simply never read again and expire.
 *
 * The counter is created with the current time in milliseconds, so a counter lost with its server
 * (restart, eviction) comes back larger than any generation used before (unless bumps outpaced
 * one per millisecond), never equal to an old one. Each
 * process re-reads it at most every `checkMs` (one `incr` by 0, which also creates it), so a
 * bump reaches every node within that interval; this process never goes back to a smaller
 * generation than one it has used.
 */
export class NamespaceGeneration {
  private cached: bigint | undefined;
  private checkedAt = -Infinity;
  private readonly reads = new SingleFlight<bigint>();

  constructor(
    private readonly store: Pick<MemcacheCluster, 'incr'>,
    /** The counter's key. */
    readonly key: string,
    private readonly checkMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The generation as last read, while it is recent enough to use (read within `checkMs` of
   * `asOf`); undefined when {@link current} has to ask memcached. Lets a hot path build keys
   * without awaiting anything. A lookup passes the time it started (in this clock) and is keyed
   * as of then, as if its key had been built at once; this saves it a clock read.
   */
  fresh(asOf: number = this.now()): bigint | undefined {
    return this.cached !== undefined && asOf - this.checkedAt < this.checkMs ? this.cached : undefined;
  }

  /**
   * The current generation, read within `timeoutMs` (the cluster's request timeout by default) or
   * what is left of the caller's deadline, `remainingMs` (see `CallOptions.remainingMs`).
   * @throws the store's typed error when memcached cannot answer.
   */
  async current(timeoutMs?: number, remainingMs?: number): Promise<bigint> {
    const fresh = this.fresh();
    if (fresh !== undefined) return fresh;
    return this.reads.run('generation', async () => {
      let read: bigint;
      try {
        read = await this.store.incr(this.key, 0n, {
          initial: this.seed(),
          ownerOnly: true,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(remainingMs === undefined ? {} : { remainingMs }),
        });
      } catch (error) {
        if (this.cached === undefined) throw error;
        // Keep the known generation; try the counter again after the next interval.
        this.checkedAt = this.now();
        return this.cached;
      }
      this.accept(read);
      return this.cached ?? read;
    }).promise;
  }

  /** Bumps the generation: every key of the namespace changes. Resolves with the new generation. */
  async bump(): Promise<bigint> {
    const next = await this.store.incr(this.key, 1n, { initial: this.seed(), ownerOnly: true });
    this.accept(next);
    return next;
  }

  /**
   * Takes a generation learnt elsewhere (the invalidation feed announces bumps): a newer one is
   * used at once instead of at the next re-read; an older one is ignored.
   */
  observe(generation: bigint): void {
    this.accept(generation);
  }

  private accept(generation: bigint): void {
    if (this.cached === undefined || generation > this.cached) this.cached = generation;
    this.checkedAt = this.now();
  }

  private seed(): bigint {
    return BigInt(Math.floor(this.now()));
  }
}
