import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { authring, authringInProcess, tempDir } from './cli.js';

// None of these runs reaches a server: the config or the command line is refused first.
// Most cases run the command in this process (runCli, what main.ts calls: same exit codes and
// output); a few start the real command to show the process says the same. Every child costs a
// TypeScript start-up (about 1.4 s of CPU): the 21 children this file used to start, several in
// one test, took minutes on a loaded 2-core machine, against a 180 s test timeout and a 60 s kill.
describe('authring: config and usage errors', () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir();
  });

  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, text, 'utf8');
    return p;
  };

  it.each(['check', 'ring', 'stats', 'warm', 'kamailio', 'lookup group a b c', 'invalidate namespace', 'watch', 'install-triggers'])(
    '%s: an invalid config exits 2 with file:line:column on stderr and nothing on stdout',
    async (command) => {
      const bad = file('bad.yaml', 'memcached:\n  servers:\n    - 127.0.0.1:11311\n    - localhost\nmysql:\n  user: u\n  database: d\n');
      const result = await authringInProcess(['-c', bad, ...command.split(' ')]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`${bad}:4:7: memcached.servers[1]: expected "host:port[:weight]"`);
    },
  );

  it('lists every problem, one per line, also with --json', async () => {
    const bad = file('two.yaml', 'memcached:\n  servers: [127.0.0.1:11311]\n  timeout_ms: "250"\nmysql:\n  database: d\n');
    const result = await authringInProcess(['--json', '-c', bad, 'ring']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${bad.replace(/[.]/g, '\\.')}:3:\\d+: memcached\\.timeout_ms: `));
    expect(lines[1]).toMatch(/:4:1: mysql: missing required key `user`/);
  });

  it('an unreadable config exits 2; the path comes from --config, else AUTHRING_CONFIG', async () => {
    const missing = path.join(dir, 'nope.yaml');
    const explicit = await authringInProcess(['-c', missing, 'ring']);
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toContain(`${missing}: cannot read config file`);

    const fromEnv = await authringInProcess(['ring'], { env: { AUTHRING_CONFIG: missing } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(`${missing}: cannot read config file (pass a path or set AUTHRING_CONFIG)`);

    const good = file('env.yaml', 'memcached:\n  servers: [127.0.0.1:21311]\nmysql:\n  user: u\n  database: d\n');
    const ok = await authringInProcess(['ring'], { env: { AUTHRING_CONFIG: good } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`${good}: 1 server, 160 points`);
  });

  it('config warnings go to stderr, never into the JSON on stdout', async () => {
    const warned = file('warned.yaml', 'memcached:\n  servers: [127.0.0.1:21311]\n  fallback: none\nmysql:\n  user: u\n  database: d\n');
    const result = await authringInProcess(['--json', '-c', warned, 'ring']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: .*warned\.yaml:3:\d+: memcached\.fallback/m);
    expect(() => JSON.parse(result.stdout) as unknown).not.toThrow();
  });

  it('usage errors exit 2: unknown command, unknown option, missing or malformed argument', async () => {
    for (const args of [['frobnicate'], ['ring', '--frob'], ['lookup', 'group', 'alice'], ['--timeout', 'soon', 'ring'], ['warm', '--concurrency', '0'], ['kamailio', '--case-folding', 'lower']]) {
      const result = await authringInProcess(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/error: /);
    }
    const help = await authringInProcess(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['check', 'ring', 'lookup', 'stats', 'warm', 'kamailio', 'invalidate', 'watch', 'install-triggers', 'remove-triggers']) {
      expect(help.stdout).toContain(`  ${command}`);
    }
  });

  it('the real command exits 2 with the same output: an invalid config, a usage error', async () => {
    const bad = file('real.yaml', 'memcached:\n  servers:\n    - 127.0.0.1:11311\n    - localhost\nmysql:\n  user: u\n  database: d\n');
    const config = await authring(['-c', bad, 'check']);
    expect(config.code).toBe(2);
    expect(config.stdout).toBe('');
    expect(config.stderr).toContain(`${bad}:4:7: memcached.servers[1]: expected "host:port[:weight]"`);
    const usage = await authring(['ring', '--frob']);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toMatch(/error: /);
  });
});
