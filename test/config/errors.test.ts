import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthringError, InvalidArgumentError } from '../../src/errors.js';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

describe('ConfigError', () => {
  it('is an AuthringError with code E_CONFIG and the first problem in its fields', () => {
    const error = configError(
      yaml(
        'memcached:', //                      1
        '  servers:', //                      2
        '    - 127.0.0.1:11311', //           3
        '    - localhost', //                 4
        'mysql: { user: a, database: b }', // 5
      ),
    );
    expect(error).toBeInstanceOf(AuthringError);
    expect(error.code).toBe('E_CONFIG');
    expect(ConfigError.code).toBe('E_CONFIG');
    expect(error).toMatchObject({ file: 'authring.yaml', line: 4, column: 7, field: 'memcached.servers[1]' });
    expect(error.expected).toContain('host:port[:weight]');
    expect(error.message).toBe(
      'authring.yaml:4:7: memcached.servers[1]: expected "host:port[:weight]" (IPv6 as "[addr]:port[:weight]"), got "localhost"',
    );
  });

  it('lists every problem, in file order, one per line, each with line and field', () => {
    const error = configError(
      yaml(
        'mysql:', //                            1
        '  user: authring', //                  2
        '  database: authring_demo', //         3
        '  pool_size: 0', //                    4
        'memcached:', //                        5
        '  servers: [127.0.0.1:11311]', //      6
        '  timeout_ms: fast', //                7
      ),
    );
    expect(error.issues.map((issue) => [issue.line, issue.field])).toEqual([
      [4, 'mysql.pool_size'],
      [7, 'memcached.timeout_ms'],
    ]);
    expect(error.message.split('\n')).toEqual([
      'authring.yaml:4:14: mysql.pool_size: expected an integer 1..1000 (connections), got 0',
      'authring.yaml:7:15: memcached.timeout_ms: expected an integer 1..600000 (milliseconds), got "fast"',
    ]);
  });
});

describe('syntax errors', () => {
  it('maps a YAML error to file:line', () => {
    const error = configError(yaml(...MINIMAL, 'cache:', '  ttl_s: [300', 'metrics: {}'));
    expect(error.line).toBe(8);
    expect(error.field).toBeUndefined();
    expect(error.message).toMatch(/^authring\.yaml:8:\d+: YAML syntax error: /);
  });

  it('reports duplicate keys where the second one is', () => {
    const error = configError(yaml(...MINIMAL, 'cache:', '  ttl_s: 300', '  ttl_s: 600'));
    expect(error.line).toBe(8);
    expect(error.message).toContain('unique');
  });

  it('reports an empty file', () => {
    expect(configError('# nothing here\n').message).toBe(
      'authring.yaml:1:1: the file is empty; expected a mapping with at least `memcached` and `mysql`',
    );
  });

  it('reports a file that is not a mapping', () => {
    expect(configError('- memcached\n').message).toMatch(/^authring\.yaml:1:1: \(top level\): expected a mapping/);
  });
});

describe('unknown keys', () => {
  it('names the key, the section and the accepted keys, and suggests the likely one', () => {
    const error = configError(yaml(...MINIMAL.slice(0, 2), '  serverz: [127.0.0.1:11312]', ...MINIMAL.slice(2)));
    expect(error).toMatchObject({ line: 3, column: 3, field: 'memcached.serverz' });
    expect(error.message).toBe(
      'authring.yaml:3:3: unknown key `serverz` in memcached (did you mean `servers`?); expected one of servers, timeout_ms, connect_timeout_ms, socket_timeout_ms, failure_threshold, probe_interval_ms, fallback, fallback_ttl_s, outage_journal_size, max_value_bytes, sasl, tls',
    );
  });

  it('catches camelCase keys and top-level typos', () => {
    const error = configError(yaml(...MINIMAL, 'cache:', '  ttlSeconds: 60', 'metric: {}'));
    expect(error.issues.map((i) => [i.line, i.field])).toEqual([
      [7, 'cache.ttlSeconds'],
      [8, 'metric'],
    ]);
    expect(error.issues[1]?.message).toContain('unknown key `metric` at the top level (did you mean `metrics`?)');
  });

  it('checks nested lookup sections', () => {
    const error = configError(yaml(...MINIMAL, 'lookups:', '  address:', '    ip_addr_col: ip'));
    expect(error).toMatchObject({ line: 8, field: 'lookups.address.ip_addr_col' });
    expect(error.message).toContain('expected one of table, group_column, ip_column');
  });
});

