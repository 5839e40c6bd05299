import type { ConfigContext } from '../context.js';
import { AUTH_CACHE_DEFAULTS } from '../../auth/auth-cache.js';
import { READ_THROUGH_DEFAULTS, READ_THROUGH_LIMITS as L } from '../../cache/options.js';
import { LOCAL_TIER_DEFAULTS } from '../../cache/local/options.js';
import { bool, int, keysOf, limited, limitedMs, oneOf, readFields, text, type FieldValues, type Fields } from '../fields.js';
import type { MapReader } from '../reader.js';
import { readSecret } from '../secrets.js';


/**
 * How cached entries are encoded: `plain` text (what Kamailio reads), `signed` with an HMAC
 * under the secret, or `encrypted` with AES-256-GCM under a key derived from the secret.
 */
export type CodecName = 'plain' | 'signed' | 'encrypted';

/** What a lookup answers when it misses the cache and MySQL fails: throw, or answer "no". */
export type SourceErrorPolicy = 'fail' | 'deny';

/** The defaults of `cache:`: the read-through engine's and AuthCache's, and the plain codec. */
const DEFAULTS = { ...READ_THROUGH_DEFAULTS, ...AUTH_CACHE_DEFAULTS, codec: 'plain' as CodecName };

/*
 * The options of `cache:` that are plain values, by their `ReadThroughOptions` or
 * `AuthCacheOptions['cache']` name. Two groups, to list the keys in the order docs/config.md
 * gives them: the secret's three keys come between.
 */
const ENTRY_FIELDS = {
  keyPrefix: text('key_prefix', (v) => (/^[\x21-\x7e]{0,64}$/.test(v) ? undefined : 'printable ASCII without spaces, at most 64 characters')),
  ttlSeconds: limited('ttl_s', L.ttlSeconds, 'seconds'),
  negativeTtlSeconds: limited('negative_ttl_s', L.negativeTtlSeconds, 'seconds'),
  jitter: limited('jitter', L.jitter, 'fraction of the TTL'),
  codec: oneOf('codec', ['plain', 'signed', 'encrypted'] as const),
} satisfies Fields<typeof DEFAULTS>;

const LOOKUP_FIELDS = {
  deadlineMs: limitedMs('lookup_deadline_ms', L.deadlineMs),
  onSourceError: oneOf('on_source_error', ['fail', 'deny'] as const),
  leaseMs: limitedMs('lease_ms', L.leaseMs),
  refreshAhead: limited('refresh_ahead', L.refreshAhead, 'fraction of the TTL, 0 = off'),
  staleTtlSeconds: limited('stale_ttl_s', L.staleTtlSeconds, 'seconds'),
} satisfies Fields<typeof DEFAULTS>;

/** `cache.local:`, by the `LocalTierSettings` option each key fills. */
const LOCAL_FIELDS = {
  enabled: bool('enabled'),
  maxEntries: int('max_entries', { min: 1, max: 100_000_000, unit: 'entries' }),
  maxBytes: int('max_bytes', { min: 1024, max: 2 ** 40, unit: 'bytes' }),
  // The bound is what the tier guarantees; the ceiling is one second, and below 100 ms
  // a poll or two lost to a loaded machine would bypass the tier.
  boundMs: int('bound_ms', { min: 100, max: 1000, unit: 'milliseconds' }),
  pollMs: int('poll_ms', { min: 5, max: 500, unit: 'milliseconds' }),
} satisfies Required<Fields<typeof LOCAL_TIER_DEFAULTS>>;

/** The keys of `cache:`. */
export const CACHE_KEYS = [...keysOf(ENTRY_FIELDS), 'secret', 'secret_env', 'secret_file', ...keysOf(LOOKUP_FIELDS), 'local'];

type Key = string;

/**
 * `cache:` — read-through caching of the lookups: the engine's and AuthCache's options with
 * every default applied (docs/config.md lists the keys), the codec by name with its secret.
 */
