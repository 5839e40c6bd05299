import { createMysqlPool, type MysqlOptions } from '../auth/auth-cache.js';
import { mysqlTls } from '../auth/from-config.js';
import { SqlClient } from '../auth/sql.js';
import type { AuthringConfig } from '../config/index.js';

/**
 * The command line's MySQL pool options from the config file: the same server, account and
 * connect timeout as the lookups, with a pool size of the command's own.
 */
export function mysqlOptions(config: AuthringConfig, poolSize: number): MysqlOptions {
  const { mysql } = config;
  return {
    host: mysql.host,
    port: mysql.port,
    user: mysql.user,
    password: mysql.password,
    database: mysql.database,
    poolSize,
    connectTimeoutMs: mysql.connectTimeoutMs,
    ...(mysql.tls === undefined ? {} : { tls: mysqlTls(mysql.tls) }),
  };
}

/**
 * Runs `work` with a small SQL client on the lookup database (no memcached, no lookups), and
 * ends the pool afterwards, whatever happens.
 */
export async function withSqlClient<T>(config: AuthringConfig, work: (sql: SqlClient) => Promise<T>): Promise<T> {
  const pool = createMysqlPool(mysqlOptions(config, 2));
  const sql = new SqlClient(pool);
  try {
    return await work(sql);
  } finally {
    await sql.drain();
    await pool.end().catch(() => undefined);
  }
}
