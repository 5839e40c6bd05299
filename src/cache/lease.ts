import type { Item } from '../cluster/item.js';
import type { ValueCodec } from './codec.js';
import { sameTag } from './codec.js';

/**
 * A lease is an entry placed at the key itself while one caller (the leader) loads it. Because it
 * sits at the key, an invalidation (a delete) removes it, and the leader's final compare-and-swap
 * against the lease's CAS token then fails: a load that raced an invalidation never stores its
 * result (Facebook's memcache lease, built on CAS).
 *
 * The marker's flags have bit 0 clear and its text is not a number, so Kamailio's `$mct()` reads
 * it as no value, i.e. a miss.
 */
export const LEASE_FLAGS = 0x4c450000;
/**
 * How long a load's lease holds past its leader's last word, in ms: a leader that died is found
 * out this long after (plus a grace), where `leaseMs` (the longest a lease may hold) would make
 * every node asking the key wait, or miss its deadline, for all of it. Long enough that a leader
 * whose event loop stalls for a while is not taken for dead.
 */
export const LEASE_WINDOW_MS = 500;
/** How often a leader whose load is still running extends its lease, in ms. */
export const LEASE_REFRESH_MS = 100;
/** The text every marker starts with. */
export const LEASE_VALUE = '~lease';

/** What a marker tells the nodes that find it about the load behind it. */
export interface LeaseMarker {
  /** When the leader took the lease: ms since the epoch, on the leader's clock. */
  readonly startedAt: number;
  /** How long after `startedAt` the leader may still store its result: its remaining deadline. */
  readonly holdMs: number;
  /** The leader's estimate of how long its load takes (recent loads), in ms. */
  readonly expectMs: number;
}

/** What reading a marker gave: its fields, or why it cannot be trusted. */
export type ReadLease = { readonly kind: 'lease'; readonly marker: LeaseMarker } | { readonly kind: 'forged' | 'malformed' };

const VERSION = '1';
const MARKER = /^~lease:1:(\d{1,15}):(\d{1,9}):(\d{1,9})(?::([A-Za-z0-9_-]{1,86}))?$/;

/** True when an item is a lease marker rather than a value. */
export function isLease(item: Item): boolean {
  return item.flags === LEASE_FLAGS;
}

/**
 * The marker text for `key`: `~lease:1:<startedAt>:<holdMs>:<expectMs>`, followed by `:<tag>`
 * when the codec authenticates markers (signed, encrypted), so a marker cannot be planted or moved
 * to another key by someone without the secret.
 */
export function encodeLease(codec: ValueCodec, key: string, marker: LeaseMarker): string {
  const text = `${LEASE_VALUE}:${VERSION}:${Math.floor(marker.startedAt)}:${Math.ceil(marker.holdMs)}:${Math.ceil(marker.expectMs)}`;
  const tag = codec.markerTag?.(key, text);
  return tag === undefined ? text : `${text}:${tag}`;
}

/**
 * Reads a marker found at `key`. With an authenticating codec a marker without a valid tag is
 * `forged`; with the plain codec one that does not parse is `malformed`. Either way nobody is
 * loading behind it that this node can trust, so it is replaced at once.
 */
export function decodeLease(codec: ValueCodec, key: string, stored: string): ReadLease {
  const parts = MARKER.exec(stored);
  const authenticated = codec.markerTag !== undefined;
  if (!parts) return { kind: authenticated ? 'forged' : 'malformed' };
  const [, startedAt = '', holdMs = '', expectMs = '', tag] = parts;
  if (authenticated) {
    const text = stored.slice(0, stored.length - (tag === undefined ? 0 : tag.length + 1));
    const expected = codec.markerTag?.(key, text);
    if (tag === undefined || expected === undefined || !sameTag(tag, expected)) return { kind: 'forged' };
  }
  return { kind: 'lease', marker: { startedAt: Number(startedAt), holdMs: Number(holdMs), expectMs: Number(expectMs) } };
}

/** Resolves after `ms` milliseconds without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
