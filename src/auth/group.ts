import type { RowDataPacket } from 'mysql2/promise';
import type { ReadThroughCache, LookupStatus } from '../cache/engine.js';
import type { KeySpace } from './key-space.js';
import { NameNormalizer } from './collation.js';
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
    private readonly names: { user: NameNormalizer; domain: NameNormalizer; group: NameNormalizer },
    private readonly sql: string,
  ) {}

  /** Reads the columns' collations and prepares the query. */
  static async create(engine: ReadThroughCache, db: SqlClient, table: GroupTable, space: KeySpace, queryTimeoutMs: number): Promise<GroupLookup> {
    const [user, domain, group] = await Promise.all(
      [table.userColumn, table.domainColumn, table.groupColumn].map((column) =>
        NameNormalizer.forColumn(db, table.table, column, queryTimeoutMs),
      ),
    );
    const where = [`${identifier(table.userColumn)} = ?`];
    if (table.useDomain) where.push(`${identifier(table.domainColumn)} = ?`);
    where.push(`${identifier(table.groupColumn)} = ?`);
    const sql = `SELECT ${identifier(table.groupColumn)} FROM ${identifier(table.table)} WHERE ${where.join(' AND ')} LIMIT 1`;
    return new GroupLookup(engine, db, table, space, queryTimeoutMs, { user: user!, domain: domain!, group: group! }, sql);
  }

  /** The cache key of a question: one per class of spellings the database treats as equal. */
  async key(user: string, domain: string, group: string): Promise<string> {
    return this.space.key('grp', await this.parts(user, domain, group));
  }

  private async parts(user: string, domain: string, group: string): Promise<string[]> {
    const parts = [await this.names.user.normalize(user)];
    if (this.table.useDomain) parts.push(await this.names.domain.normalize(domain));
    parts.push(await this.names.group.normalize(group));
    return parts;
  }

  /** True when the user is in the group. */
  async isUserInGroup(user: string, domain: string, group: string, status?: LookupStatus): Promise<boolean> {
    const params = this.table.useDomain ? [user, domain, group] : [user, group];
    const value = await this.space.lookup(
      this.engine,
      'grp',
      await this.parts(user, domain, group),
      async ({ deadlineMs }) => {
        const rows = await this.db.select<RowDataPacket>(this.sql, params, Math.min(deadlineMs, this.queryTimeoutMs));
        return rows.length > 0 ? '1' : null;
      },
      status,
    );
    return value === '1';
  }
}
