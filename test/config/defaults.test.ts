import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUTH_CACHE_DEFAULTS } from '../../src/auth/auth-cache.js';
import { MYSQL_DEFAULTS } from '../../src/auth/mysql-options.js';
import { ADDRESS_DEFAULTS, CREDENTIALS_DEFAULTS, GROUP_DEFAULTS } from '../../src/auth/tables.js';
import { READ_THROUGH_DEFAULTS } from '../../src/cache/options.js';
import { LOCAL_TIER_DEFAULTS } from '../../src/cache/local/options.js';
import { CLUSTER_DEFAULTS } from '../../src/cluster/options.js';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { MINIMAL, yaml } from './fixtures.js';

const EXAMPLE = fileURLToPath(new URL('../../authring.example.yaml', import.meta.url));

describe('defaults', () => {
  const config = parseConfig(yaml(...MINIMAL), 'authring.yaml', {});

  it('fills memcached like MemcacheClusterOptions', () => {
    expect(config.memcached).toEqual({
      servers: ['127.0.0.1:11311'],
      timeoutMs: 250,
      connectTimeoutMs: 1000,
      socketTimeoutMs: 2000,
      failureThreshold: 3,
      probeIntervalMs: 1000,
      fallback: 'next',
      fallbackTtlSeconds: 10,
      outageJournalSize: 10_000,
      maxValueBytes: 1_048_576,
    });
  });

  it('fills mysql and cache', () => {
    expect(config.mysql).toEqual({
      host: '127.0.0.1',
      port: 3306,
      user: 'authring',
      password: undefined,
      database: 'authring_demo',
      poolSize: 10,
      connectTimeoutMs: 2000,
      queryTimeoutMs: 1000,
      batchQueries: true,
    });
    expect(config.cache).toEqual({
      keyPrefix: 'authring:',
      ttlSeconds: 300,
      negativeTtlSeconds: 60,
      jitter: 0.1,
      codec: 'plain',
      secret: undefined,
      deadlineMs: 500,
      onSourceError: 'fail',
      leaseMs: 2000,
      refreshAhead: 0,
      staleTtlSeconds: 0,
      local: { enabled: false, maxEntries: 100_000, maxBytes: 67_108_864, boundMs: 1000, pollMs: 50 },
    });
    expect(config.metrics).toEqual({ prefix: 'authring_' });
    expect(config.warnings).toEqual([]);
  });

  it("uses Kamailio 5.6's module defaults for the lookups", () => {
    // group_mod.c: TABLE "grp", USER_COL "username", DOMAIN_COL "domain", GROUP_COL "grp", use_domain 0.
    expect(config.lookups.group).toEqual({
      enabled: true,
      table: 'grp',
      userColumn: 'username',
      domainColumn: 'domain',
      groupColumn: 'grp',
      useDomain: false,
    });
    // auth_db_mod.c: USER_COL "username", DOMAIN_COL "domain", PASS_COL "ha1", PASS_COL_2 "ha1b",
    // calc_ha1 0, use_domain 0; the table is www_authorize's argument, "subscriber" by convention.
    expect(config.lookups.credentials).toEqual({
      enabled: true,
      table: 'subscriber',
      userColumn: 'username',
      domainColumn: 'domain',
      passwordColumn: 'ha1',
      passwordColumn2: 'ha1b',
      calculateHa1: false,
      plainPasswordColumn: 'password',
      useDomain: false,
    });
    // permissions.c: address_table "address", grp_col "grp", ip_addr_col "ip_addr", mask_col "mask",
    // port_col "port", tag_col "tag".
    expect(config.lookups.address).toEqual({
      enabled: true,
      table: 'address',
      groupColumn: 'grp',
      ipColumn: 'ip_addr',
      maskColumn: 'mask',
      portColumn: 'port',
      tagColumn: 'tag',
    });
  });

  it("takes every default from the layer that owns the option", () => {
    // keepAlive is not in the file; the engine's cacheTimeoutMs is memcached.timeout_ms.
    const without = <T extends object>(object: T, key: keyof T) => Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));
    expect(config.memcached).toMatchObject(without(CLUSTER_DEFAULTS, 'keepAlive'));
    expect(config.cache).toMatchObject(without(READ_THROUGH_DEFAULTS, 'cacheTimeoutMs'));
    expect(config.cache).toMatchObject({ keyPrefix: AUTH_CACHE_DEFAULTS.keyPrefix, onSourceError: AUTH_CACHE_DEFAULTS.onSourceError });
    expect(config.mysql).toMatchObject(MYSQL_DEFAULTS);
    expect(config.cache.local).toEqual(LOCAL_TIER_DEFAULTS);
    expect(config.lookups).toEqual({ group: GROUP_DEFAULTS, credentials: CREDENTIALS_DEFAULTS, address: ADDRESS_DEFAULTS });
  });

  it('maps snake_case keys to camelCase and accepts Kamailio-style 1/0 flags', () => {
    const custom = parseConfig(
      yaml(
        ...MINIMAL,
        'cache: { ttl_s: 60, negative_ttl_s: 0, on_source_error: deny, key_prefix: "edge-1:" }',
        'lookups:',
        '  credentials: { table: subscriber_b, calculate_ha1: 1, use_domain: true }',
        '  group: { use_domain: 0 }',
      ),
      'authring.yaml',
      {},
    );
    expect(custom.cache).toMatchObject({ ttlSeconds: 60, negativeTtlSeconds: 0, onSourceError: 'deny', keyPrefix: 'edge-1:' });
    expect(custom.lookups.credentials).toMatchObject({ table: 'subscriber_b', calculateHa1: true, useDomain: true });
    expect(custom.lookups.group.useDomain).toBe(false);
  });

  it('reads cache.local, and warns of a poll interval too close to the bound', () => {
    const local = parseConfig(yaml(...MINIMAL, 'cache:', '  local: { enabled: true, max_entries: 5000, max_bytes: 1048576, bound_ms: 400, poll_ms: 150 }'), 'authring.yaml', {});
    expect(local.cache.local).toEqual({ enabled: true, maxEntries: 5000, maxBytes: 1_048_576, boundMs: 400, pollMs: 150 });
    expect(local.warnings).toHaveLength(1);
    expect(local.warnings[0]).toMatch(/cache\.local\.poll_ms/);
    expect(() => parseConfig(yaml(...MINIMAL, 'cache:', '  local: { bound_ms: 5000 }'), 'authring.yaml', {})).toThrow(/cache\.local\.bound_ms/);
  });
});

