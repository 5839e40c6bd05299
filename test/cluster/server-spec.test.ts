/** The one server-entry parser: the config file and the cluster client agree on what is one server. */
import { describe, expect, it } from 'vitest';
import { checkServerSpec, parseServerList, parseServerSpec } from '../../src/cluster/server-spec.js';
import { resolveClusterOptions } from '../../src/cluster/options.js';
import { parseConfig } from '../../src/config/index.js';
import { InvalidArgumentError } from '../../src/errors.js';

const config = (servers: string[], gutter: string[] = []): string =>
  [
    'memcached:',
    `  servers: [${servers.map((s) => JSON.stringify(s)).join(', ')}]`,
    ...(gutter.length === 0 ? [] : [`  fallback: { gutter: [${gutter.map((s) => JSON.stringify(s)).join(', ')}] }`]),
    'mysql: { user: a, database: b }',
  ].join('\n');

/** Whether the config file accepts the list; the cluster client must say the same. */
function configAccepts(servers: string[], gutter: string[] = []): boolean {
  try {
    parseConfig(config(servers, gutter), 'authring.yaml', {});
    return true;
  } catch {
    return false;
  }
}

function clusterAccepts(servers: string[], gutter: string[] = []): boolean {
  try {
    resolveClusterOptions({ servers, ...(gutter.length === 0 ? {} : { fallback: { gutter } }) });
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return false;
  }
}

describe('server entries', () => {
  it.each([
    [['[abcd::1]:11311', '[ABCD::1]:11311']],
    [['[2001:db8::1]:11311', '[2001:DB8:0:0:0:0:0:1]:11311']],
    [['127.0.0.1:11311', '127.1:11311']],
    [['127.0.0.1:11311', '[::ffff:127.0.0.1]:11311']],
    [['cache-1:11311', 'CACHE-1:11311']],
    [['127.0.0.1:11311', '127.0.0.1:11311:2']],
  ])('%j is one server listed twice, for the config file and the cluster client alike', (servers) => {
    expect(configAccepts(servers)).toBe(false);
    expect(clusterAccepts(servers)).toBe(false);
  });

  it('a gutter server written differently from a ring server is refused by both', () => {
    expect(configAccepts(['[::1]:11311'], ['[0:0:0:0:0:0:0:1]:11311'])).toBe(false);
    expect(clusterAccepts(['[::1]:11311'], ['[0:0:0:0:0:0:0:1]:11311'])).toBe(false);
  });

  it.each(['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:1:0', 'a b:1', '[zz::1]:1', '127.0.0.256:1', '127.0.0.08:1'])(
    '%j is refused by both',
    (spec) => {
      expect(configAccepts([spec])).toBe(false);
      expect(clusterAccepts([spec])).toBe(false);
      expect(checkServerSpec(spec).ok).toBe(false);
    },
  );

  it('keeps the entry as written for naming and hashing, and the canonical address for identity', () => {
    expect(parseServerSpec('[ABCD:0::1]:11211:2')).toEqual({
      host: 'ABCD:0::1',
      port: 11211,
      weight: 2,
      address: '[ABCD:0::1]:11211',
      canonical: '[abcd::1]:11211',
      ketamaName: 'ABCD:0::1',
    });
    expect(parseServerSpec('127.1:11311')).toMatchObject({ address: '127.1:11311', canonical: '127.0.0.1:11311', ketamaName: '127.1:11311' });
    expect(parseServerList(['[::1]:1', '[::2]:1']).map((s) => s.canonical)).toEqual(['[::1]:1', '[::2]:1']);
  });
});
