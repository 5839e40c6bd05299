import { describe, expect, it } from 'vitest';
import { authCacheOptions } from '../../src/runtime/from-config.js';
import { parseConfig } from '../../src/config/index.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

const SECRET = 'sixteen-bytes!!!';
const ENTRY_KEY = 'authring:1:cred:ALICE';

describe('cache.codec', () => {
  it('encrypted: needs a secret, and maps to the AES-256-GCM codec with refresh and stale serving', () => {
    const error = configError(yaml(...MINIMAL, 'cache:', '  codec: encrypted'));
    expect(error.message).toBe('authring.yaml:6:1: cache: missing required key `secret` (or `secret_env` or `secret_file`): codec is encrypted');

    const config = parseConfig(
      yaml(...MINIMAL, 'cache:', '  codec: encrypted', '  secret_env: CACHE_SECRET', '  refresh_ahead: 0.1', '  stale_ttl_s: 60'),
      'authring.yaml',
      { CACHE_SECRET: SECRET },
    );
    expect(config.cache).toMatchObject({ codec: 'encrypted', secret: SECRET });
    expect(config.warnings).toEqual([]);
    const options = authCacheOptions(config).cache;
    expect(options).toMatchObject({ refreshAhead: 0.1, staleTtlSeconds: 60 });
    const codec = options?.codec;
    expect(codec?.name).toBe('encrypted');
    const stored = codec?.encode(ENTRY_KEY, 'c1:abc:def', Date.now() + 60_000) ?? '';
    expect(stored).toMatch(/^e1:/);
    expect(codec?.decode(ENTRY_KEY, stored)).toMatchObject({ kind: 'value', value: 'c1:abc:def' });
  });

  it('signed and plain map to their codecs', () => {
    const signed = parseConfig(yaml(...MINIMAL, 'cache:', '  codec: signed', '  secret_env: S'), 'authring.yaml', { S: SECRET });
    expect(authCacheOptions(signed).cache?.codec?.name).toBe('signed');
    expect(authCacheOptions(parseConfig(yaml(...MINIMAL), 'authring.yaml', {})).cache?.codec?.name).toBe('plain');
  });
});
