/** One server written two ways is still one server; host names are what resolvers accept. */
import { describe, expect, it } from 'vitest';
import { parseServerSpec } from '../../src/cluster/server-spec.js';
import { parseConfig } from '../../src/config/index.js';
import { configError, yaml } from './fixtures.js';

const servers = (...list: string[]): string => yaml('memcached:', '  servers:', ...list.map((s) => `    - "${s}"`), 'mysql:', '  user: a', '  database: b');

describe('duplicate servers', () => {
  it.each([
    ['127.0.0.1:11311', '127.000.000.001:11311', '127.0.0.1:11311'],
    ['127.0.0.1:11311', '127.1:11311', '127.0.0.1:11311'],
    ['127.0.0.1:11311', '0x7f000001:11311', '127.0.0.1:11311'],
    ['127.0.0.8:11311', '127.0.0.010:11311', '127.0.0.8:11311'],
    ['[::1]:11311', '[0:0:0:0:0:0:0:1]:11311', '[::1]:11311'],
    ['[::1]:11311', '[::0001]:11311', '[::1]:11311'],
    ['[2001:db8::1]:11311', '[2001:DB8:0:0:0:0:0:1]:11311', '[2001:db8::1]:11311'],
    ['127.0.0.1:11311', '[::ffff:127.0.0.1]:11311', '127.0.0.1:11311'],
    ['cache-1:11311', 'CACHE-1:11311', 'cache-1:11311'],
  ])('%s and %s are one server', (first, second, canonical) => {
    const error = configError(servers(first, second));
    expect(error).toMatchObject({ line: 4, field: 'memcached.servers[1]', expected: 'a server not listed before' });
    expect(error.message).toContain(`server ${canonical} is listed twice (first at memcached.servers[0])`);
  });

  it('finds a gutter server that is a ring server written differently', () => {
    const text = yaml('memcached:', '  servers: [127.0.0.1:11311]', '  fallback:', '    gutter: [127.000.000.001:11311]', 'mysql:', '  user: a', '  database: b');
    expect(configError(text).message).toContain('server 127.0.0.1:11311 is also a ring server or listed twice');
  });

  it('keeps distinct servers apart and as written', () => {
    const config = parseConfig(servers('127.0.0.1:11311', '127.0.0.2:11311', '[::1]:11311', '[::2]:11311', 'localhost:11311'), 'authring.yaml', {});
    expect(config.memcached.servers).toEqual(['127.0.0.1:11311', '127.0.0.2:11311', '[::1]:11311', '[::2]:11311', 'localhost:11311']);
  });

  it('refuses a numeric host that is no IPv4 address (the resolver would look it up as a name)', () => {
    for (const bad of ['127.0.0.08:11311', '127.0.0.256:11311', '1.2.3.4.5:11311']) {
      expect(configError(servers(bad)).expected).toContain('with a valid IPv4 address');
    }
  });
});

describe('host names with underscores', () => {
  it('are accepted for memcached and MySQL, as resolvers accept them', () => {
    const config = parseConfig(yaml('memcached:', '  servers: [memcached_1:11311, cache_2.internal:11311:2]', 'mysql:', '  host: mysql_primary', '  user: a', '  database: b'), 'authring.yaml', {});
    expect(config.memcached.servers).toEqual(['memcached_1:11311', 'cache_2.internal:11311:2']);
    expect(config.mysql.host).toBe('mysql_primary');
    expect(parseConfig(yaml('memcached:', '  servers: [m_1:11311]', 'mysql:', '  uri: mysql://a@db_1:3307/b'), 'authring.yaml', {}).mysql).toMatchObject({ host: 'db_1', port: 3307 });
  });

  it('are accepted by the cluster client too', () => {
    expect(parseServerSpec('memcached_1:11311:2')).toMatchObject({ host: 'memcached_1', port: 11311, weight: 2, ketamaName: 'memcached_1:11311' });
  });
});

describe('millisecond settings', () => {
  it('stop at the longest timer Node keeps (a longer one fires after 1 ms)', () => {
    const base = ['memcached:', '  servers: [127.0.0.1:11311]'];
    expect(parseConfig(yaml(...base, '  socket_timeout_ms: 2147483647', 'mysql:', '  user: a', '  database: b'), 'a.yaml', {}).memcached.socketTimeoutMs).toBe(2_147_483_647);
    // The lookup's own times stop earlier, at the read-through engine's limits (READ_THROUGH_LIMITS).
    const cases = [
      ['memcached', 'timeout_ms', '1..600000'],
      ['mysql', 'query_timeout_ms', '1..2147483647'],
      ['cache', 'lookup_deadline_ms', '1..600000'],
      ['cache', 'lease_ms', '1000..600000'],
    ] as const;
    for (const [section, key, range] of cases) {
      const lines = [...base, 'mysql:', '  user: a', '  database: b', 'cache: {}'];
      const at = lines.indexOf(`${section}:`) >= 0 ? lines.indexOf(`${section}:`) : lines.indexOf('cache: {}');
      if (section === 'cache') lines[at] = `cache: { ${key}: 99999999999 }`;
      else lines.splice(at + 1, 0, `  ${key}: 99999999999`);
      const error = configError(yaml(...lines));
      expect(error).toMatchObject({ field: `${section}.${key}`, expected: `an integer ${range} (milliseconds)` });
    }
  });
});
