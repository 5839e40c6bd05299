/** What the read-through engine counts; plain numbers, read by `stats()` and the metrics layer. */
export interface CacheCounters {
  /** Calls to `getOrLoad`. */
  lookups: number;
  /** Answers served from memcached with a value (not counting a peer's fresh load, see `coalesced`). */
  hits: number;
  /** Answers served from memcached as a cached "no such row". */
  negativeHits: number;
  /** Lookups memcached could not answer (absent, expired, forged); once per lookup. */
  misses: number;
  /** Loads run against the source (one SQL query each). */
  loads: number;
  /**
   * Lookups answered by another caller's load instead of their own: joining a load in this
   * process, or reading a result another node loaded while they waited on its lease.
   */
  coalesced: number;
  /** Expired entries served because the source failed. */
  staleServed: number;
  /** Entries and lease markers whose signature (or encryption tag) did not verify. */
  forged: number;
  /**
   * Entries that decoded but are not what the lookup stores (the lookup's validator refused
   * them), and lease markers that do not parse; each was treated as a miss and replaced.
   */
  malformed: number;
  /** Leases found still in place after their leader's deadline (leader died or overran), and taken over. */
  abandonedLeases: number;
  /** Loads whose result was not stored because the key was invalidated meanwhile. */
  staleSetsPrevented: number;
  /** Early refreshes of hot keys started before expiry. */
  refreshes: number;
  /** memcached failures the engine worked around (lookup went to the source). */
  cacheErrors: number;
  /** Lookups that failed: source unavailable or deadline exceeded. */
  errors: number;
}

/** A zeroed counter set. */
export function newCacheCounters(): CacheCounters {
  return {
    lookups: 0,
    hits: 0,
    negativeHits: 0,
    misses: 0,
    loads: 0,
    coalesced: 0,
    staleServed: 0,
    forged: 0,
    malformed: 0,
    abandonedLeases: 0,
    staleSetsPrevented: 0,
    refreshes: 0,
    cacheErrors: 0,
    errors: 0,
  };
}
