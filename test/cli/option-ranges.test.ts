/**
 * Millisecond options stop at the longest delay Node's timers keep: `setTimeout` runs a longer
 * one after 1 ms, so `--timeout 99999999999` used to time the command out at once.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { authring, tempDir } from './cli.js';

describe('millisecond options', () => {
  let config: string;

  beforeAll(() => {
    config = path.join(tempDir(), 'authring.yaml');
    writeFileSync(config, 'memcached:\n  servers: [127.0.0.1:1, 127.0.0.1:2]\nmysql:\n  user: a\n  database: b\n', 'utf8');
  });

  it.each([
    [['--timeout', '99999999999', 'ring'], '--timeout <ms>'],
    [['watch', '--interval', '99999999999'], '--interval <ms>'],
    [['warm', '--progress-interval', '2147483648'], '--progress-interval <ms>'],
  ])('%j is a usage error naming the range', async (args, option) => {
    const result = await authring(['-c', config, ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`option '${option}' argument`);
    expect(result.stderr).toContain('expected an integer 1..2147483647');
  });

  it('accepts the longest timer, and the command runs', async () => {
    const result = await authring(['-c', config, '--json', '--timeout', '2147483647', 'ring']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty('servers');
  });
});
