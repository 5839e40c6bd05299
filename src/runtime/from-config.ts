/**
 * The composition root: what a loaded cluster config file builds, mapped and wired once. The
 * cluster, cache and auth layers own their options and defaults and never import the config
 * layer; everything that builds them from a file (ProxyNode, every CLI command) goes through
 * here, and so gets the same options, the same recovery from the change log and the same
 * Kamailio nodes.
 */
import { AuthCache, type AuthCacheOptions } from '../auth/auth-cache.js';
import type { MysqlOptions } from '../auth/mysql-options.js';
import type { MysqlTlsOptions } from '../auth/mysql-tls.js';
import { authPlainCodec, signedCodec, type ValueCodec } from '../cache/codec.js';
import { encryptedCodec } from '../cache/encrypted-codec.js';
import type { AuthringConfig, CacheConfig, MysqlConfig, TlsConfig } from '../config/types.js';
import { useChangeLogForRecovery } from '../invalidation/changes.js';
import { KamailioNodes, type KamailioNodesOptions } from '../invalidation/kamailio-nodes.js';

/** Maps a loaded cluster config file onto {@link AuthCache} options. */
export function authCacheOptions(config: AuthringConfig): AuthCacheOptions {
  const { cache, mysql, memcached, lookups } = config;
  const codec = codecOf(cache);
  // Entries that carry their expiry (signed, encrypted) can be refreshed ahead and served stale.
  const expiring = codec !== authPlainCodec;
  return {
    memcached,
    mysql: { ...mysqlOptions(mysql), batchQueries: mysql.batchQueries },
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

/**
 * An {@link AuthCache} built from a loaded cluster config file, its cluster's recovery consulting
 * the change log: a memcached server returning from an outage first drops the keys of what
 * changed meanwhile (`useChangeLogForRecovery`; nothing when the triggers are not installed).
 */
export async function createAuthCache(config: AuthringConfig): Promise<AuthCache> {
  const auth = await AuthCache.create(authCacheOptions(config));
  useChangeLogForRecovery(auth);
  return auth;
}

/**
 * The Kamailio nodes of `kamailio.nodes`, to be told what changed (by a change watcher, or by
 * explicit invalidation); `undefined` when the file lists none.
 */
export async function createKamailioNodes(auth: AuthCache, config: AuthringConfig, options?: KamailioNodesOptions): Promise<KamailioNodes | undefined> {
  return config.kamailio.nodes.length === 0 ? undefined : KamailioNodes.create(auth, config.kamailio, options);
}
