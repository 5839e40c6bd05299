import { isMap, isScalar } from 'yaml';
import type { ConfigContext } from '../context.js';
import { CLUSTER_DEFAULTS, type FallbackPolicy } from '../../cluster/options.js';
import { READ_THROUGH_LIMITS } from '../../cache/options.js';
import { checkServerSpec, SERVER_SHAPE } from '../../cluster/server-spec.js';
import { int, keysOf, limitedMs, ms, readFields, type FieldValues, type Fields } from '../fields.js';
import type { ListItem, MapReader } from '../reader.js';
import { readSecret } from '../secrets.js';
import { readTls, type TlsConfig } from '../tls.js';

/*
 * The options of `memcached:` that are plain values, by their `MemcacheClusterOptions` name;
 * their defaults are the cluster's (`CLUSTER_DEFAULTS`). Two groups, to list the keys in the
 * order docs/config.md gives them: the health settings before `fallback`, its limits after.
 */
const HEALTH_FIELDS = {
  // Also every lookup's per-request memcached timeout (`cacheTimeoutMs`), so the engine's limits.
  timeoutMs: limitedMs('timeout_ms', READ_THROUGH_LIMITS.cacheTimeoutMs),
  connectTimeoutMs: ms('connect_timeout_ms'),
  socketTimeoutMs: ms('socket_timeout_ms'),
  failureThreshold: int('failure_threshold', { min: 1, unit: 'consecutive failures' }),
  probeIntervalMs: ms('probe_interval_ms'),
} satisfies Fields<typeof CLUSTER_DEFAULTS>;

const OUTAGE_FIELDS = {
  fallbackTtlSeconds: int('fallback_ttl_s', { min: 1, max: 2_592_000, unit: 'seconds' }),
  outageJournalSize: int('outage_journal_size', { min: 1, unit: 'keys' }),
  maxValueBytes: int('max_value_bytes', { min: 1024, max: 1024 ** 3, unit: 'bytes' }),
} satisfies Fields<typeof CLUSTER_DEFAULTS>;

/** The keys of `memcached:`. */
export const MEMCACHED_KEYS = ['servers', ...keysOf(HEALTH_FIELDS), 'fallback', ...keysOf(OUTAGE_FIELDS), 'sasl', 'tls'];

type Key = string;

/** `memcached.sasl:` — SASL PLAIN credentials, the password read at load time. */
export interface SaslConfig {
  /** `username`. Required. */
  readonly username: string;
  /** From `password_env`, `password_file` (trailing newlines trimmed) or `password` (warned about). Never printed. */
  readonly password: string;
}

/**
 * Where a down memcached server's keys go; the cluster's `FallbackPolicy`: `'next'` (next live
 * server on the ring), `'none'` (fail with `E_SERVER_DOWN`) or a separate gutter pool.
 */
export type FallbackConfig = FallbackPolicy;

/**
 * `memcached:` — the cluster: `MemcacheClusterOptions` with every default applied (see
 * docs/config.md for the keys), the servers shape-checked and the secrets read.
 */
export type MemcachedConfig = FieldValues<typeof HEALTH_FIELDS> & FieldValues<typeof OUTAGE_FIELDS> & {
  /** `servers`: `host:port[:weight]` (IPv6 as `[addr]:port[:weight]`), no duplicates. Required. */
  readonly servers: readonly string[];
  /** `fallback`: where a down server's keys go. */
  readonly fallback: FallbackConfig;
  /** `sasl`: authenticate to every server (memcached `-S`); none when absent. */
  readonly sasl: SaslConfig | undefined;
  /** `tls`: speak TLS to every server (memcached `-Z`); plain TCP when absent. */
  readonly tls: TlsConfig | undefined;
};

/** The keys of `memcached.sasl:`. */
export const SASL_KEYS = ['username', 'password', 'password_env', 'password_file'] as const;
const SASL_PASSWORD = { inline: 'password', env: 'password_env', file: 'password_file' } as const;

