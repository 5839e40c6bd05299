import type { LookupStatus, Loader, ReadThroughCache } from '../cache/engine.js';
import type { CachedValue } from '../cache/codec.js';
import type { NamespaceGeneration } from '../cache/namespace.js';
import { DeadlineError } from '../errors.js';
import type { Validator } from '../cache/options.js';
import { cacheKey } from './cache-key.js';
import { RecentKeys } from './recent-keys.js';
import type { LookupDeadline } from './lookup-deadline.js';

/**
 * The keys of one authring namespace: `<key_prefix><generation>:<kind>:<parts…>`. Bumping the
 * generation moves every key at once.
 */
export class KeySpace {
  /** The generation last keyed under and its recent keys: a new generation starts them afresh. */
  private keyedGeneration: bigint | undefined;
  private recent = new RecentKeys('');

  constructor(
    /** `cache.key_prefix`. */
    readonly keyPrefix: string,
    /** The namespace's generation counter. */
    readonly generation: NamespaceGeneration,
  ) {}

  /**
   * The full key of a question in the current generation; reading the generation takes at most
   * `timeoutMs`, or what is left of the caller's deadline (`remainingMs`).
   */
  async key(kind: string, parts: readonly string[], timeoutMs?: number, remainingMs?: number): Promise<string> {
    return cacheKey(`${this.keyPrefix}${await this.generation.current(timeoutMs, remainingMs)}:`, kind, ...parts);
  }

  /**
   * Looks a question up through the engine, within what is left of the lookup's deadline; when
   * the generation cannot be read (memcached failing), the question goes to MySQL without the
   * cache rather than failing. `validate` tells a cached value of this kind from a malformed one
   * (see `ReadThroughOptions.validate`).
   */
  lookup(
    engine: ReadThroughCache,
    kind: string,
    parts: readonly string[],
    loader: Loader,
    deadline: LookupDeadline,
    status?: LookupStatus,
    validate?: Validator,
  ): Promise<CachedValue> {
    const generation = this.generation.fresh();
    // The generation read within its check interval: the key is built without a wait or a timer.
    if (generation === undefined) return this.lookupReadingGeneration(engine, kind, parts, loader, deadline, status, validate);
    if (generation !== this.keyedGeneration) {
      this.recent = new RecentKeys(`${this.keyPrefix}${generation}:`);
      this.keyedGeneration = generation;
    }
    const key = this.recent.key(kind, parts);
    if (status) status.key = key;
    const remaining = deadline.remainingMs();
    if (remaining <= 0) return Promise.reject(new DeadlineError(key, deadline.totalMs));
    return engine.getOrLoad(key, loader, { status, validate, deadlineMs: remaining });
  }

  /** {@link lookup} when the generation must be read first, within the deadline. */
  private async lookupReadingGeneration(
    engine: ReadThroughCache,
    kind: string,
    parts: readonly string[],
    loader: Loader,
    deadline: LookupDeadline,
    status?: LookupStatus,
    validate?: Validator,
  ): Promise<CachedValue> {
    const unversioned = cacheKey(this.keyPrefix, kind, ...parts);
    let key: string;
    try {
      key = await deadline.run(unversioned, () => this.key(kind, parts, undefined, Math.max(1, deadline.remainingMs())));
    } catch (error) {
      if (error instanceof DeadlineError) throw error;
      return engine.loadUncached(unversioned, loader, { status, deadlineMs: this.left(unversioned, deadline) });
    }
    if (status) status.key = key;
    return engine.getOrLoad(key, loader, { status, validate, deadlineMs: this.left(key, deadline) });
  }

  /** What the engine may still spend; a deadline already past fails here. */
  private left(key: string, deadline: LookupDeadline): number {
    const remaining = deadline.remainingMs();
    if (remaining <= 0) throw new DeadlineError(key, deadline.totalMs);
    return remaining;
  }
}
