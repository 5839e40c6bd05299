import type { ValueCodec } from '../../cache/codec.js';
import type { MemcacheCluster } from '../../cluster/cluster.js';
import { decodeColumnFacts, encodeColumnFacts, type ColumnFacts } from './collation-facts.js';
import { columnId, type NameColumn } from './learn.js';

/** How long a stored fact is valid for the codec: facts do not expire, the MySQL schema changes them. */
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * The name columns' facts, kept in memcached at `<key_prefix>facts:<table>.<column>` by every node
 * that learnt them from MySQL, so a node that starts while MySQL is down can still build keys
 * and serve what the cache holds. Entries go through the cache's codec (signed or encrypted
 * deployments reject forged facts) and never expire (memcached may still evict them).
 */
export class FactStore {
  constructor(
    private readonly cluster: MemcacheCluster,
    private readonly keyPrefix: string,
    private readonly codec: ValueCodec,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The memcached key of a column's facts. */
  key(column: NameColumn): string {
    return `${this.keyPrefix}facts:${columnId(column)}`;
  }

  /** Stores facts; a failure is left to the next node that learns them. */
  async save(facts: Iterable<ColumnFacts>): Promise<void> {
    await Promise.allSettled(
      [...facts].map((column) => {
        const key = `${this.keyPrefix}facts:${column.id}`;
        const value = this.codec.encode(key, encodeColumnFacts(column), this.now() + TEN_YEARS_MS);
        return this.cluster.set(key, value, { ttl: 0, timeoutMs: this.timeoutMs });
      }),
    );
  }

  /** The stored facts of the columns found, valid and authentic; none when memcached fails. */
  async load(columns: readonly NameColumn[]): Promise<ColumnFacts[]> {
    let items;
    try {
      items = await this.cluster.getMulti(columns.map((c) => this.key(c)), { timeoutMs: this.timeoutMs });
    } catch {
      return [];
    }
    const found: ColumnFacts[] = [];
    for (const column of columns) {
      const item = items.get(this.key(column));
      if (!item) continue;
      const decoded = this.codec.decode(this.key(column), item.value.toString('utf8'));
      if (decoded.kind !== 'value' || decoded.value === null) continue;
      const facts = decodeColumnFacts(decoded.value, columnId(column));
      if (facts) found.push(facts);
    }
    return found;
  }
}
