import type { MemcacheCluster } from '../../cluster/cluster.js';
import type { ValueCodec } from '../codec.js';
import { encodeBeat, encodeRecord, FEED_TTL_S, FeedKeys, MAX_RECORD_BYTES, splitVersionedKey, type FeedRecord } from './feed-format.js';

/** What the writer needs from memcached. */
export type FeedWriterStore = Pick<MemcacheCluster, 'incr' | 'set'>;

/**
 * Publishes invalidations to the feed nodes follow (see ./feed-format.ts). Call it only after the
 * memcached deletes it reports: a record is numbered after them, so a node that has seen a
 * number knows every delete of the records up to it is done, and what it reads from memcached
 * afterwards is never older than them.
 *
 * The counter is created with the current time in milliseconds (as the namespace generation),
 * so a counter lost with its server comes back far ahead of every number used before: followers
 * see a gap and drop their entries instead of mistaking new records for old ones.
 */
export class FeedWriter {
  constructor(
    private readonly store: FeedWriterStore,
    /** The feed's keys. */
    readonly keys: FeedKeys,
    private readonly codec: ValueCodec,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Publishes the namespace keys (`<prefix><generation>:<rest>`, as memcached holds them) whose
   * answers changed; keys of other shapes are left out. Resolves with the last record's number.
   */
  async publishKeys(keys: readonly string[]): Promise<bigint | undefined> {
    const local = new Set<string>();
    for (const key of keys) {
      const split = splitVersionedKey(this.keys.prefix, key);
      if (split) local.add(split.local);
    }
    let last: bigint | undefined;
    for (const chunk of chunks([...local])) last = await this.publish((n) => ({ n, kind: 'keys', keys: chunk }));
    return last;
  }

  /** Publishes "everything changed": a new namespace generation. */
  publishAll(generation: bigint): Promise<bigint> {
    return this.publish((n) => ({ n, kind: 'all', generation }));
  }

  /**
   * The watcher's heartbeat: an empty record, then the beat naming it. `lagMs` is how long ago the
   * watcher's last complete read of the change log began (every change committed before it has
   * been published); `generation` the namespace generation its deletes went to.
   */
  async beat(lagMs: number, generation: bigint): Promise<bigint> {
    const seq = await this.publish((n) => ({ n, kind: 'keys', keys: [] }));
    await this.write(this.keys.beat, encodeBeat({ seq, lagMs, generation }));
    return seq;
  }

  private async publish(record: (n: bigint) => FeedRecord): Promise<bigint> {
    const n = await this.store.incr(this.keys.seq, 1n, { initial: BigInt(Math.floor(this.now())), ownerOnly: true });
    await this.write(this.keys.slot(n), encodeRecord(record(n)));
    return n;
  }

  private async write(key: string, text: string): Promise<void> {
    await this.store.set(key, this.codec.encode(key, text, this.now() + FEED_TTL_S * 1000), { ttl: FEED_TTL_S });
  }
}

/** Keys split into lists whose record text stays under {@link MAX_RECORD_BYTES}. */
function* chunks(keys: readonly string[]): Generator<string[]> {
  let chunk: string[] = [];
  let bytes = 0;
  for (const key of keys) {
    const size = Buffer.byteLength(key, 'utf8') + 1;
    if (chunk.length > 0 && bytes + size > MAX_RECORD_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(key);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
