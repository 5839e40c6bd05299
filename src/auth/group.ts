import type { RowDataPacket } from 'mysql2/promise';
import type { ReadThroughCache, LookupStatus } from '../cache/engine.js';
import type { KeySpace } from './key-space.js';
import { isKeyed, NO_ROW_PART } from './names/key-part.js';
import type { LookupDeadline } from './lookup-deadline.js';
import type { NameKeys } from './names/name-keys.js';
import { identified, type IdentifiedColumn } from './names/learn.js';
import { identifier, type SqlClient } from './sql.js';
import type { GroupTable } from './tables.js';

/**
 * `is_user_in` of Kamailio's group module: is there a `grp` row for this user (and domain, with
 * `use_domain`) and group? Cached per (user, [domain,] group) as `1`, or as a negative entry
 * (`0` in the plain codec); Kamailio's `$mct()` reads both (it reads an empty value as no entry).
 */
export class GroupLookup {
  private constructor(
    private readonly engine: ReadThroughCache,
    private readonly db: SqlClient,
    private readonly table: GroupTable,
    private readonly space: KeySpace,
    private readonly queryTimeoutMs: number,
    private readonly names: NameKeys,
    private readonly sql: string,
    /** The user, domain and group columns, identified once rather than per lookup. */
    private readonly columns: { readonly user: IdentifiedColumn; readonly domain: IdentifiedColumn; readonly group: IdentifiedColumn },
  ) {}

  /** Prepares the query; names are keyed through `names`. */
  static create(engine: ReadThroughCache, db: SqlClient, table: GroupTable, space: KeySpace, queryTimeoutMs: number, names: NameKeys): GroupLookup {
    const where = [`${identifier(table.userColumn)} = ?`];
    if (table.useDomain) where.push(`${identifier(table.domainColumn)} = ?`);
    where.push(`${identifier(table.groupColumn)} = ?`);
    const sql = `SELECT ${identifier(table.groupColumn)} FROM ${identifier(table.table)} WHERE ${where.join(' AND ')} LIMIT 1`;
    const columns = {
      user: identified({ table: table.table, column: table.userColumn }),
      domain: identified({ table: table.table, column: table.domainColumn }),
      group: identified({ table: table.table, column: table.groupColumn }),
    };
    return new GroupLookup(engine, db, table, space, queryTimeoutMs, names, sql, columns);
  }

  /** The cache key of a question: one per class of spellings the database treats as equal. */
  async key(user: string, domain: string, group: string): Promise<string> {
    return this.space.key('grp', (await this.parts(user, domain, group, 'key')).map((part) => part ?? NO_ROW_PART));
  }

  /** The key parts of the question's names; an undefined part is a name no row can equal. */
  private async parts(user: string, domain: string, group: string, deadline: LookupDeadline | 'key'): Promise<(string | undefined)[]> {
    const { names, columns, queryTimeoutMs } = this;
    // Names are mostly keyed at once: only a part MySQL must weigh is awaited.
    const user1 = names.partSoon(columns.user, user, queryTimeoutMs, deadline);
    const parts = [typeof user1 === 'object' ? await user1 : user1];
    if (this.table.useDomain) {
      const domain1 = names.partSoon(columns.domain, domain, queryTimeoutMs, deadline);
      parts.push(typeof domain1 === 'object' ? await domain1 : domain1);
    }
    const group1 = names.partSoon(columns.group, group, queryTimeoutMs, deadline);
    parts.push(typeof group1 === 'object' ? await group1 : group1);
    return parts;
  }

  /** True when the user is in the group. */
  async isUserInGroup(user: string, domain: string, group: string, deadline: LookupDeadline, status?: LookupStatus): Promise<boolean> {
    const params = this.table.useDomain ? [user, domain, group] : [user, group];
    const parts = await this.parts(user, domain, group, deadline);
    if (!isKeyed(parts)) return false;
    const value = await this.space.lookup(
      this.engine,
      'grp',
      parts,
      // The query may outlive the caller's deadline (which fails with DeadlineError, never with
      // the query's own timeout) and then fills the cache for the next caller.
      async () => {
        const rows = await this.db.select<RowDataPacket>(this.sql, params, this.queryTimeoutMs);
        return rows.length > 0 ? '1' : null;
      },
      deadline,
      status,
      // A member is `1`; a non-member is a negative entry, never a value.
      (text) => text === '1',
    );
    return value === '1';
  }
}
