import type { RowDataPacket } from 'mysql2/promise';
import type { SqlClient } from '../sql.js';
import type { CollationFacts, ColumnFacts } from './collation-facts.js';
import { probeCollation } from './probe.js';

/** A name column a lookup compares with `=`. */
export interface NameColumn {
  readonly table: string;
  readonly column: string;
}

/** A name column with its id computed once: for lookups that key its names on every call. */
export interface IdentifiedColumn extends NameColumn {
  /** {@link columnId} of the column. */
  readonly id: string;
}

/** `column` with its id, computed once (a lookup's hot path would otherwise build it per name). */
export function identified(column: NameColumn): IdentifiedColumn {
  return { table: column.table, column: column.column, id: columnId(column) };
}

/** `table.column`, the id of a column's facts. */
export function columnId(column: NameColumn): string {
  return `${column.table}.${column.column}`;
}

/** A column as information_schema describes it. */
export interface ColumnInfo {
  readonly table: string;
  readonly column: string;
  /** `varchar`, `varbinary`, `int`, … */
  readonly dataType: string;
  /** `varchar(64)`, … */
  readonly columnType: string;
  /** Null for binary and non-text columns. */
  readonly charset: string | null;
  /** Most bytes per character of the character set (1: an 8-bit set). */
  readonly charsetMaxBytes: number | undefined;
  readonly collation: string | null;
  readonly maxChars: number | undefined;
}

/** Every column of the named tables in the connection's database, by lower-cased `table.column`. */
export async function describeColumns(sql: SqlClient, tables: readonly string[], timeoutMs: number): Promise<Map<string, ColumnInfo>> {
  const rows = await sql.select<RowDataPacket>(
    'SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, c.DATA_TYPE AS d, c.COLUMN_TYPE AS ct, c.CHARACTER_SET_NAME AS s, ' +
      'c.COLLATION_NAME AS k, c.CHARACTER_MAXIMUM_LENGTH AS m, cs.MAXLEN AS b FROM information_schema.COLUMNS c ' +
      'LEFT JOIN information_schema.CHARACTER_SETS cs ON cs.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME ' +
      'WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME IN (?)',
    // mysql2 expands an array parameter to a list.
    [[...new Set(tables)] as unknown as string],
    timeoutMs,
  );
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
  const columns = new Map<string, ColumnInfo>();
  for (const row of rows) {
    const info: ColumnInfo = {
      table: String(row['t']),
      column: String(row['c']),
      dataType: String(row['d']).toLowerCase(),
      columnType: String(row['ct']),
      charset: text(row['s']),
      charsetMaxBytes: row['b'] === null || row['b'] === undefined ? undefined : Number(row['b']),
      collation: text(row['k']),
      maxChars: row['m'] === null || row['m'] === undefined ? undefined : Number(row['m']),
    };
    columns.set(`${info.table}.${info.column}`.toLowerCase(), info);
  }
  return columns;
}

/**
 * Learns the facts of name columns from MySQL: one information_schema query, then one probe per
 * distinct collation. A column that is not a character column is left out (the schema check
 * reports it). Throws the driver's error.
 */
export async function learnColumnFacts(
  sql: SqlClient,
  described: ReadonlyMap<string, ColumnInfo>,
  columns: readonly NameColumn[],
  timeoutMs: number,
): Promise<Map<string, ColumnFacts>> {
  const collations = new Map<string, Promise<CollationFacts>>();
  const facts = new Map<string, ColumnFacts>();
  await Promise.all(
    columns.map(async (column) => {
      const info = described.get(columnId(column).toLowerCase());
      if (!info?.charset || !info.collation) return;
      const { charset, collation } = info;
      let probing = collations.get(collation);
      if (!probing) {
        probing = probeCollation(sql, charset, collation, info.charsetMaxBytes === 1, timeoutMs);
        collations.set(collation, probing);
      }
      facts.set(columnId(column), { id: columnId(column), maxChars: info.maxChars, collation: await probing });
    }),
  );
  return facts;
}
