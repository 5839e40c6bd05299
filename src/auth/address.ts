import type { RowDataPacket } from 'mysql2/promise';
import type { LookupStatus } from '../cache/engine.js';
import { SingleFlight } from '../cache/single-flight.js';
import { AddressTable, parseAddressRows, type AddressRow } from './address-table.js';
import type { KeyedKind, KeySpace } from './key-space.js';
import type { LookupDeadline } from './lookup-deadline.js';
import { identifier, type SqlClient } from './sql.js';
import type { AddressTableColumns } from './tables.js';

/** The key parts of the table's one entry. */
const ADDRESS_PARTS = ['table'];

/**
 * The permissions module's address checks. Kamailio keeps this small, prefix-matched table whole
 * in memory; so does authring: the table is one cache entry (so one SQL query fills every node),
 * parsed into an in-process {@link AddressTable}. Each node re-reads the entry at most every
 * `checkMs`, so an invalidation reaches every node within that interval; if both memcached and
 * MySQL fail, the last table keeps answering.
 */
export class AddressLookup {
  private table: AddressTable | undefined;
  private text: string | undefined;
  /** The rows of the last entry the validator accepted, so a changed table is parsed once. */
  private validated: { readonly text: string; readonly rows: AddressRow[] } | undefined;
  private checkedAt = -Infinity;
  /** Whether the last refresh kept the old table because memcached and MySQL failed. */
  private keptStale = false;
  private readonly refresh = new SingleFlight<AddressTable>();
  private readonly sql: string;

  /** What the engine loads and reads: the table's text, checked by {@link validate}. */
  private readonly kind: KeyedKind<string | null, undefined> = {
    name: 'address',
    load: () => this.load(),
    read: (text) => (this.validate(text) ? text : undefined),
    answer: (value) => value,
  };

  constructor(
    private readonly db: SqlClient,
    columns: AddressTableColumns,
    private readonly space: KeySpace,
    private readonly queryTimeoutMs: number,
    private readonly checkMs: number,
    private readonly now: () => number = Date.now,
  ) {
    const c = columns;
    this.sql =
      `SELECT ${identifier(c.groupColumn)} AS grp, ${identifier(c.ipColumn)} AS ip, ${identifier(c.maskColumn)} AS mask, ` +
      `${identifier(c.portColumn)} AS port, ${identifier(c.tagColumn)} AS tag FROM ${identifier(c.table)}`;
  }

  /** The cache key of the whole table. */
  key(): Promise<string> {
    return this.space.key('address', ADDRESS_PARTS);
  }

  /** Kamailio's `allow_address(group, ip, port)`; port 0 matches only rows with port 0. */
  async allowAddress(ip: string, group: number, port: number, deadline: LookupDeadline, status?: LookupStatus): Promise<boolean> {
    return (await this.current(deadline, status)).allows(ip, group, port);
  }

  /** Drops the in-process copy so the next check re-reads the cache. */
  forget(): void {
    this.checkedAt = -Infinity;
  }

  private async current(deadline: LookupDeadline, status?: LookupStatus): Promise<AddressTable> {
    if (this.table && this.now() - this.checkedAt < this.checkMs) {
      if (status) status.source = 'cache';
      return this.table;
    }
    const { promise, joined } = this.refresh.run('table', async () => {
      this.keptStale = false;
      try {
        const text = await this.space.lookup(this.kind, ADDRESS_PARTS, undefined, deadline, status);
        if (text !== this.text || !this.table) {
          const rows = text === null ? [] : this.validated?.text === text ? this.validated.rows : parseAddressRows(text);
          this.table = new AddressTable(rows ?? []);
          this.text = text ?? undefined;
          this.validated = undefined;
        }
      } catch (error) {
        if (!this.table) throw error;
        this.keptStale = true;
        if (status) status.source = 'stale';
      }
      this.checkedAt = this.now();
      return this.table;
    });
    if (!joined) return promise;
    const table = await promise;
    // Answered by the refresh another check started: a shared load, as a joined flight is.
    if (status) status.source = this.keptStale ? 'stale' : 'peer';
    return table;
  }

  /** True when `text` is a table entry this lookup could have written; the table in use needs no second look. */
  private validate(text: string): boolean {
    if (text === this.text) return true;
    const rows = parseAddressRows(text);
    if (rows) this.validated = { text, rows };
    return rows !== undefined;
  }

  /** Reads the table; the query may outlive the caller's deadline and then fills the cache. */
  private async load(): Promise<string> {
    const rows = await this.db.select<RowDataPacket>(this.sql, [], this.queryTimeoutMs);
    const table: AddressRow[] = rows.map((row) => ({
      group: Number(row['grp']),
      ip: String(row['ip']),
      mask: Number(row['mask']),
      port: Number(row['port']),
      tag: row['tag'] === null || row['tag'] === undefined ? null : String(row['tag']),
    }));
    return JSON.stringify(table);
  }
}
