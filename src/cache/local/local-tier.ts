import { LRUCache } from 'lru-cache';
import { InvalidArgumentError } from '../../errors.js';

/** Why the local tier was passed over for memcached. */
export type BypassReason = 'no-heartbeat' | 'feed-unreadable' | 'catching-up' | 'stalled';

/** Every {@link BypassReason}, in the order metrics list them. */
export const BYPASS_REASONS: readonly BypassReason[] = ['no-heartbeat', 'feed-unreadable', 'catching-up', 'stalled'];

/** What the local tier counts; plain numbers, read by `stats()` and the metrics layer. */
export interface LocalTierCounters {
  /** Questions answered from process memory. */
  hits: number;
  /** Questions asked while current that the tier did not hold. */
  misses: number;
  /** Entries pushed out by the entry or byte bound. */
  evictions: number;
  /** Answers not kept because an invalidation or a clear was applied while they were looked up. */
  refusedInserts: number;
  /** Times every entry was dropped (a new generation, a gap in the feed, a stop). */
  clears: number;
  /** Questions passed to memcached because the tier could not prove itself current, by reason. */
  bypasses: Record<BypassReason, number>;
}

/** A snapshot of the local tier. */
export interface LocalTierStats extends LocalTierCounters {
  /** Entries held. */
  readonly entries: number;
  /** Bytes the entries account for. */
  readonly bytes: number;
  /**
   * Milliseconds between now and the latest moment up to which every change is known applied
   * (Infinity before the first proof); answers are served while it is within the bound.
   */
  readonly feedLagMs: number;
}

/** Options of {@link LocalTier}. */
export interface LocalTierOptions {
  /** Entries held at most. */
  readonly maxEntries: number;
  /** Bytes the entries account for at most (see {@link LocalTier.set}). */
  readonly maxBytes: number;
  /** Milliseconds an answer may lag the database: past it without new proof, the tier is bypassed. */
  readonly boundMs: number;
  /** Monotonic clock in milliseconds. @default performance.now */
  readonly now?: () => number;
}

/** An answer the tier holds (a wrapper, so "no such row" can be an answer too). */
export interface LocalEntry<V> {
  /** The namespace key without its generation, which invalidations name. */
  readonly key: string;
  /** The answer. */
  readonly value: V;
}

/** Taken before a lookup goes to memcached; an answer is kept only if nothing was applied since. */
export interface FillTicket {
  readonly epoch: number;
}

/** What the feed follower drives: a tier's invalidation and freshness, whatever its values. */
export interface FollowedTier {
  /** Why the tier is not current; the follower supplies it. */
  explain: () => BypassReason;
  readonly generation: bigint | undefined;
  useGeneration(generation: bigint): void;
  invalidate(keys: Iterable<string>): void;
  clear(): void;
  prove(coveredAt: number): void;
  revoke(): void;
}

/**
 * Bytes counted for each entry besides its strings, so `maxBytes` tracks the heap: an entry with
 * about 60 characters of question and key measured 393 bytes of heap (LRU slots, the entry, the
 * index; docs/benchmarks.md).
 */
const ENTRY_OVERHEAD_BYTES = 320;

/**
 * Answers held in process memory, in front of memcached: an LRU bounded by entries and bytes.
 * Entries are kept per question as asked (so a hit costs one map read, no key folding) and
 * indexed by the namespace key the database's equality gives them, so one invalidation of that
 * key removes every spelling at once.
 *
 * It serves only while provably current: a follower of the invalidation feed calls
 * {@link prove} with the time up to which every change has been applied, and {@link get} answers
 * only within `boundMs` of it; otherwise it counts a bypass and answers nothing. An answer looked
 * up in memcached is kept only if no invalidation was applied between its {@link ticket} and its
 * {@link set}, so a lookup racing an invalidation never plants the old answer.
 */
export class LocalTier<V> implements FollowedTier {
  /** Counters since creation. */
  readonly counters: LocalTierCounters = {
    hits: 0,
    misses: 0,
    evictions: 0,
    refusedInserts: 0,
    clears: 0,
    bypasses: { 'no-heartbeat': 0, 'feed-unreadable': 0, 'catching-up': 0, stalled: 0 },
  };
  /** Why the tier is not current, asked only when it is not; the follower sets it. */
  explain: () => BypassReason = () => 'no-heartbeat';
  private readonly lru: LRUCache<string, LocalEntry<V>>;
  /** Local key → the questions holding its answer (one string in the usual case). */
  private readonly index = new Map<string, string | string[]>();
  private readonly now: () => number;
  private readonly boundMs: number;
  private freshUntil = -Infinity;
  private epoch = 0;
  private generationInForce: bigint | undefined;

