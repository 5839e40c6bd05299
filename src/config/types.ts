/**
 * The resolved config: camelCase, every default applied, every value checked. The YAML keys are
 * the snake_case forms (`timeout_ms` → `timeoutMs`, `ttl_s` → `ttlSeconds`); docs/config.md is the
 * full reference. Each section's type is declared by its reader (`sections/`), from the options
 * and defaults of the layer the section configures; this file assembles the whole.
 */
import type { CacheConfig } from './sections/cache.js';
import type { KamailioConfig } from './sections/kamailio.js';
import type { LookupsConfig } from './sections/lookups.js';
import type { MemcachedConfig } from './sections/memcached.js';
import type { MetricsConfig } from './sections/metrics.js';
import type { MysqlConfig } from './sections/mysql.js';

export type { CacheConfig, CodecName, SourceErrorPolicy } from './sections/cache.js';
export type { KamailioConfig, KamailioHtableConfig, KamailioNodeConfig, KamailioRpcConfig } from './sections/kamailio.js';
export type { LookupsConfig } from './sections/lookups.js';
export type { FallbackConfig, MemcachedConfig, SaslConfig } from './sections/memcached.js';
export type { MetricsConfig } from './sections/metrics.js';
export type { MysqlConfig } from './sections/mysql.js';
export type { TlsConfig } from './tls.js';

/** A whole config file, resolved. */
export interface AuthringConfig {
  /** The file it came from, as the caller named it. */
  readonly file: string;
  /** The memcached cluster. */
  readonly memcached: MemcachedConfig;
  /** The Kamailio database. */
  readonly mysql: MysqlConfig;
  /** Read-through caching. */
  readonly cache: CacheConfig;
  /** Tables and columns of the cached lookups. */
  readonly lookups: LookupsConfig;
  /** Metric naming. */
  readonly metrics: MetricsConfig;
  /** Kamailio nodes told to drop what changed. */
  readonly kamailio: KamailioConfig;
  /** Legal but risky settings, each `file:line:column: field: why`. Never thrown; log them. */
  readonly warnings: readonly string[];
}
