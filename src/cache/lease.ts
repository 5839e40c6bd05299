import type { Item } from '../cluster/item.js';

/**
 * A lease is an entry placed at the key itself while one caller loads it. Because it sits at the
 * key, an invalidation (a delete) removes it, and the loader's final compare-and-swap against
 * the lease's CAS token then fails: a load that raced an invalidation never stores its result
 * (Facebook's memcache lease, built on CAS).
 *
 * The marker's flags have bit 0 clear and its text is not a number, so Kamailio's `$mct()` reads
 * it as no value, i.e. a miss.
 */
export const LEASE_FLAGS = 0x4c450000;
/** The marker's text. */
export const LEASE_VALUE = '~lease';

/** True when an item is a lease marker rather than a value. */
export function isLease(item: Item): boolean {
  return item.flags === LEASE_FLAGS;
}

/** Milliseconds to wait before poll number `attempt` (0-based) for a peer's result. */
export function pollDelay(attempt: number): number {
  return Math.min(50, 5 * 2 ** attempt);
}

/** Resolves after `ms` milliseconds without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