  constructor(options: LocalTierOptions) {
    for (const [name, value] of [['maxEntries', options.maxEntries], ['maxBytes', options.maxBytes], ['boundMs', options.boundMs]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
    }
    this.boundMs = options.boundMs;
    this.now = options.now ?? (() => performance.now());
    this.lru = new LRUCache<string, LocalEntry<V>>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      dispose: (entry, question, reason) => {
        if (reason === 'evict') this.counters.evictions += 1;
        this.unindex(entry.key, question);
      },
    });
  }

  /**
   * The answer to a question, if the tier holds it and is current; counts a hit, a miss or a
   * bypass. The question is any string naming it exactly as asked.
   */
  get(question: string): LocalEntry<V> | undefined {
    if (this.now() > this.freshUntil) {
      this.counters.bypasses[this.explain()] += 1;
      return undefined;
    }
    const entry = this.lru.get(question);
    if (entry === undefined) this.counters.misses += 1;
    else this.counters.hits += 1;
    return entry;
  }

  /** True while answers may be served (proof within the bound). */
  get current(): boolean {
    return this.now() <= this.freshUntil;
  }

  /** Taken before looking a question up elsewhere; hand it to {@link set}. */
  ticket(): FillTicket {
    return { epoch: this.epoch };
  }

  /**
   * Keeps an answer looked up under `ticket`, unless an invalidation or clear was applied since,
   * the tier is not current, or `generation` is not the one the feed proved. `bytes` is the
   * answer's size as stored in memcached; the entry counts that plus its strings and an overhead.
   * @returns true when kept.
   */
  set(question: string, key: string, generation: bigint, value: V, bytes: number, ticket: FillTicket): boolean {
    if (ticket.epoch !== this.epoch || generation !== this.generationInForce || !this.current) {
      this.counters.refusedInserts += 1;
      return false;
    }
    const entry: LocalEntry<V> = { key, value };
    this.lru.set(question, entry, { size: question.length + key.length + bytes + ENTRY_OVERHEAD_BYTES });
    // A value larger than the byte bound is not stored at all.
    if (this.lru.peek(question) !== entry) return false;
    const held = this.index.get(key);
    if (held === undefined) this.index.set(key, question);
    else if (typeof held === 'string') this.index.set(key, [held, question]);
    else held.push(question);
    return true;
  }

  /** Removes the answers of these keys (without generation), every spelling of each. */
  invalidate(keys: Iterable<string>): void {
    this.epoch += 1;
    for (const key of keys) {
      const held = this.index.get(key);
      if (held === undefined) continue;
      this.index.delete(key);
      if (typeof held === 'string') this.lru.delete(held);
      else for (const question of held) this.lru.delete(question);
    }
  }

  /** Drops every entry. */
  clear(): void {
    this.epoch += 1;
    this.counters.clears += 1;
    this.lru.clear();
    this.index.clear();
  }

  /** The namespace generation answers are kept under; a different one drops every entry. */
  useGeneration(generation: bigint): void {
    if (generation === this.generationInForce) return;
    this.generationInForce = generation;
    this.clear();
  }

  /** The generation in force, once the feed has named one. */
  get generation(): bigint | undefined {
    return this.generationInForce;
  }

  /**
   * Every change committed before `coveredAt` (this tier's clock) has been applied: answers may be
   * served until `coveredAt + boundMs`. Older proof never replaces newer.
   */
  prove(coveredAt: number): void {
    this.freshUntil = Math.max(this.freshUntil, coveredAt + this.boundMs);
  }

  /** Stops serving until proven again (the follower stopped, or cannot vouch for what it applied). */
  revoke(): void {
    this.freshUntil = -Infinity;
  }

  /** Entries held. */
  get size(): number {
    return this.lru.size;
  }

  /** Bytes the entries account for. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  private unindex(key: string, question: string): void {
    const held = this.index.get(key);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === question) this.index.delete(key);
      return;
    }
    const at = held.indexOf(question);
    if (at >= 0) held.splice(at, 1);
    if (held.length === 0) this.index.delete(key);
  }
}
