import { createMysqlPool } from '../auth/mysql-options.js';
import { SqlClient } from '../auth/sql.js';
import type { AuthringConfig } from '../config/index.js';
import { mysqlOptions } from '../runtime/from-config.js';

/**
 * Runs `work` with a small SQL client on the lookup database (no memcached, no lookups), and
 * ends the pool afterwards, whatever happens.
 */
export async function withSqlClient<T>(config: AuthringConfig, work: (sql: SqlClient) => Promise<T>): Promise<T> {
  const pool = createMysqlPool(mysqlOptions(config.mysql, 2));
  const sql = new SqlClient(pool);
  try {
    return await work(sql);
  } finally {
    await sql.drain();
    await pool.end().catch(() => undefined);
  }
}