describe('values', () => {
  it.each([
    ['  servers: []', 2, 'memcached.servers', 'a non-empty list'],
    ['  servers: 127.0.0.1:11311', 2, 'memcached.servers', 'a list of servers'],
    ['  servers: ["127.0.0.1:99999"]', 2, 'memcached.servers[0]', 'port 1..65535'],
    ['  servers: ["127.0.0.1:11311:0"]', 2, 'memcached.servers[0]', 'weight ≥ 1'],
    ['  servers: ["[::zz]:11311"]', 2, 'memcached.servers[0]', 'valid IPv6'],
    ['  servers: ["::1:11311"]', 2, 'memcached.servers[0]', 'IPv6 as'],
    ['  servers: [127.0.0.1:11311, "127.0.0.1:11311:2"]', 2, 'memcached.servers[1]', 'a server not listed before'],
  ])('memcached %s', (line, lineNo, field, expected) => {
    const error = configError(yaml('memcached:', line, 'mysql: { user: a, database: b }'));
    expect(error).toMatchObject({ line: lineNo, field });
    expect(error.expected).toContain(expected);
  });

  it('checks the fallback policy and keeps gutter servers off the ring', () => {
    const bad = configError(yaml(...MINIMAL.slice(0, 2), '  fallback: gutter', ...MINIMAL.slice(2)));
    expect(bad).toMatchObject({ line: 3, field: 'memcached.fallback' });
    expect(bad.expected).toBe('"next" or "none"');
    const overlap = configError(yaml(...MINIMAL.slice(0, 2), '  fallback:', '    gutter:', '      - 127.0.0.1:11311', ...MINIMAL.slice(2)));
    expect(overlap).toMatchObject({ line: 5, field: 'memcached.fallback.gutter[0]' });
    expect(overlap.message).toContain('also a ring server');
  });

  it.each([
    ['ttl_s: 0', 'cache.ttl_s', 'an integer 1..2592000 (seconds)'],
    ['ttl_s: 2592001', 'cache.ttl_s', 'an integer 1..2592000 (seconds)'],
    ['negative_ttl_s: -1', 'cache.negative_ttl_s', 'an integer 0..2592000 (seconds)'],
    ['jitter: 0.6', 'cache.jitter', 'a number 0..0.5 (fraction of the TTL)'],
    ['refresh_ahead: 1', 'cache.refresh_ahead', 'a number 0..0.9 (fraction of the TTL, 0 = off)'],
    ['codec: hmac', 'cache.codec', '"plain" or "signed" or "encrypted"'],
    ['on_source_error: ignore', 'cache.on_source_error', '"fail" or "deny"'],
    ['key_prefix: "has space"', 'cache.key_prefix', 'printable ASCII without spaces, at most 64 characters'],
    ['lease_ms: 1.5', 'cache.lease_ms', 'an integer 1000..600000 (milliseconds)'],
    // The engine's own limits (READ_THROUGH_LIMITS): a file that loads never fails AuthCache.create.
    ['lease_ms: 500', 'cache.lease_ms', 'an integer 1000..600000 (milliseconds)'],
    ['lookup_deadline_ms: null', 'cache.lookup_deadline_ms', 'an integer 1..600000 (milliseconds)'],
  ])('cache %s', (line, field, expected) => {
    const error = configError(yaml(...MINIMAL, 'cache:', `  ${line}`));
    expect(error).toMatchObject({ line: 7, column: line.indexOf(':') + 5, field, expected });
  });

  it('only lets SQL identifiers through as table and column names', () => {
    const error = configError(
      yaml(...MINIMAL, 'lookups:', '  group:', '    table: "grp; DROP TABLE grp"', '  credentials:', '    password_column: "`ha1`"'),
    );
    expect(error.issues.map((i) => [i.line, i.field])).toEqual([
      [8, 'lookups.group.table'],
      [10, 'lookups.credentials.password_column'],
    ]);
  });

  it('requires mysql user and database unless uri is given, and refuses both', () => {
    const missing = configError(yaml(...MINIMAL.slice(0, 2), 'mysql:', '  host: localhost'));
    expect(missing.issues.map((i) => [i.line, i.field, i.message])).toEqual([
      [3, 'mysql.user', 'authring.yaml:3:1: mysql: missing required key `user` (or set `uri`)'],
      [3, 'mysql.database', 'authring.yaml:3:1: mysql: missing required key `database` (or set `uri`)'],
    ]);
    const both = configError(yaml(...MINIMAL.slice(0, 2), 'mysql:', '  uri: mysql://a@localhost/b', '  port: 3307'));
    expect(both).toMatchObject({ line: 5, field: 'mysql.port' });
  });

  it.each(['postgres://a@localhost/b', 'mysql://localhost/b', 'mysql://a@localhost/', 'mysql://a@localhost/b?ssl=1', 'not a uri'])(
    'rejects the mysql uri %j',
    (uri) => {
      const error = configError(yaml(...MINIMAL.slice(0, 2), 'mysql:', `  uri: "${uri}"`));
      expect(error).toMatchObject({ line: 4, field: 'mysql.uri' });
      expect(error.expected).toContain('mysql://user[:password]@host[:port]/database');
    },
  );

  it('reports missing required sections at line 1', () => {
    const error = configError(yaml('cache: {}'));
    expect(error.issues.map((i) => i.message)).toEqual([
      'authring.yaml:1:1: missing required key `memcached`',
      'authring.yaml:1:1: missing required key `mysql`',
    ]);
  });

  it('keeps the cluster layer separate: errors are ConfigError, not InvalidArgumentError', () => {
    expect(configError(yaml('memcached: { servers: [x] }', 'mysql: {}'))).not.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authring-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports an unreadable file without a line', async () => {
    const file = join(dir, 'missing.yaml');
    const error = await loadConfig(file, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ file, line: undefined, field: undefined, code: 'E_CONFIG' });
    expect((error as ConfigError).message).toMatch(/^.*missing\.yaml: cannot read config file: ENOENT/);
  });

  it('refuses a FIFO at once instead of waiting for a writer, and a file past the size bound', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const error = await loadConfig(fifo, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ file: fifo, expected: 'a regular file' });
    expect((error as ConfigError).message).toContain('is a FIFO (named pipe), not a regular file');
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(4 * 1024 * 1024)}\n${MINIMAL.join('\n')}`);
    expect(await loadConfig(big, {}).catch((e: unknown) => e)).toMatchObject({ expected: 'a file of at most 4194304 bytes' });
    expect(await loadConfig('/dev/zero', {}).catch((e: unknown) => e)).toBeInstanceOf(ConfigError);
  });

  it('follows a link to the config file (as Kubernetes mounts config maps)', async () => {
    const target = join(dir, 'target.yaml');
    writeFileSync(target, MINIMAL.join('\n'));
    const link = join(dir, 'link.yaml');
    symlinkSync(target, link);
    expect((await loadConfig(link, {})).memcached.servers.length).toBeGreaterThan(0);
  });

  it('takes the path from AUTHRING_CONFIG when none is passed, and says so when it is missing', async () => {
    const error = await loadConfig(undefined, { AUTHRING_CONFIG: join(dir, 'nope.yaml') }).catch((e: unknown) => e);
    expect((error as ConfigError).message).toContain('nope.yaml: cannot read config file (pass a path or set AUTHRING_CONFIG)');
  });
});
