/**
 * YAML that costs time or hides where a problem is: alias bombs, aliases redefined, values tagged
 * into other types.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ALIASES, parseConfig } from '../../src/config/index.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

describe('YAML aliases', () => {
  it('refuses more than MAX_ALIASES aliases, naming the limit, at the first one over it', () => {
    expect(MAX_ALIASES).toBe(100);
    // Each alias used to be resolved by searching the whole file: 10,000 of them took over 30 s.
    const refs = Array.from({ length: 10_000 }, () => '    - *s');
    const error = configError(yaml('memcached:', '  servers:', '    - &s 127.0.0.1:11311', ...refs, 'mysql:', '  user: a', '  database: b'));
    expect(error.issues).toHaveLength(1);
    expect(error.message).toBe(`authring.yaml:${3 + MAX_ALIASES + 1}:7: too many YAML aliases: more than 100 (a guard against alias bombs); write the values out`);
    expect(error.expected).toBe('at most 100 aliases');
  });

  it('accepts MAX_ALIASES aliases, each meaning the last anchor of its name before it', () => {
    const text = (aliases: number): string =>
      yaml(
        'memcached:',
        '  servers: [127.0.0.1:11311]',
        '  timeout_ms: &t 300',
        'mysql:',
        '  user: a',
        '  database: b',
        '  query_timeout_ms: *t',
        '  pool_size: &t 7',
        '  connect_timeout_ms: *t',
        `extra: [${Array.from({ length: aliases - 2 }, () => '*t').join(', ')}]`,
      );
    // `extra` is a key authring does not know, so it is the one problem reported.
    const atLimit = configError(text(MAX_ALIASES));
    expect(atLimit.issues.map((issue) => issue.field)).toEqual(['extra']);
    const over = configError(text(MAX_ALIASES + 1));
    expect(over.issues.map((issue) => issue.expected)).toEqual(['at most 100 aliases']);
    const config = parseConfig(text(2).replace(/^extra.*\n/m, ''), 'authring.yaml', {});
    expect(config.mysql).toMatchObject({ queryTimeoutMs: 300, poolSize: 7, connectTimeoutMs: 7 });
  });

  it('points at an alias whose anchor is not defined before it', () => {
    const error = configError(yaml(...MINIMAL, '  pool_size: *later', '  query_timeout_ms: &later 5'));
    expect(error.message).toBe('authring.yaml:6:14: mysql.pool_size: expected an integer 1..1000 (connections), got an alias (*later) with no anchor of that name before it');
  });
});

describe('tagged values', () => {
  it('point at the item itself, not 1:1, in an !!omap or !!pairs list', () => {
    const omap = configError(yaml('memcached:', '  servers: !!omap [a: 1]', 'mysql:', '  user: a', '  database: b'));
    expect(omap.message).toBe('authring.yaml:2:20: memcached.servers[0]: expected "host:port[:weight]" (IPv6 as "[addr]:port[:weight]"), got a `key: value` pair');
    const pairs = configError(yaml('memcached:', '  servers: !!pairs', '    - 127.0.0.1:11311: 1', 'mysql:', '  user: a', '  database: b'));
    expect(pairs).toMatchObject({ line: 3, column: 7, field: 'memcached.servers[0]' });
  });

  it('point at the value for every other tag', () => {
    for (const [value, column] of [['!!binary aGVsbG8=', 18], ['!!timestamp 2001-01-01', 21], ['!!set {a}', 15], ['!!str 5', 15]] as const) {
      const error = configError(yaml(...MINIMAL, `  port: ${value}`));
      expect([error.line, error.column, error.field]).toEqual([6, column, 'mysql.port']);
    }
  });
});
