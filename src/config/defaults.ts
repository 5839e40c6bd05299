import type {
  AddressLookupConfig,
  CacheConfig,
  CredentialsLookupConfig,
  GroupLookupConfig,
  KamailioConfig,
  MemcachedConfig,
  MetricsConfig,
  MysqlConfig,
} from './types.js';

/** Defaults of `memcached:`, equal to `MemcacheClusterOptions`'s. */
export const MEMCACHED_DEFAULTS: Omit<MemcachedConfig, 'servers'> = {
  timeoutMs: 250,
  connectTimeoutMs: 1000,
  socketTimeoutMs: 2000,
  failureThreshold: 3,
  probeIntervalMs: 1000,
  fallback: 'next',
  fallbackTtlSeconds: 10,
  outageJournalSize: 10_000,
  maxValueBytes: 1024 * 1024,
  sasl: undefined,
  tls: undefined,
};

/** Defaults of `mysql:`; `user` and `database` have none. */
export const MYSQL_DEFAULTS: Omit<MysqlConfig, 'user' | 'database' | 'password' | 'tls'> = {
  host: '127.0.0.1',
  port: 3306,
  poolSize: 10,
  connectTimeoutMs: 2000,
  queryTimeoutMs: 1000,
};

/** Defaults of `cache:`. */
export const CACHE_DEFAULTS: CacheConfig = {
  keyPrefix: 'authring:',
  ttlSeconds: 300,
  negativeTtlSeconds: 60,
  jitter: 0.1,
  codec: 'plain',
  secret: undefined,
  lookupDeadlineMs: 500,
  onSourceError: 'fail',
  leaseMs: 2000,
  refreshAhead: 0,
  staleTtlSeconds: 0,
};

/** Kamailio 5.6 `group` module defaults (`src/modules/group/group_mod.c`). */
export const GROUP_LOOKUP_DEFAULTS: GroupLookupConfig = {
  enabled: true,
  table: 'grp',
  userColumn: 'username',
  domainColumn: 'domain',
  groupColumn: 'grp',
  useDomain: false,
};

/**
 * Kamailio 5.6 `auth_db` module defaults (`src/modules/auth_db/auth_db_mod.c`). The table is the
 * second argument of `www_authorize`/`proxy_authorize`, conventionally `subscriber`; the plaintext
 * column is the `password` column of Kamailio's `subscriber` schema.
 */
export const CREDENTIALS_LOOKUP_DEFAULTS: CredentialsLookupConfig = {
  enabled: true,
  table: 'subscriber',
  userColumn: 'username',
  domainColumn: 'domain',
  passwordColumn: 'ha1',
  passwordColumn2: 'ha1b',
  calculateHa1: false,
  plainPasswordColumn: 'password',
  useDomain: false,
};

/** Kamailio 5.6 `permissions` module defaults (`src/modules/permissions/permissions.c`). */
export const ADDRESS_LOOKUP_DEFAULTS: AddressLookupConfig = {
  enabled: true,
  table: 'address',
  groupColumn: 'grp',
  ipColumn: 'ip_addr',
  maskColumn: 'mask',
  portColumn: 'port',
  tagColumn: 'tag',
};

/** Defaults of `metrics:`. */
export const METRICS_DEFAULTS: MetricsConfig = { prefix: 'authring_' };

/** Defaults of `kamailio:` (no nodes: nothing to tell). An htable's `ttl_s` defaults to `cache.ttl_s`. */
export const KAMAILIO_DEFAULTS: KamailioConfig = {
  nodes: [],
  htables: [],
  rpcTimeoutMs: 1000,
  rpcAttempts: 3,
  retryIntervalMs: 1000,
  addressReload: true,
  rpcClients: ['127.0.0.1'],
};
