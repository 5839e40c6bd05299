import { ConfigContext, type Env } from './context.js';
import { MapReader } from './reader.js';
import { CACHE_KEYS, readCache } from './sections/cache.js';
import { KAMAILIO_KEYS, readKamailio } from './sections/kamailio.js';
import { LOOKUPS_KEYS, readLookups } from './sections/lookups.js';
import { MEMCACHED_KEYS, readMemcached } from './sections/memcached.js';
import { METRICS_KEYS, readMetrics } from './sections/metrics.js';
import { MYSQL_KEYS, readMysql } from './sections/mysql.js';
import type { AuthringConfig } from './types.js';

/** The top-level keys of a config file. */
export const TOP_LEVEL_KEYS = ['memcached', 'mysql', 'cache', 'lookups', 'metrics', 'kamailio'] as const;

/**
 * Parses and validates one config file's text (YAML, or JSON, which is YAML), applies every
 * default, and reads the secrets it points to (`password_env`, `password_file`, `secret_env`,
 * `secret_file`; relative files are taken from `fileName`'s directory). Synchronous.
 *
 * @param fileName names the file in messages, as `fileName:line:column`.
 * @param env where `*_env` keys are looked up.
 * @returns the resolved config, with legal-but-risky settings listed in `warnings`.
 * @throws ConfigError listing every problem found (syntax, types, ranges, unknown keys, missing
 *   keys, unreadable secrets), each with its line, column and dotted field.
 */
export function parseConfig(text: string, fileName: string, env: Env = process.env): AuthringConfig {
  const ctx = new ConfigContext(text, fileName, env);
  if (ctx.root === undefined) {
    const expected = 'a mapping with at least `memcached` and `mysql`';
    ctx.problem(undefined, undefined, expected, `the file is empty; expected ${expected}`);
  }
  const root = new MapReader(ctx, ctx.root, '', TOP_LEVEL_KEYS, undefined);
  if (!root.has('memcached')) root.missing('memcached');
  if (!root.has('mysql')) root.missing('mysql');
  const memcached = readMemcached(ctx, root.map('memcached', MEMCACHED_KEYS));
  const mysqlSection = root.map('mysql', MYSQL_KEYS);
  const mysql = readMysql(ctx, mysqlSection);
  const cacheSection = root.map('cache', CACHE_KEYS);
  const cache = readCache(ctx, cacheSection);
  const lookups = readLookups(root.map('lookups', LOOKUPS_KEYS));
  const metrics = readMetrics(root.map('metrics', METRICS_KEYS));
  const kamailio = readKamailio(ctx, root.map('kamailio', KAMAILIO_KEYS), cache.ttlSeconds);
  warnLeaseShorterThanQuery(ctx, cacheSection, mysqlSection, cache.leaseMs, mysql.queryTimeoutMs);
  ctx.throwIfIssues();
  return { file: fileName, memcached, mysql, cache, lookups, metrics, kamailio, warnings: ctx.warningList() };
}

/** A lease that ends before the query it covers lets every other node query MySQL as well. */
function warnLeaseShorterThanQuery(
  ctx: ConfigContext,
  cache: MapReader<string>,
  mysql: MapReader<string>,
  leaseMs: number,
  queryTimeoutMs: number,
): void {
  if (leaseMs >= queryTimeoutMs) return;
  const text = `${leaseMs} ms is below mysql.query_timeout_ms (${queryTimeoutMs} ms): a slow load outlives its lease and other nodes query MySQL too`;
  const at = cache.has('lease_ms') ? cache.node('lease_ms') : mysql.node('query_timeout_ms');
  ctx.warn(at, cache.field('lease_ms'), text);
}
