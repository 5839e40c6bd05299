import type { ConfigContext } from '../context.js';
import { CACHE_DEFAULTS as D } from '../defaults.js';
import { MILLISECONDS, type MapReader } from '../reader.js';
import { readSecret } from '../secrets.js';
import type { CacheConfig } from '../types.js';

/** The keys of `cache:`. */
export const CACHE_KEYS = [
  'key_prefix',
  'ttl_s',
  'negative_ttl_s',
  'jitter',
  'codec',
  'secret',
  'secret_env',
  'secret_file',
  'lookup_deadline_ms',
  'on_source_error',
  'lease_ms',
  'refresh_ahead',
  'stale_ttl_s',
] as const;

type Key = (typeof CACHE_KEYS)[number];

/** memcached reads a TTL above 30 days as an absolute Unix time. */
const MAX_TTL_S = 2_592_000;
/** Shortest secret accepted for `codec: signed` and `codec: encrypted`. */
export const MIN_SECRET_BYTES = 16;
/** Above this TTL a warning is given: a change no invalidation reaches shows this late. */
const LONG_TTL_S = 3600;

const SECRET_KEYS = { inline: 'secret', env: 'secret_env', file: 'secret_file' } as const;

/** Reads and checks `cache:`, reading the secret from wherever it is kept. */
export function readCache(ctx: ConfigContext, section: MapReader<Key>): CacheConfig {
  const seconds = (min: number) => ({ min, max: MAX_TTL_S, unit: 'seconds' });
  const keyPrefix = section.string('key_prefix', (v) =>
    /^[\x21-\x7e]{0,64}$/.test(v) ? undefined : 'printable ASCII without spaces, at most 64 characters',
  );
  const codec = section.oneOf('codec', ['plain', 'signed', 'encrypted'] as const, D.codec);
  const cache: CacheConfig = {
    keyPrefix: keyPrefix ?? D.keyPrefix,
    ttlSeconds: section.int('ttl_s', D.ttlSeconds, seconds(1)),
    negativeTtlSeconds: section.int('negative_ttl_s', D.negativeTtlSeconds, seconds(0)),
    jitter: section.number('jitter', D.jitter, { min: 0, max: 0.5, unit: 'fraction of the TTL' }),
    codec,
    secret: readCodecSecret(ctx, section, codec),
    lookupDeadlineMs: section.int('lookup_deadline_ms', D.lookupDeadlineMs, MILLISECONDS),
    onSourceError: section.oneOf('on_source_error', ['fail', 'deny'] as const, D.onSourceError),
    leaseMs: section.int('lease_ms', D.leaseMs, MILLISECONDS),
    refreshAhead: section.number('refresh_ahead', D.refreshAhead, { min: 0, max: 0.9, unit: 'fraction of the TTL, 0 = off' }),
    staleTtlSeconds: section.int('stale_ttl_s', D.staleTtlSeconds, seconds(0)),
  };
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
