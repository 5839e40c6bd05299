import type { LookupStatus, Loader, ReadThroughCache } from '../cache/engine.js';
import type { LookupKind } from '../cache/lookup-kind.js';
import type { NamespaceGeneration } from '../cache/namespace.js';
import { DeadlineError } from '../errors.js';
import { cacheKey } from './cache-key.js';
import { RecentKeys } from './recent-keys.js';
import type { LookupDeadline } from './lookup-deadline.js';

/**
 * A kind of question of the key space: the engine's {@link LookupKind} and the kind part of its
 * keys (`cred`, `grp`, `address`). Made once per kind.
 */
export interface KeyedKind<T, A> extends LookupKind<T, A> {
  /** The kind part of the key. */
  readonly name: string;
}

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
    /** The read-through engine every question of the namespace is looked up through. */
    private readonly engine: ReadThroughCache,
  ) {}

  /**
   * The full key of a question in the current generation; reading the generation takes at most
   * `timeoutMs`, or what is left of the caller's deadline (`remainingMs`).
   */
  async key(kind: string, parts: readonly string[], timeoutMs?: number, remainingMs?: number): Promise<string> {
    return cacheKey(`${this.keyPrefix}${await this.generation.current(timeoutMs, remainingMs)}:`, kind, ...parts);
  }

  /**
   * Looks a question of `kind` up through the engine, within what is left of the lookup's
   * deadline; when the generation cannot be read (memcached failing), the question goes to MySQL
   * without the cache rather than failing. `args` are the question's, handed to the kind's loader.
   */
  lookup<T, A>(kind: KeyedKind<T, A>, parts: readonly string[], args: A, deadline: LookupDeadline, status?: LookupStatus): Promise<T> {
    const generation = this.generation.fresh();
    // The generation read within its check interval: the key is built without a wait or a timer.
    if (generation === undefined) return this.lookupReadingGeneration(kind, parts, args, deadline, status);
    if (generation !== this.keyedGeneration) {
      this.recent = new RecentKeys(`${this.keyPrefix}${generation}:`);
      this.keyedGeneration = generation;
    }
    const key = this.recent.key(kind.name, parts);
    if (status) status.key = key;
    const remaining = deadline.remainingMs();
    if (remaining <= 0) return Promise.reject(new DeadlineError(key, deadline.totalMs));
    return this.engine.answer(key, kind, args, remaining, status);
  }

  /** {@link lookup} when the generation must be read first, within the deadline. */
  private async lookupReadingGeneration<T, A>(kind: KeyedKind<T, A>, parts: readonly string[], args: A, deadline: LookupDeadline, status?: LookupStatus): Promise<T> {
    const unversioned = cacheKey(this.keyPrefix, kind.name, ...parts);
    let key: string;
    try {
      key = await deadline.run(unversioned, () => this.key(kind.name, parts, undefined, Math.max(1, deadline.remainingMs())));
    } catch (error) {
      if (error instanceof DeadlineError) throw error;
      const loader: Loader = (context) => kind.load(args, context);
      return kind.answer(await this.engine.loadUncached(unversioned, loader, { status, deadlineMs: this.left(unversioned, deadline) }));
    }
    if (status) status.key = key;
    return this.engine.answer(key, kind, args, this.left(key, deadline), status);
  }

  /** What the engine may still spend; a deadline already past fails here. */
  private left(key: string, deadline: LookupDeadline): number {
    const remaining = deadline.remainingMs();
    if (remaining <= 0) throw new DeadlineError(key, deadline.totalMs);
    return remaining;
  }
}
