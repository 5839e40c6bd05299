import { beforeAll, describe, expect, it } from 'vitest';
import { needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { useServicesFixture } from '../helpers/services-fixture.js';
import { PASSWORD_ENV, authring, authringInProcess, authringJson, tempDir, writeConfig } from './cli.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

interface CheckJson {
  ok: boolean;
  checks: { server: string; kind: string; status: 'up' | 'down'; version?: string; latencyMs?: number; error?: string; columns?: string[] }[];
}

describe.skipIf(!ready)('authring check', () => {
  const services = useServicesFixture(3);
  const { servers } = services;
  let db: KamailioDatabase;
  let dir: string;

  beforeAll(() => {
    db = services.db;
    dir = tempDir();
  });

  const config = (name: string, extra: Partial<Parameters<typeof writeConfig>[1]> = {}): string =>
    writeConfig(dir, { servers: servers.map((s) => s.address), mysqlUrl: db.url, keyPrefix: 'check:', ...extra }, name);

  it('reports every server and table up, with versions and latency, and exits 0', async () => {
    const file = config('up.yaml');
    const { result, json } = await authringJson<CheckJson>(['-c', file, 'check']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(json.ok).toBe(true);
    const memcached = json.checks.filter((c) => c.kind === 'memcached');
    expect(memcached.map((c) => c.server)).toEqual(servers.map((s) => s.address));
    for (const c of memcached) {
      expect(c.status).toBe('up');
      expect(c.version).toMatch(/^\d+\.\d+/);
      expect(c.latencyMs).toBeGreaterThan(0);
    }
    const mysql = json.checks.find((c) => c.kind === 'mysql');
    expect(mysql?.status).toBe('up');
    expect(mysql?.version).toMatch(/MariaDB|^\d/);
    const tables = json.checks.filter((c) => c.kind === 'table');
    expect(tables.map((t) => t.server)).toEqual([`${db.name}.grp`, `${db.name}.subscriber`, `${db.name}.address`]);
    expect(tables.every((t) => t.status === 'up')).toBe(true);
    expect(tables[1]?.columns).toEqual(['username', 'domain', 'ha1', 'ha1b']);

    const text = await authring(['-c', file, 'check']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${file}: valid`);
    expect(text.stdout).toMatch(/server\s+kind\s+status\s+version \/ latency\s+error/);
    for (const s of servers) expect(text.stdout).toMatch(new RegExp(`${s.address}\\s+memcached\\s+up\\s+\\d`));
  });

  it('exits 1 when a memcached server is down, and the table says which', async () => {
    const file = config('one-down.yaml');
    const victim = servers[1];
    if (!victim) throw new Error('no server');
    await victim.kill();
    try {
      const text = await authring(['-c', file, 'check']);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(new RegExp(`${victim.address}\\s+memcached\\s+down\\s+.*(refused|ECONNREFUSED)`));
      for (const s of servers.filter((x) => x !== victim)) expect(text.stdout).toMatch(new RegExp(`${s.address}\\s+memcached\\s+up`));
      expect(text.stderr).toContain(`1 of 7 checks failed: ${victim.address}`);

      const { result, json } = await authringJson<CheckJson>(['-c', file, 'check']);
      expect(result.code).toBe(1);
      expect(json.ok).toBe(false);
      expect(json.checks.filter((c) => c.status === 'down').map((c) => c.server)).toEqual([victim.address]);
    } finally {
      await victim.restart();
    }
  });

  it('reports a paused server (connects, never answers) down within the deadline', async () => {
    const file = config('paused.yaml');
    const victim = servers[2];
    if (!victim) throw new Error('no server');
    await victim.pause();
    try {
      // In this process, so the time measured is the command's, not a loaded machine's process start.
      const result = await authringInProcess(['-c', file, '--json', '--timeout', '3000', 'check']);
      const json = JSON.parse(result.stdout) as CheckJson;
      expect(result.elapsedMs).toBeLessThan(8000);
      expect(result.code).toBe(1);
      expect(json.checks.find((c) => c.server === victim.address)).toMatchObject({ status: 'down', error: expect.stringMatching(/no answer/) });
    } finally {
      await victim.resume();
    }
  });

  it('exits 1 when a configured column or table does not exist, naming it', async () => {
    const file = config('bad-column.yaml', { group: { user_column: 'user_name' } });
    const { result, json } = await authringJson<CheckJson>(['-c', file, 'check']);
    expect(result.code).toBe(1);
    expect(json.checks.find((c) => c.server === `${db.name}.grp`)).toMatchObject({
      status: 'down',
      error: expect.stringContaining('lookups.group.user_column: no column user_name in table grp'),
    });

    const missing = config('bad-table.yaml', { group: { table: 'nosuchtable' } });
    const text = await authring(['-c', missing, 'check']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`lookups.group.table: no table nosuchtable in database ${db.name}`);
  });

  it('exits 1 for a name column that is not a character column (VARBINARY), naming table, column and what is expected', async () => {
    await db.query('CREATE TABLE grp_binary (username VARBINARY(64), domain VARBINARY(64), grp VARBINARY(64))');
    const file = config('binary.yaml', { group: { table: 'grp_binary' } });
    const { result, json } = await authringJson<CheckJson>(['-c', file, 'check']);
    expect(result.code).toBe(1);
    const grp = json.checks.find((c) => c.server === `${db.name}.grp_binary`);
    expect(grp).toMatchObject({ status: 'down' });
    expect(grp?.error).toContain('lookups.group.user_column: grp_binary.username is varbinary(64); expected a character column');
    expect(grp?.error).toContain('lookups.group.group_column: grp_binary.grp is varbinary(64)');

    const lookup = await authring(['-c', file, 'lookup', 'group', 'alice', 'example.com', 'ipauth']);
    expect(lookup.code).not.toBe(0);
    expect(lookup.stderr).toContain('grp_binary.username is varbinary(64); expected a character column');
    expect(lookup.stderr).not.toContain('ER_PARSE_ERROR');
  });

  it('checks only the enabled lookups’ tables', async () => {
    const file = config('subscriber-only.yaml', {
      group: { enabled: 'false', table: 'nosuchtable' },
      extra: ['  address:', '    enabled: false', '    table: nosuchtable'].join('\n'),
    });
    const { result, json } = await authringJson<CheckJson>(['-c', file, 'check']);
    expect(result.code).toBe(0);
    expect(json.checks.filter((c) => c.kind === 'table').map((c) => c.server)).toEqual([`${db.name}.subscriber`]);
  });

  it('exits 1 when MySQL refuses the login, with every table unchecked', async () => {
    const file = config('bad-login.yaml');
    const { result, json } = await authringJson<CheckJson>(['-c', file, 'check'], { env: { [PASSWORD_ENV]: 'wrong-password' } });
    expect(result.code).toBe(1);
    expect(json.checks.find((c) => c.kind === 'mysql')).toMatchObject({ status: 'down', error: expect.stringMatching(/Access denied/) });
    expect(json.checks.filter((c) => c.kind === 'table').every((c) => c.status === 'down')).toBe(true);
    expect(json.checks.filter((c) => c.kind === 'memcached').every((c) => c.status === 'up')).toBe(true);
  });
});
