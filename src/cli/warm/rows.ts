import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { AuthringConfig } from '../../config/index.js';

/** The primary key every Kamailio table has, used for keyset pagination. */
export const ID_COLUMN = 'id';

/** One row to warm: its primary key and the lookup's arguments. */
export interface WarmRow {
  readonly id: number;
  readonly user: string;
  readonly domain: string;
  /** The group, for a grp row. */
  readonly group?: string;
}

/** A table read in primary-key order. */
export interface KeysetTable {
  /** The table name (a checked identifier). */
  readonly table: string;
  /** Column expressions selected, each aliased `user`, `domain` and optionally `grp`. */
  readonly columns: string;
}

/** The subscriber table as the credentials lookup reads it. */
export function credentialsTable(config: AuthringConfig): KeysetTable {
  const c = config.lookups.credentials;
  return { table: c.table, columns: `${quote(c.userColumn)} AS user, ${quote(c.domainColumn)} AS domain` };
}

/** The grp table as the group lookup reads it. */
export function groupsTable(config: AuthringConfig): KeysetTable {
  const g = config.lookups.group;
  return { table: g.table, columns: `${quote(g.userColumn)} AS user, ${quote(g.domainColumn)} AS domain, ${quote(g.groupColumn)} AS grp` };
}

/** Rows after `afterId` (exclusive), at most `limit`, in primary-key order: one keyset page. */
export async function pageAfter(pool: Pool, source: KeysetTable, afterId: number, limit: number, timeoutMs: number): Promise<WarmRow[]> {
  const id = quote(ID_COLUMN);
  const sql = `SELECT ${id} AS id, ${source.columns} FROM ${quote(source.table)} WHERE ${id} > ? ORDER BY ${id} LIMIT ?`;
  const [rows] = await pool.query<RowDataPacket[]>({ sql, values: [afterId, limit], timeout: timeoutMs });
  return rows.map((row) => ({
    id: Number(row['id']),
    user: text(row['user']),
    domain: text(row['domain']),
    ...(row['grp'] === undefined ? {} : { group: text(row['grp']) }),
  }));
}

/** Rows of a table after `afterId` (all of them for 0). */
export async function countAfter(pool: Pool, table: string, afterId: number, timeoutMs: number): Promise<number> {
  const id = quote(ID_COLUMN);
  const [rows] = await pool.query<RowDataPacket[]>({ sql: `SELECT COUNT(*) AS n FROM ${quote(table)} WHERE ${id} > ?`, values: [afterId], timeout: timeoutMs });
  return Number(rows[0]?.['n'] ?? 0);
}

/** Quotes an identifier the config has already checked (`[A-Za-z_][A-Za-z0-9_]*`). */
function quote(identifier: string): string {
  return `\`${identifier.replace(/`/g, '``')}\``;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}
