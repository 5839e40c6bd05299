import type { LookupStatus, ReadThroughCache } from '../cache/engine.js';
import { loaderOf, type LookupKind } from '../cache/lookup-kind.js';
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
  private recentKeys = new RecentKeys('');

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
   * deadline (started in the engine's clock); when the generation cannot be read (memcached
   * failing), the question goes to MySQL without the cache rather than failing. `args` are the
   * question's, handed to the kind's loader.
   */
  lookup<T, A>(kind: KeyedKind<T, A>, parts: readonly string[], args: A, deadline: LookupDeadline, status?: LookupStatus): Promise<T> {
    const recent = this.recentAsOf(deadline);
    if (recent === undefined) return this.lookupReadingGeneration(kind, parts, args, deadline, status);
    return this.lookupKey(kind, recent.key(kind.name, parts), args, deadline, status);
  }

  /**
   * The recent keys of the current generation when it was read within its check interval of the
   * lookup's start (keys are then built without a wait, a timer or a clock read); undefined when
   * it must be read first ({@link lookup} does).
   */
  recentAsOf(deadline: LookupDeadline): RecentKeys | undefined {
    const generation = this.generation.fresh(deadline.startedAt);
    if (generation === undefined) return undefined;
    if (generation !== this.keyedGeneration) {
      this.recentKeys = new RecentKeys(`${this.keyPrefix}${generation}:`);
      this.keyedGeneration = generation;
    }
    return this.recentKeys;
  }

  /** {@link lookup} of a key of the generation {@link recentAsOf} answered for. */
  lookupKey<T, A>(kind: KeyedKind<T, A>, key: string, args: A, deadline: LookupDeadline, status?: LookupStatus): Promise<T> {
    if (status) status.key = key;
    // The engine reads the clock once for what is left, and fails a deadline already past.
    return this.engine.answer(key, kind, args, deadline, status);
  }

  /** {@link lookup} when the generation must be read first, within the deadline. */
  private async lookupReadingGeneration<T, A>(kind: KeyedKind<T, A>, parts: readonly string[], args: A, deadline: LookupDeadline, status?: LookupStatus): Promise<T> {
    const unversioned = cacheKey(this.keyPrefix, kind.name, ...parts);
    let key: string;
    try {
      key = await deadline.run(unversioned, () => this.key(kind.name, parts, undefined, Math.max(1, deadline.remainingMs())));
    } catch (error) {
      if (error instanceof DeadlineError) throw error;
      return kind.answer(await this.engine.loadUncached(unversioned, loaderOf(kind, args), { status, deadlineMs: this.left(unversioned, deadline) }));
    }
    if (status) status.key = key;
    return this.engine.answer(key, kind, args, deadline, status);
  }

  /** What the engine may still spend; a deadline already past fails here. */
  private left(key: string, deadline: LookupDeadline): number {
    const remaining = deadline.remainingMs();
    if (remaining <= 0) throw new DeadlineError(key, deadline.totalMs);
    return remaining;
  }
}
