/**
 * The composition root: a loaded cluster config file mapped onto the library's options, once.
 * The cluster, cache and auth layers own their options and defaults and never import the config
 * layer; everything that builds them from a file (ProxyNode, the CLI) goes through here.
 */
import { AuthCache, type AuthCacheOptions } from '../auth/auth-cache.js';
import type { MysqlOptions } from '../auth/mysql-options.js';
import type { MysqlTlsOptions } from '../auth/mysql-tls.js';
import { authPlainCodec, signedCodec, type ValueCodec } from '../cache/codec.js';
import { encryptedCodec } from '../cache/encrypted-codec.js';
import type { AuthringConfig, CacheConfig, MysqlConfig, TlsConfig } from './types.js';

/** Maps a loaded cluster config file onto {@link AuthCache} options. */
export function authCacheOptions(config: AuthringConfig): AuthCacheOptions {
  const { cache, mysql, memcached, lookups } = config;
  const codec = codecOf(cache);
  // Entries that carry their expiry (signed, encrypted) can be refreshed ahead and served stale.
  const expiring = codec !== authPlainCodec;
  return {
    memcached,
    mysql: mysqlOptions(mysql),
    queryTimeoutMs: mysql.queryTimeoutMs,
    cache: {
      keyPrefix: cache.keyPrefix,
      ttlSeconds: cache.ttlSeconds,
      negativeTtlSeconds: cache.negativeTtlSeconds,
      jitter: cache.jitter,
      codec,
      deadlineMs: cache.deadlineMs,
      // A memcached request within a lookup has the cluster's own request deadline.
      cacheTimeoutMs: memcached.timeoutMs,
      leaseMs: cache.leaseMs,
      // Both need the expiry plain entries lack; the config warns when set with plain.
      refreshAhead: expiring ? cache.refreshAhead : 0,
      staleTtlSeconds: expiring ? cache.staleTtlSeconds : 0,
      onSourceError: cache.onSourceError,
    },
    local: cache.local,
    lookups,
  };
}

/**
 * The pool options of `mysql:`: the server, account, connect timeout and TLS the lookups use,
 * with `poolSize` connections (the file's `pool_size` unless a command wants its own).
 */
export function mysqlOptions(mysql: MysqlConfig, poolSize = mysql.poolSize): MysqlOptions {
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

/** `mysql.tls` of the config file as the pool takes it. */
function mysqlTls(tls: TlsConfig): MysqlTlsOptions {
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
  };
}

/** The codec `cache.codec` names, with the cluster file's secret. */
function codecOf(cache: CacheConfig): ValueCodec {
  if (cache.secret === undefined) return authPlainCodec;
  if (cache.codec === 'signed') return signedCodec(cache.secret);
  if (cache.codec === 'encrypted') return encryptedCodec(cache.secret);
  return authPlainCodec;
}

/** An {@link AuthCache} built from a loaded cluster config file. */
export function createAuthCache(config: AuthringConfig): Promise<AuthCache> {
  return AuthCache.create(authCacheOptions(config));
}
