import type { Pool, RowDataPacket } from 'mysql2/promise';
import { createMysqlPool } from '../../auth/mysql-options.js';
import { describeColumns } from '../../auth/names/learn.js';
import { schemaProblems, tableUses, type TableUse } from '../../auth/schema.js';
import { SqlClient } from '../../auth/sql.js';
import type { AuthringConfig } from '../../config/index.js';
import { mysqlOptions } from '../../runtime/from-config.js';
import { describeSchemaProblem } from '../../errors.js';
import { elapsedMs } from '../deadline.js';
import { errorMessage } from '../exit.js';
import type { CheckResult } from './types.js';

/**
 * Reaches MySQL (`SELECT 1`, with the server version) and checks through information_schema that
 * each lookup table exists with its configured columns. One result for the server, one per table
 * (down when the server is). Ends its connection.
 */
export async function probeMysql(config: AuthringConfig, timeoutMs: number): Promise<CheckResult[]> {
  const { mysql } = config;
  const server = `${mysql.host.includes(':') ? `[${mysql.host}]` : mysql.host}:${mysql.port}`;
  // Only the enabled lookups' tables: a deployment may run without the others.
  const tables = tableUses(config.lookups);
  const tableResult = (use: TableUse, error: string | undefined): CheckResult => ({
    server: `${mysql.database}.${use.table}`,
    kind: 'table',
    status: error === undefined ? 'up' : 'down',
    columns: use.columns.map((c) => c.column),
    ...(error === undefined ? {} : { error }),
  });
  const pool = createMysqlPool({ ...mysqlOptions(mysql, 1), connectTimeoutMs: Math.min(mysql.connectTimeoutMs, timeoutMs) });
  try {
    await select(pool, 'SELECT 1 AS ok', [], timeoutMs); // connects
    const start = performance.now();
    const [row] = await select(pool, 'SELECT 1 AS ok, VERSION() AS version', [], timeoutMs);
    const latencyMs = elapsedMs(start);
    const described = tables.length === 0 ? new Map() : await describeColumns(new SqlClient(pool), tables.map((t) => t.table), timeoutMs);
    const problems = schemaProblems(tables, described, mysql.database);
    const problemsOf = (use: TableUse): string | undefined => {
      const found = problems.filter((p) => p.path.startsWith(`lookups.${use.lookup}.`)).map(describeSchemaProblem);
      return found.length === 0 ? undefined : found.join('; ');
    };
    return [{ server, kind: 'mysql', status: 'up', version: String(row?.['version'] ?? ''), latencyMs }, ...tables.map((use) => tableResult(use, problemsOf(use)))];
  } catch (error) {
    const message = errorMessage(error) || String((error as { code?: unknown }).code ?? 'unknown error');
    return [{ server, kind: 'mysql', status: 'down', error: message }, ...tables.map((spec) => tableResult(spec, 'MySQL is not reachable'))];
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function select(pool: Pool, sql: string, values: unknown[], timeoutMs: number): Promise<RowDataPacket[]> {
  const [rows] = await pool.query<RowDataPacket[]>({ sql, values, timeout: timeoutMs });
  return rows;
}
