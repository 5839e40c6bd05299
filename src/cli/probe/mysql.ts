import type { Pool, RowDataPacket } from 'mysql2/promise';
import { createMysqlPool } from '../../auth/auth-cache.js';
import type { AuthringConfig } from '../../config/index.js';
import { elapsedMs } from '../deadline.js';
import { errorMessage } from '../errors.js';
import { mysqlOptions } from '../mysql.js';
import type { CheckResult } from './types.js';

/** A table the lookups read, with the columns the config names. */
interface TableSpec {
  readonly table: string;
  readonly columns: readonly string[];
}

/** The three tables of the lookups and their configured columns. */
export function configuredTables(config: AuthringConfig): TableSpec[] {
  const { group, credentials, address } = config.lookups;
  return [
    { table: group.table, columns: [group.userColumn, group.domainColumn, group.groupColumn] },
    {
      table: credentials.table,
      columns: [
        credentials.userColumn,
        credentials.domainColumn,
        credentials.passwordColumn,
        credentials.passwordColumn2,
        ...(credentials.calculateHa1 ? [credentials.plainPasswordColumn] : []),
      ],
    },
    { table: address.table, columns: [address.groupColumn, address.ipColumn, address.maskColumn, address.portColumn, address.tagColumn] },
  ];
}

/**
 * Reaches MySQL (`SELECT 1`, with the server version) and checks through information_schema that
 * each lookup table exists with its configured columns. One result for the server, one per table
 * (down when the server is). Ends its connection.
 */
export async function probeMysql(config: AuthringConfig, timeoutMs: number): Promise<CheckResult[]> {
  const { mysql } = config;
  const server = `${mysql.host.includes(':') ? `[${mysql.host}]` : mysql.host}:${mysql.port}`;
  const tables = configuredTables(config);
  const tableResult = (spec: TableSpec, error: string | undefined): CheckResult => ({
    server: `${mysql.database}.${spec.table}`,
    kind: 'table',
    status: error === undefined ? 'up' : 'down',
    columns: spec.columns,
    ...(error === undefined ? {} : { error }),
  });
  const pool = createMysqlPool({ ...mysqlOptions(config, 1), connectTimeoutMs: Math.min(mysql.connectTimeoutMs, timeoutMs) });
  try {
    await select(pool, 'SELECT 1 AS ok', [], timeoutMs); // connects
    const start = performance.now();
    const [row] = await select(pool, 'SELECT 1 AS ok, VERSION() AS version', [], timeoutMs);
    const latencyMs = elapsedMs(start);
    const found = await columnsOf(pool, tables.map((t) => t.table), timeoutMs);
    return [
      { server, kind: 'mysql', status: 'up', version: String(row?.['version'] ?? ''), latencyMs },
      ...tables.map((spec) => tableResult(spec, tableProblem(spec, found.get(spec.table)))),
    ];
  } catch (error) {
    const message = errorMessage(error) || String((error as { code?: unknown }).code ?? 'unknown error');
    return [{ server, kind: 'mysql', status: 'down', error: message }, ...tables.map((spec) => tableResult(spec, 'MySQL is not reachable'))];
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** The lowercased column names of each named table in the connection's database. */
async function columnsOf(pool: Pool, tables: readonly string[], timeoutMs: number): Promise<Map<string, Set<string>>> {
  const rows = await select(
    pool,
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)',
    [[...tables]],
    timeoutMs,
  );
  const result = new Map<string, Set<string>>();
  for (const row of rows) {
    const table = String(row['t']);
    const columns = result.get(table) ?? new Set<string>();
    columns.add(String(row['c']).toLowerCase());
    result.set(table, columns);
  }
  return result;
}

/** What is wrong with a table, or undefined. MySQL column names are case-insensitive. */
function tableProblem(spec: TableSpec, columns: Set<string> | undefined): string | undefined {
  if (!columns) return `table ${spec.table} does not exist`;
  const missing = spec.columns.filter((c) => !columns.has(c.toLowerCase()));
  return missing.length === 0 ? undefined : `missing column${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`;
}

async function select(pool: Pool, sql: string, values: unknown[], timeoutMs: number): Promise<RowDataPacket[]> {
  const [rows] = await pool.query<RowDataPacket[]>({ sql, values, timeout: timeoutMs });
  return rows;
}
