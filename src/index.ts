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
export type { ReadThroughOptions, LoadOptions, Validator } from './cache/options.js';
export { plainCodec, plainCodecWith, authPlainCodec, signedCodec, type ValueCodec, type CachedValue, type Decoded } from './cache/codec.js';
export { encryptedCodec } from './cache/encrypted-codec.js';
export type { CacheCounters } from './cache/counters.js';
export type { CacheStore } from './cache/store.js';
export { AuthCache, type AuthCacheOptions } from './auth/auth-cache.js';
export { createMysqlPool, type MysqlOptions } from './auth/mysql-options.js';
export type { Credentials } from './auth/credentials.js';
export { AddressTable, type AddressRow } from './auth/address-table.js';
export { GROUP_DEFAULTS, CREDENTIALS_DEFAULTS, ADDRESS_DEFAULTS, type GroupTable, type CredentialsTable, type AddressTableColumns } from './auth/tables.js';
export * from './config/index.js';
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
export { authCacheOptions, createAuthCache } from './runtime/from-config.js';
export { ProxyNode, type ProxyNodeOptions, type ProxyNodeEvents } from './runtime/proxy-node.js';
export { registerMetrics, type MetricsSource, type MetricsOptions } from './metrics/prometheus.js';
export { registerKamailioMetrics, type KamailioMetricsSource } from './metrics/kamailio.js';
export * from './invalidation/index.js';
export * from './kamailio/index.js';
