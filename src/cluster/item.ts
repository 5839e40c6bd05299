import type { Response } from './protocol.js';

/** memcached flags of a value written as text; Kamailio's memcached module reads flag 1 as a string. */
export const TEXT_FLAGS = 1;
/** memcached flags of a binary value and of counters (decimal text created by `incr`). */
export const BINARY_FLAGS = 0;

/** A value read from memcached. */
export interface Item {
  /** The stored bytes. */
  readonly value: Buffer;
  /** The memcached flags stored with it. */
  readonly flags: number;
  /** The compare-and-swap token, for {@link MemcacheCluster.cas}. */
  readonly cas: bigint;
}

/** An item from a GET/GETKQ hit. */
export function itemFromResponse(response: Response): Item {
  return { value: response.value, flags: response.flags, cas: response.cas };
}

/** The hits of a quiet multi-get batch, in arrival order. */
export interface BatchHits {
  /** Position, in the batch, of the key each hit answers. */
  readonly indexes: number[];
  /** The item each hit carries. */
  readonly items: Item[];
}
