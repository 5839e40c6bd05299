import type { AuthringError } from '../errors.js';
import type { NodeStats } from './node.js';

/** Per-call options of every operation. */
export interface CallOptions {
  /** Deadline of this call in milliseconds; overrides the cluster's `timeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * Milliseconds left of the caller's own deadline (a lookup's), when it has one. The request
   * waits for the smaller of this and its timeout. When this is the smaller, a timeout is the
   * caller running out of time, not the server failing: the call still rejects with
   * `TimeoutError`, but the server's failure streak is left alone and the request is counted in
   * `deadlineCuts`, not `timeouts`. Without it, a nearly spent deadline (a 1 ms request) would
   * count as a server failure, and under load healthy servers would be marked down.
   */
  readonly remainingMs?: number;
}

/** Options of `set`, `add` and `cas`. */
export interface StoreOptions extends CallOptions {
  /**
   * Seconds until expiry; 0 never expires. Values above 30 days (2592000) are read by memcached
   * as an absolute Unix time. Capped at the cluster's `fallbackTtlSeconds` on a fallback server.
   * @default 0
   */
  readonly ttl?: number;
  /** memcached flags; default 1 for a string value (text, as Kamailio reads it), 0 for a Buffer. */
  readonly flags?: number;
  /**
   * Send `set` or `cas` as a quiet SET (SETQ), which memcached answers only when it fails: the
   * store may wait up to 5 ms (`QUIET_HOLD_MS`) to share a write with the next request to its
   * server, and saves that server an answer. It resolves once an answer to a later request shows
   * it passed; `cas` still tells `stored`, `exists` and `not-found` apart. For stores whose
   * outcome the caller does not wait on; `add`, `addItem` and `casItem` ignore it, since they
   * return the new item's CAS token, which only an answer carries.
   * @default false
   */
  readonly quiet?: boolean;
}

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  /** Delete only if the key still holds this CAS token. */
  readonly cas?: bigint;
}

/** Options of `incr`. */
export interface IncrementOptions extends CallOptions {
  /**
   * Only the key's owner may answer: while it is down, fail with `E_SERVER_DOWN` (nothing is
   * written elsewhere or journaled) instead of creating the counter afresh on a fallback server.
   * For counters whose value matters across nodes, such as a namespace generation. @default false
   */
  readonly ownerOnly?: boolean;
  /** Value a missing counter is created with (decimal text, flags 0). @default 0n */
  readonly initial?: bigint;
  /** TTL of a counter created by this call, as in {@link StoreOptions.ttl}. @default 0 */
  readonly ttl?: number;
}

/** Result of a compare-and-swap. */
export type CasResult = 'stored' | 'exists' | 'not-found';

/** Events of {@link MemcacheCluster}. */
export interface ClusterEvents {
  /** A server failed `failureThreshold` times in a row; its keys now follow the fallback policy. */
  'server-down': [address: string, error: AuthringError];
  /** A down server answered a probe and its stale copies were removed; it takes traffic again. */
  'server-up': [address: string];
}

/** A snapshot of the cluster's counters. */
export interface ClusterStats {
  /** Ring servers, in configuration order. */
  readonly servers: readonly NodeStats[];
  /** Gutter servers, when the fallback policy is a gutter pool. */
  readonly gutter: readonly NodeStats[];
}