describe('input forms', () => {
  it('accepts JSON', () => {
    const json = JSON.stringify({
      memcached: { servers: ['127.0.0.1:11311', '[::1]:11312:2'], fallback: { gutter: ['127.0.0.1:11411'] } },
      mysql: { uri: 'mysql://authring@127.0.0.1:3307/authring_demo', pool_size: 4, batch_queries: false },
      cache: { jitter: 0.2 },
    }, null, '\t');
    const config = parseConfig(json, 'authring.json', {});
    expect(config.memcached.servers).toEqual(['127.0.0.1:11311', '[::1]:11312:2']);
    expect(config.memcached.fallback).toEqual({ gutter: ['127.0.0.1:11411'] });
    expect(config.mysql).toMatchObject({ host: '127.0.0.1', port: 3307, user: 'authring', database: 'authring_demo', poolSize: 4, batchQueries: false });
    expect(config.cache.jitter).toBe(0.2);
  });

  it('reads a mysql URI with an IPv6 host and %-escapes', () => {
    const config = parseConfig(
      yaml('memcached: { servers: [127.0.0.1:11311] }', 'mysql: { uri: "mysql://auth%40ring@[::1]/authring_demo" }'),
      'authring.yaml',
      {},
    );
    expect(config.mysql).toMatchObject({ host: '::1', port: 3306, user: 'auth@ring', password: undefined });
  });

  it('follows YAML anchors and aliases', () => {
    const config = parseConfig(
      yaml('memcached:', '  servers: &ring [127.0.0.1:11311, 127.0.0.1:11312]', 'mysql: { user: a, database: b }'),
      'authring.yaml',
      {},
    );
    expect(config.memcached.servers).toHaveLength(2);
  });

  it('parses authring.example.yaml, which sets every default explicitly', async () => {
    const config = await loadConfig(EXAMPLE, { AUTHRING_MYSQL_PASSWORD: 'demo' });
    const defaults = parseConfig(yaml(...MINIMAL), EXAMPLE, {});
    expect(config.warnings).toEqual([]);
    expect(config.memcached).toEqual({ ...defaults.memcached, servers: ['127.0.0.1:11311', '127.0.0.1:11312', '127.0.0.1:11313'] });
    expect(config.mysql).toEqual({ ...defaults.mysql, password: 'demo' });
    expect(config.cache).toEqual(defaults.cache);
    expect(config.lookups).toEqual(defaults.lookups);
    expect(config.metrics).toEqual(defaults.metrics);
    expect(config.kamailio).toEqual(defaults.kamailio);
  });
});