/** Reads and checks `memcached:`. */
export function readMemcached(ctx: ConfigContext, section: MapReader<Key>): MemcachedConfig {
  const ring = new Map<string, string>();
  let servers: string[] = [];
  const items = section.list('servers', 'servers');
  if (!section.has('servers')) section.missing('servers');
  else if (items?.length === 0) ctx.invalid(section.node('servers'), section.field('servers'), `a non-empty list of ${SERVER_SHAPE}`);
  if (items) servers = readServers(ctx, items, ring, 'listed twice');
  const memcached: MemcachedConfig = {
    servers,
    ...readFields(section, CLUSTER_DEFAULTS, HEALTH_FIELDS),
    ...readFields(section, CLUSTER_DEFAULTS, OUTAGE_FIELDS),
    fallback: readFallback(ctx, section, ring),
    sasl: section.has('sasl') ? readSasl(ctx, section.map('sasl', SASL_KEYS)) : undefined,
    // Node checks an IP host against the certificate's IP addresses, so no host is passed for the
    // warning mysql needs (mysql2 checks no name for an IP address).
    tls: readTls(ctx, section, 'tls', undefined),
  };
  if (memcached.sasl !== undefined && memcached.tls === undefined) {
    const text = 'SASL PLAIN without tls sends the password in clear text to every server; add tls unless the network is trusted';
    ctx.warn(section.node('sasl'), section.field('sasl'), text);
  }
  if (memcached.socketTimeoutMs <= memcached.timeoutMs && section.has('socket_timeout_ms')) {
    const text = `${memcached.socketTimeoutMs} ms is not above timeout_ms (${memcached.timeoutMs} ms): sockets will be replaced while requests are merely slow`;
    ctx.warn(section.node('socket_timeout_ms'), section.field('socket_timeout_ms'), text);
  }
  if (memcached.fallback === 'none') {
    const text = 'a down server fails every key it owns with E_SERVER_DOWN until it recovers; `next` keeps them cached';
    ctx.warn(section.node('fallback'), section.field('fallback'), text);
  }
  return memcached;
}

/** Reads `memcached.sasl:`: a user name and a password from exactly one of its three keys. */
function readSasl(ctx: ConfigContext, sasl: MapReader<(typeof SASL_KEYS)[number]>): SaslConfig | undefined {
  const username = sasl.string('username', (v) => (v.length > 0 && !/[\0\r\n]/.test(v) ? undefined : 'a SASL user name'));
  if (!sasl.has('username')) sasl.missing('username');
  const password = readSecret(ctx, sasl, SASL_PASSWORD, 'the memcached SASL password');
  if (!sasl.has('password') && !sasl.has('password_env') && !sasl.has('password_file')) sasl.missing('password_env', ' (or password_file)');
  return username === undefined || password === undefined ? undefined : { username, password };
}

/** Checks each entry; `seen` maps `host:port` to the field that first listed it. */
function readServers(ctx: ConfigContext, items: ListItem[], seen: Map<string, string>, duplicate: string): string[] {
  const servers: string[] = [];
  for (const { node, field } of items) {
    const value = isScalar(node) && typeof node.value === 'string' ? node.value.trim() : undefined;
    const check = value === undefined ? undefined : checkServerSpec(value);
    if (value === undefined || check === undefined || !check.ok) {
      ctx.invalid(node, field, check?.ok === false ? check.expected : SERVER_SHAPE);
      continue;
    }
    const { canonical } = check.spec;
    const first = seen.get(canonical);
    if (first !== undefined) {
      ctx.problem(node, field, 'a server not listed before', `server ${canonical} is ${duplicate} (first at ${first})`, field);
      continue;
    }
    seen.set(canonical, field);
    servers.push(value);
  }
  return servers;
}

function readFallback(ctx: ConfigContext, section: MapReader<Key>, ring: Map<string, string>): FallbackConfig {
  const node = section.node('fallback');
  if (!isMap(node)) return section.oneOf('fallback', ['next', 'none'] as const, 'next');
  const fallback = section.map('fallback', ['gutter'] as const);
  const items = fallback.list('gutter', 'servers');
  if (!fallback.has('gutter')) fallback.missing('gutter');
  else if (items?.length === 0) ctx.invalid(fallback.node('gutter'), fallback.field('gutter'), `a non-empty list of ${SERVER_SHAPE}`);
  const gutter = items ? readServers(ctx, items, ring, 'also a ring server or listed twice') : [];
  return { gutter };
}
