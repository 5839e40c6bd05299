import { signedCodec, authPlainCodec, type ValueCodec } from '../cache/codec.js';
import { encryptedCodec } from '../cache/encrypted-codec.js';
import type { AuthringConfig, TlsConfig } from '../config/index.js';
import { AuthCache, type AuthCacheOptions } from './auth-cache.js';
import type { MysqlTlsOptions } from './mysql-tls.js';

/** Maps a loaded cluster config file onto {@link AuthCache} options. */
export function authCacheOptions(config: AuthringConfig): AuthCacheOptions {
  const { cache, mysql, memcached, lookups } = config;
  const codec = codecOf(cache);
  // Entries that carry their expiry (signed, encrypted) can be refreshed ahead and served stale.
  const expiring = codec !== authPlainCodec;
  return {
    memcached,
    mysql: {
      host: mysql.host,
      port: mysql.port,
      user: mysql.user,
      password: mysql.password,
      database: mysql.database,
      poolSize: mysql.poolSize,
      connectTimeoutMs: mysql.connectTimeoutMs,
      ...(mysql.tls === undefined ? {} : { tls: mysqlTls(mysql.tls) }),
    },
    queryTimeoutMs: mysql.queryTimeoutMs,
    cache: {
      keyPrefix: cache.keyPrefix,
      ttlSeconds: cache.ttlSeconds,
      negativeTtlSeconds: cache.negativeTtlSeconds,
      jitter: cache.jitter,
      codec,
      deadlineMs: cache.deadlineMs,
      cacheTimeoutMs: memcached.timeoutMs,
      leaseMs: cache.leaseMs,
      // Both need the expiry plain entries lack; the config warns when set with plain.
      refreshAhead: expiring ? cache.refreshAhead : 0,
      staleTtlSeconds: expiring ? cache.staleTtlSeconds : 0,
      onSourceError: cache.onSourceError,
    },
    lookups,
  };
}

/** `mysql.tls` of the config file as the pool takes it. */
export function mysqlTls(tls: TlsConfig): MysqlTlsOptions {
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
  };
}

/** The codec `cache.codec` names, with the cluster file's secret. */
function codecOf(cache: AuthringConfig['cache']): ValueCodec {
  if (cache.secret === undefined) return authPlainCodec;
  if (cache.codec === 'signed') return signedCodec(cache.secret);
  if (cache.codec === 'encrypted') return encryptedCodec(cache.secret);
  return authPlainCodec;
}

/** An {@link AuthCache} built from a loaded cluster config file. */
export function createAuthCache(config: AuthringConfig): Promise<AuthCache> {
  return AuthCache.create(authCacheOptions(config));
}