export type CacheConfig = FieldValues<typeof ENTRY_FIELDS> &
  FieldValues<typeof LOOKUP_FIELDS> & {
    /** Read from `secret_env`, `secret_file` or `secret`; at least 16 bytes; set iff `codec` is `signed` or `encrypted`. */
    readonly secret: string | undefined;
    /** `cache.local:` — the local tier in each node's memory (docs/local-tier.md). */
    readonly local: FieldValues<typeof LOCAL_FIELDS>;
  };
/** Shortest secret accepted for `codec: signed` and `codec: encrypted`. */
export const MIN_SECRET_BYTES = 16;
/** Above this TTL a warning is given: a change no invalidation reaches shows this late. */
const LONG_TTL_S = 3600;

const SECRET_KEYS = { inline: 'secret', env: 'secret_env', file: 'secret_file' } as const;

/** Reads and checks `cache:`, reading the secret from wherever it is kept. */
export function readCache(ctx: ConfigContext, section: MapReader<Key>): CacheConfig {
  const entries = readFields(section, DEFAULTS, ENTRY_FIELDS);
  const localSection = section.map('local', keysOf(LOCAL_FIELDS));
  const cache: CacheConfig = {
    ...entries,
    secret: readCodecSecret(ctx, section, entries.codec),
    ...readFields(section, DEFAULTS, LOOKUP_FIELDS),
    local: readFields(localSection, LOCAL_TIER_DEFAULTS, LOCAL_FIELDS),
  };
  warnLocal(ctx, localSection, cache.local);
  warnRisks(ctx, section, cache);
  return cache;
}

function readCodecSecret(ctx: ConfigContext, section: MapReader<Key>, codec: CacheConfig['codec']): string | undefined {
  const secret = readSecret(ctx, section, SECRET_KEYS, 'the cache secret');
  const key = (['secret', 'secret_env', 'secret_file'] as const).find((k) => section.has(k));
  if (codec === 'plain') {
    if (key !== undefined) ctx.warn(section.keyNode(key), section.field(key), 'ignored: codec is plain');
    return undefined;
  }
  if (key === undefined) {
    section.missing('secret', ` (or \`secret_env\` or \`secret_file\`): codec is ${codec}`);
    return undefined;
  }
  if (secret === undefined || Buffer.byteLength(secret, 'utf8') >= MIN_SECRET_BYTES) return secret;
  const expected = `a secret of at least ${MIN_SECRET_BYTES} bytes`;
  const text = `expected ${expected}, got ${Buffer.byteLength(secret, 'utf8')} bytes`;
  ctx.problem(section.node(key), section.field(key), expected, text, section.field(key));
  return undefined;
}

/** A poll interval near the bound leaves no room for a late poll: the tier would keep bypassing. */
function warnLocal(ctx: ConfigContext, section: MapReader<string>, local: CacheConfig['local']): void {
  if (local.pollMs * 4 <= local.boundMs) return;
  const key = section.has('poll_ms') ? 'poll_ms' : 'bound_ms';
  const text = `poll_ms (${local.pollMs}) is above a quarter of bound_ms (${local.boundMs}): with the watcher's own interval, a late poll or two makes the local tier bypass itself`;
  ctx.warn(section.node(key), section.field(key), text);
}

function warnRisks(ctx: ConfigContext, section: MapReader<Key>, cache: CacheConfig): void {
  const warn = (key: Key, text: string) => ctx.warn(section.node(key), section.field(key), text);
  if (cache.ttlSeconds > LONG_TTL_S) {
    const text = `a change in MySQL (passwords, groups, addresses) that no invalidation reaches (without the change-log triggers and a watcher: authring install-triggers, authring watch) can take ${cache.ttlSeconds} s to show`;
    warn('ttl_s', text);
  }
  if (section.has('jitter') && cache.jitter === 0) {
    warn('jitter', 'entries written together (after a restart or flush) expire together and reload MySQL in one burst');
  }
  if (cache.refreshAhead > 0 && cache.codec === 'plain') {
    warn('refresh_ahead', 'has no effect: plain entries carry no expiry to refresh ahead of; set codec: signed or encrypted');
  }
  if (cache.staleTtlSeconds > 0 && cache.codec === 'plain') {
    warn('stale_ttl_s', 'has no effect: only signed or encrypted entries are served stale; set codec: signed or encrypted');
  }
}
