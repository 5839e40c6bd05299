import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { MINIMAL, yaml } from './fixtures.js';

const warningsOf = (text: string) => parseConfig(text, 'authring.yaml', {}).warnings;

describe('warnings', () => {
  it('are returned, not thrown, each with file:line and field', () => {
    const warnings = warningsOf(
      yaml(
        'memcached:', //                        1
        '  servers: [127.0.0.1:11311]', //      2
        '  fallback: none', //                  3
        'mysql:', //                            4
        '  user: authring', //                  5
        '  database: authring_demo', //         6
        '  password: topsecret', //             7
        'cache:', //                            8
        '  ttl_s: 7200', //                     9
        '  jitter: 0', //                       10
      ),
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^authring\.yaml:3:13: memcached\.fallback: a down server fails every key/),
      expect.stringMatching(/^authring\.yaml:7:13: mysql\.password: the MySQL password is written in the config file/),
      'authring.yaml:9:10: cache.ttl_s: a change in MySQL (passwords, groups, addresses) that no invalidation reaches (without the change-log triggers and a watcher: authring install-triggers, authring watch) can take 7200 s to show',
      expect.stringMatching(/^authring\.yaml:10:11: cache\.jitter: entries written together/),
    ]);
  });

  it('flag settings that defeat each other', () => {
    const warnings = warningsOf(
      yaml(
        ...MINIMAL.slice(0, 2),
        '  timeout_ms: 500', //                 3
        '  socket_timeout_ms: 400', //          4
        ...MINIMAL.slice(2), //                 5-7
        '  query_timeout_ms: 3000', //          8
        'cache:', //                            9
        '  jitter: 0.2', //                     10
        '  refresh_ahead: 0.85', //             11
        '  stale_ttl_s: 30', //                 12
      ),
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^authring\.yaml:4:22: memcached\.socket_timeout_ms: 400 ms is not above timeout_ms/),
      // lease_ms is not set, so the warning points at the setting that made it too short.
      'authring.yaml:8:21: cache.lease_ms: 2000 ms is below mysql.query_timeout_ms (3000 ms): a slow load outlives its lease and other nodes query MySQL too',
      expect.stringMatching(/^authring\.yaml:11:18: cache\.refresh_ahead: has no effect: plain entries/),
      expect.stringMatching(/^authring\.yaml:12:16: cache\.stale_ttl_s: has no effect: only signed or encrypted entries/),
    ]);
  });

  it('are empty for the defaults', () => {
    expect(warningsOf(yaml(...MINIMAL))).toEqual([]);
  });
});
