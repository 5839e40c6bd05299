import { createPool, type Pool } from 'mysql2/promise';
import { InvalidArgumentError } from '../errors.js';
import { mysql2TlsOptions, type MysqlTlsOptions } from './mysql-tls.js';

/** How to reach MySQL when AuthCache creates the pool itself. */
export interface MysqlOptions {
  /** `mysql://user[:password]@host[:port]/database`; fields below override its parts. */
  readonly uri?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 3306 */
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** Connections in the pool. @default 10 */
  readonly poolSize?: number;
  /** Milliseconds to connect. @default 2000 */
  readonly connectTimeoutMs?: number;
  /** TLS: required and verified when set; plain TCP otherwise. */
  readonly tls?: MysqlTlsOptions;
  /**
   * Send the lookups' SELECTs of one event-loop turn as one multi-statement query (the pool is
   * opened with `multipleStatements`; every value is still escaped by mysql2 and every name
   * checked as a plain identifier). Under load this saves most of what each query costs the
   * node and the server. Off, each SELECT is its own query.
   * @default true for the pool AuthCache opens; false for {@link createMysqlPool} called directly
   */
  readonly batchQueries?: boolean;
}

/** Pools {@link createMysqlPool} opened for batched SELECTs. */
const BATCHING_POOLS = new WeakSet<Pool>();

/** Whether `pool` was opened by {@link createMysqlPool} with `batchQueries`. */
export function batchesQueries(pool: Pool): boolean {
  return BATCHING_POOLS.has(pool);
}

/**
 * The defaults of {@link MysqlOptions}, and of `AuthCacheOptions.queryTimeoutMs` (milliseconds
 * one SQL query may run), written once: the pool and AuthCache apply them, and the config file's
 * `mysql:` section takes them as its own.
 */
export const MYSQL_DEFAULTS = {
  host: '127.0.0.1',
  port: 3306,
  poolSize: 10,
  connectTimeoutMs: 2000,
  queryTimeoutMs: 1000,
  /** For the pool AuthCache opens; {@link createMysqlPool} called directly batches only when asked. */
  batchQueries: true,
};

/** A mysql2 pool from {@link MysqlOptions}. */
export function createMysqlPool(options: MysqlOptions): Pool {
  const url = options.uri ? new URL(options.uri) : undefined;
  if (url && url.protocol !== 'mysql:') throw new InvalidArgumentError('the MySQL URI must start with mysql://');
  const host = options.host ?? url?.hostname ?? MYSQL_DEFAULTS.host;
  const port = options.port ?? (url?.port ? Number(url.port) : MYSQL_DEFAULTS.port);
  const pool = createPool({
    host,
    port,
    user: options.user ?? (url ? decodeURIComponent(url.username) : undefined),
    password: options.password ?? (url?.password ? decodeURIComponent(url.password) : undefined),
    database: options.database ?? (url ? decodeURIComponent(url.pathname.replace(/^\//, '')) : undefined),
    connectionLimit: options.poolSize ?? MYSQL_DEFAULTS.poolSize,
    connectTimeout: options.connectTimeoutMs ?? MYSQL_DEFAULTS.connectTimeoutMs,
    // Credentials and names come back as strings exactly as stored.
    charset: 'utf8mb4',
    ...(options.tls === undefined ? {} : mysql2TlsOptions(options.tls, host, port)),
    ...(options.batchQueries === true ? { multipleStatements: true } : {}),
  });
  if (options.batchQueries === true) BATCHING_POOLS.add(pool);
  return pool;
}
