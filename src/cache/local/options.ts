/** Options of a node's local tier (`cache.local` in the cluster file). */
export interface LocalTierSettings {
  /** Answer group membership and credentials from process memory while provably current. @default false */
  readonly enabled?: boolean;
  /** Entries held at most (one per question as asked). @default 100000 */
  readonly maxEntries?: number;
  /** Bytes the entries account for at most. @default 67108864 (64 MiB) */
  readonly maxBytes?: number;
  /**
   * Milliseconds an answer from process memory may lag the database at most: past it without a
   * new proof from the invalidation feed, lookups go to memcached. @default 1000
   */
  readonly boundMs?: number;
  /** Milliseconds between reads of the invalidation feed (one multi-get each). @default 50 */
  readonly pollMs?: number;
}

/**
 * The defaults of the local tier, written once: AuthCache applies them and the config file's
 * `cache.local:` takes them from here. docs/config.md says why each is what it is.
 */
export const LOCAL_TIER_DEFAULTS: Required<LocalTierSettings> = {
  enabled: false,
  maxEntries: 100_000,
  maxBytes: 64 * 1024 * 1024,
  boundMs: 1000,
  pollMs: 50,
};
