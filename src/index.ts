/**
 * The public entry: exactly the names docs/api.md lists, each documented on the page it names
 * (test/api.test.ts compares the two). Anything else is internal, whatever its module exports.
 */
export { MemcacheCluster } from './cluster/cluster.js';
export type { CallOptions, StoreOptions, DeleteOptions, IncrementOptions, CasResult, ClusterEvents, ClusterStats } from './cluster/cluster.js';
export type { MemcacheClusterOptions, FallbackPolicy } from './cluster/options.js';
export type { Item } from './cluster/item.js';
export type { NodeStats } from './cluster/node.js';
export type { NodeState } from './cluster/node-health.js';
export { KetamaRing } from './cluster/ring.js';
export { parseServerSpec, parseServerList, type ServerSpec } from './cluster/server-spec.js';
export { toWireKey } from './cluster/wire-key.js';
export { ReadThroughCache, type Loader, type LookupStatus } from './cache/engine.js';
export type { LookupKind, LoadContext } from './cache/lookup-kind.js';
export type { ReadThroughOptions, LoadOptions, Validator } from './cache/options.js';
export { plainCodec, authPlainCodec, signedCodec, type ValueCodec, type CachedValue, type Decoded } from './cache/codec.js';
export { encryptedCodec } from './cache/encrypted-codec.js';
export type { CacheCounters } from './cache/counters.js';
export type { CacheStore } from './cache/store.js';
export { AuthCache, type AuthCacheOptions, type LookupDatabase } from './auth/auth-cache.js';
export type { LocalTierSettings } from './cache/local/options.js';
export type { LocalTierStats, BypassReason } from './cache/local/local-tier.js';
export { createMysqlPool, type MysqlOptions } from './auth/mysql-options.js';
export type { MysqlTlsOptions } from './auth/mysql-tls.js';
export type { Credentials } from './auth/credentials.js';
export { AddressTable, type AddressRow } from './auth/address-table.js';
export { GROUP_DEFAULTS, CREDENTIALS_DEFAULTS, ADDRESS_DEFAULTS, type GroupTable, type CredentialsTable, type AddressTableColumns, type LookupTables } from './auth/tables.js';
export { parseConfig } from './config/parse.js';
export { loadConfig, resolveConfigPath, DEFAULT_CONFIG_PATH, CONFIG_PATH_ENV } from './config/load.js';
export { watchConfig, type ConfigWatcher, type ConfigWatchHandlers, type ConfigWatchOptions } from './config/watch.js';
export { MAX_ALIASES, type Env } from './config/context.js';
export { MAX_TIMER_MS } from './config/reader.js';
export { MAX_SECRET_FILE_BYTES } from './config/secrets.js';
export type {
  AuthringConfig,
  MemcachedConfig,
  SaslConfig,
  FallbackConfig,
  MysqlConfig,
  TlsConfig,
  CacheConfig,
  CodecName,
  SourceErrorPolicy,
  LookupsConfig,
  MetricsConfig,
  KamailioConfig,
  KamailioNodeConfig,
  KamailioRpcConfig,
  KamailioHtableConfig,
} from './config/types.js';
export {
  AuthringError,
  InvalidArgumentError,
  TimeoutError,
  ConnectionError,
  ProtocolError,
  AuthenticationError,
  ServerDownError,
  ServerError,
  ValueTooLargeError,
  ClosedError,
  PartialResultError,
  SourceUnavailableError,
  DeadlineError,
  TriggerPrivilegeError,
  KamailioRpcError,
  SchemaError,
  LookupDisabledError,
  ConfigError,
  InvalidationError,
  KamailioConfigError,
  StatsRequestError,
  UnexpectedError,
  UsageError,
  CommandFailedError,
  CommandTimeoutError,
  InterruptedError,
  errors,
  describeSchemaProblem,
  type ErrorCode,
  type ConfigIssue,
  type SchemaProblem,
  type BatchFailure,
  type MissingPrivilege,
} from './errors.js';
export { authCacheOptions, createAuthCache, createKamailioNodes } from './runtime/from-config.js';
export { ProxyNode, type ProxyNodeOptions, type ProxyNodeEvents } from './runtime/proxy-node.js';
export { registerMetrics, type MetricsSource, type MetricsOptions } from './metrics/prometheus.js';
export { registerKamailioMetrics, type KamailioMetricsSource } from './metrics/kamailio.js';
export { Invalidator, type InvalidatorOptions } from './invalidation/invalidator.js';
export { ChangeWatcher, type ChangeWatcherOptions, type AppliedBatch, type ChangeWatcherEvents } from './invalidation/watcher.js';
export { installTriggers, removeTriggers, type TriggerTarget, type TriggerOptions } from './invalidation/triggers.js';
export { installStatements, removeStatements, type WatchedTables } from './invalidation/change-log-sql.js';
export { useChangeLogForRecovery } from './invalidation/changes.js';
export { KamailioNodes, type KamailioNodesEvents, type KamailioNodesOptions } from './invalidation/kamailio-nodes.js';
export type { KamailioNodeState, KamailioNodeStats, KamailioNodeEvents } from './invalidation/kamailio-node.js';
export type { KamailioIntent } from './invalidation/kamailio-plan.js';
export { kamailioRpc, type KamailioRpc, type RpcParam } from './invalidation/kamailio-rpc.js';
export { kamailioConfig, type KamailioConfigOptions } from './kamailio/generate.js';
export { nutcrackerConfig, type NutcrackerConfigOptions } from './kamailio/nutcracker.js';
export { kamailioHtableConfig, type KamailioHtableOptions } from './kamailio/htable.js';
export type { KamailioCaseFolding } from './kamailio/cfg-text.js';
export type { KamailioSourceConfig } from './kamailio/source-config.js';
