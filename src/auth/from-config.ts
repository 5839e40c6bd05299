import { signedCodec, authPlainCodec } from '../cache/codec.js';
import type { AuthringConfig } from '../config/index.js';
import { AuthCache, type AuthCacheOptions } from './auth-cache.js';

/** Maps a loaded cluster config file onto {@link AuthCache} options. */
export function authCacheOptions(config: AuthringConfig): AuthCacheOptions {
  const { cache, mysql, memcached, lookups } = config;
  const signed = cache.codec === 'signed' && cache.secret !== undefined;
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
    },
    queryTimeoutMs: mysql.queryTimeoutMs,
    cache: {
      keyPrefix: cache.keyPrefix,
      ttlSeconds: cache.ttlSeconds,
      negativeTtlSeconds: cache.negativeTtlSeconds,
      jitter: cache.jitter,
      codec: signed && cache.secret !== undefined ? signedCodec(cache.secret) : authPlainCodec,
      deadlineMs: cache.lookupDeadlineMs,
      cacheTimeoutMs: memcached.timeoutMs,
      leaseMs: cache.leaseMs,
      // Both need the expiry only signed entries carry; the config warns when set with plain.
      refreshAhead: signed ? cache.refreshAhead : 0,
      staleTtlSeconds: signed ? cache.staleTtlSeconds : 0,
      onSourceError: cache.onSourceError,
    },
    lookups,
  };
}

/** An {@link AuthCache} built from a loaded cluster config file. */
export function createAuthCache(config: AuthringConfig): Promise<AuthCache> {
  return AuthCache.create(authCacheOptions(config));
}
