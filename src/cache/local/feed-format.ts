/**
 * The invalidation feed's layout in memcached, shared by its writer (the change watcher and every
 * explicit invalidation) and its followers (every node's local tier):
 *
 * - `<prefix>feed:seq`: a counter; each record takes the next number.
 * - `<prefix>feed:<n mod ringSize>`: the ring of records; slot text starts with the record's own
 *   number, so a reader tells record `n` from an older one not yet replaced and from a newer one
 *   that overwrote it (a gap it cannot close).
 * - `<prefix>feed:beat`: the heartbeat, naming the last record of a watcher's poll and how long
 *   before it was written the poll began reading the change log.
 *
 * Keys in records are namespace keys without their generation (`<prefix><rest>`), so a record
 * written under one generation still names the same question under another.
 */

/** Records in the ring: a follower more than this many records behind has lost some. */
export const DEFAULT_RING_SIZE = 1024;

/** Seconds feed items live; a follower reads them within milliseconds, a lost one is a gap. */
export const FEED_TTL_S = 86_400;

/** Largest record text; more keys are split over several records. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** The feed's memcached keys under one key prefix. */
export class FeedKeys {
  /** The record counter. */
  readonly seq: string;
  /** The heartbeat. */
  readonly beat: string;

  constructor(
    /** `cache.key_prefix`. */
    readonly prefix: string,
    /** Slots in the ring. */
    readonly ringSize: number = DEFAULT_RING_SIZE,
  ) {
    this.seq = `${prefix}feed:seq`;
    this.beat = `${prefix}feed:beat`;
  }

  /** The slot holding record `n`. */
  slot(n: bigint): string {
    return `${this.prefix}feed:${n % BigInt(this.ringSize)}`;
  }
}

/** One record: keys whose answers changed, or everything (a new namespace generation). */
export type FeedRecord =
  | { readonly n: bigint; readonly kind: 'keys'; readonly keys: readonly string[] }
  | { readonly n: bigint; readonly kind: 'all'; readonly generation: bigint };

/** The heartbeat's claim. */
export interface FeedBeat {
  /** The record its writer published with it: every record up to it was numbered before. */
  readonly seq: bigint;
  /**
   * Milliseconds between the start of the watcher's last complete read of the change log and the
   * write of this beat: every change committed before that read has a record numbered up to `seq`.
   */
  readonly lagMs: number;
  /** The namespace generation the watcher's deletes went to. */
  readonly generation: bigint;
}

const RECORD_TAG = 'f1';
const BEAT_TAG = 'b1';

/** A record as slot text: `f1 <n> k` then one key a line, or `f1 <n> a <generation>`. */
export function encodeRecord(record: FeedRecord): string {
  if (record.kind === 'all') return `${RECORD_TAG} ${record.n} a ${record.generation}`;
  return [`${RECORD_TAG} ${record.n} k`, ...record.keys].join('\n');
}

/** A slot's record, or undefined when the text is not one (foreign or damaged: read as absent). */
export function decodeRecord(text: string): FeedRecord | undefined {
  const end = text.indexOf('\n');
  const head = (end < 0 ? text : text.slice(0, end)).split(' ');
  if (head[0] !== RECORD_TAG || !isCount(head[1])) return undefined;
  const n = BigInt(head[1]);
  if (head[2] === 'a' && head.length === 4 && isCount(head[3])) return { n, kind: 'all', generation: BigInt(head[3]) };
  if (head[2] !== 'k' || head.length !== 3) return undefined;
  return { n, kind: 'keys', keys: end < 0 ? [] : text.slice(end + 1).split('\n') };
}

/** The heartbeat as text: `b1 <seq> <lagMs> <generation>`. */
export function encodeBeat(beat: FeedBeat): string {
  return `${BEAT_TAG} ${beat.seq} ${Math.max(0, Math.ceil(beat.lagMs))} ${beat.generation}`;
}

/** The heartbeat, or undefined when the text is not one. */
export function decodeBeat(text: string): FeedBeat | undefined {
  const parts = text.split(' ');
  if (parts.length !== 4 || parts[0] !== BEAT_TAG || !isCount(parts[1]) || !isCount(parts[2]) || !isCount(parts[3])) return undefined;
  return { seq: BigInt(parts[1]), lagMs: Number(parts[2]), generation: BigInt(parts[3]) };
}

/**
 * Splits a namespace key `<prefix><generation>:<rest>` into its generation and the key without
 * it (`<prefix><rest>`), the form records and local entries use; undefined for any other key.
 */
export function splitVersionedKey(prefix: string, key: string): { readonly generation: bigint; readonly local: string } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const colon = key.indexOf(':', prefix.length);
  const digits = key.slice(prefix.length, colon);
  if (colon < 0 || !isCount(digits)) return undefined;
  return { generation: BigInt(digits), local: prefix + key.slice(colon + 1) };
}

function isCount(text: string | undefined): text is string {
  return text !== undefined && /^\d{1,20}$/.test(text);
}
