/**
 * No output of the command, on stdout or stderr, text or JSON, ever holds a secret from the
 * config file: not in config errors, not in warnings, not in what `check` reports.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { authring, tempDir } from './cli.js';

const SECRET = '8472910365528193';
const CACHE_SECRET = 'c4ch3-s3cr3t-0123456789abcdef';

describe('authring never prints a secret', () => {
  let dir: string;
  const file = (name: string, text: string, mode = 0o600): string => {
    const p = path.join(dir, name);
    writeFileSync(p, text, { encoding: 'utf8', mode });
    return p;
  };
  const expectClean = (output: { stdout: string; stderr: string }): void => {
    for (const text of [output.stdout, output.stderr]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET.slice(0, 6));
      expect(text).not.toContain(CACHE_SECRET);
    }
  };
  // Nothing listens on port 1: every probe fails fast, and says why.
  const servers = 'memcached:\n  servers: [127.0.0.1:1]\n  timeout_ms: 200\n  connect_timeout_ms: 200\n';

  beforeAll(() => {
    dir = tempDir();
  });

  it.each([
    ['a numeric password', `${servers}mysql:\n  user: a\n  database: b\n  password: ${SECRET}\n`],
    ['a numeric cache secret', `${servers}mysql:\n  user: a\n  database: b\ncache:\n  codec: signed\n  secret: ${SECRET}\n`],
    ['a URI with a query string', `${servers}mysql:\n  uri: mysql://a:${SECRET}@127.0.0.1:1/b?ssl=1\n`],
  ])('config error with %s: exit 2, no secret on stdout or stderr (text and --json)', async (_name, yaml) => {
    const config = file('bad.yaml', yaml);
    for (const args of [['check'], ['--json', 'ring']]) {
      const result = await authring(['-c', config, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${config}:`);
      expectClean(result);
    }
  });

  it('a valid config with secrets everywhere: warnings and check output (text and --json) hold none', async () => {
    const secretFile = file('cache.secret', `${CACHE_SECRET}\n`, 0o644);
    const config = file(
      'good.yaml',
      `${servers}mysql:\n  uri: mysql://authring:${SECRET}@127.0.0.1:1/authring_nowhere\n  connect_timeout_ms: 300\ncache:\n  codec: signed\n  secret_file: ${secretFile}\n`,
    );
    const text = await authring(['-c', config, '--timeout', '5000', 'check']);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('warning:');
    expect(text.stdout).toContain('127.0.0.1:1');
    expectClean(text);
    const json = await authring(['-c', config, '--timeout', '5000', '--json', 'check']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false });
    expectClean(json);
    const ring = await authring(['-c', config, '--json', 'ring']);
    expect(ring.code).toBe(0);
    expectClean(ring);
  });
});
