import type { RowDataPacket } from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { useServicesFixture } from '../helpers/services-fixture.js';
import { untilOutput } from '../helpers/wait.js';
import { authring, authringJson, finished, spawnAuthring, tempDir, writeConfig } from './cli.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

interface LookupJson {
  source: string;
  member?: boolean;
  found?: boolean;
  allowed?: boolean;
}

// Each test runs the command several times; one start takes seconds on a loaded 2-core machine.
describe.skipIf(!ready)('authring invalidate, install-triggers, remove-triggers, watch', { timeout: 240_000 }, () => {
  const services = useServicesFixture(2);
  const { servers } = services;
  let db: KamailioDatabase;
  let dir: string;
  let n = 0;

  beforeAll(() => {
    db = services.db;
    dir = tempDir();
  });

  const freshConfig = (): string => {
    n += 1;
    return writeConfig(dir, { servers: servers.map((s) => s.address), mysqlUrl: db.url, keyPrefix: `inv${n}:` }, `inv${n}.yaml`);
  };
  const source = async (file: string, ...question: string[]): Promise<string> => (await authringJson<LookupJson>(['-c', file, 'lookup', ...question])).json.source;

  it('invalidate group / user / addresses: the next lookup goes to MySQL again', async () => {
    const file = freshConfig();
    const group = ['group', 'alice', 'example.com', 'ipauth'];
    const credentials = ['credentials', 'alice', 'example.com'];
    const address = ['address', '127.0.0.1', '1', '5060'];
    for (const q of [group, credentials, address]) await source(file, ...q);
    expect(await source(file, ...group)).toBe('cache');

    const g = await authringJson(['-c', file, 'invalidate', 'group', 'ALICE', 'example.com', 'IPAUTH']);
    expect(g.result.code).toBe(0);
    expect(g.json).toEqual({ invalidated: 'group', user: 'ALICE', domain: 'example.com', group: 'IPAUTH' });
    expect(await source(file, ...group)).toBe('mysql');
    expect(await source(file, ...credentials)).toBe('cache');

    const u = await authring(['-c', file, 'invalidate', 'user', 'alice', 'example.com']);
    expect(u.code).toBe(0);
    expect(u.stdout).toContain('invalidated the credentials and group answers of alice@example.com');
    expect(await source(file, ...credentials)).toBe('mysql');
    expect(await source(file, ...group)).toBe('mysql');

    expect(await source(file, ...address)).toBe('cache');
    expect((await authring(['-c', file, 'invalidate', 'addresses'])).code).toBe(0);
    expect(await source(file, ...address)).toBe('mysql');
  });

  it('invalidate namespace: bumps the generation, so everything is loaded again', async () => {
    const file = freshConfig();
    await source(file, 'group', 'bob', 'example.com', 'voicemail');
    expect(await source(file, 'group', 'bob', 'example.com', 'voicemail')).toBe('cache');
    const { result, json } = await authringJson<{ previousGeneration: string; generation: string }>(['-c', file, 'invalidate', 'namespace']);
    expect(result.code).toBe(0);
    expect(BigInt(json.generation)).toBeGreaterThan(BigInt(json.previousGeneration));
    expect(await source(file, 'group', 'bob', 'example.com', 'voicemail')).toBe('mysql');
  });

  it('install-triggers and remove-triggers are idempotent and say what they did', async () => {
    const file = freshConfig();
    const first = await authringJson<{ tables: string[]; created: string[]; replaced: string[] }>(['-c', file, 'install-triggers']);
    expect(first.result.code).toBe(0);
    expect(first.json.tables).toEqual(['authring_changelog', 'authring_watcher']);
    expect(first.json.created).toHaveLength(9);
    expect(first.json.replaced).toEqual([]);
    const second = await authringJson<{ created: string[]; replaced: string[] }>(['-c', file, 'install-triggers']);
    expect(second.json.created).toEqual([]);
    expect(second.json.replaced.sort()).toEqual([...first.json.created].sort());

    const removed = await authring(['-c', file, 'remove-triggers']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('removed 9 triggers');
    const again = await authringJson<{ removed: string[]; absent: string[] }>(['-c', file, 'remove-triggers']);
    expect(again.json.removed).toEqual([]);
    expect(again.json.absent).toHaveLength(9);

    const reinstalled = await authring(['-c', file, 'install-triggers']);
    expect(reinstalled.code).toBe(0);
    expect(reinstalled.stdout).toContain('created 9 triggers');
  });

  it('watch --once applies the change log and exits', async () => {
    const file = freshConfig();
    expect((await authring(['-c', file, 'install-triggers'])).code).toBe(0);
    // Drain what earlier tests logged, then cache an answer, change its row in SQL only, and apply.
    expect((await authring(['-c', file, 'watch', '--once', '--watcher-id', 'once'])).code).toBe(0);
    expect((await authringJson<LookupJson>(['-c', file, 'lookup', 'group', 'erin', 'example.com', 'ops'])).json.member).toBe(true);
    await db.query("DELETE FROM grp WHERE username = 'erin' AND grp = 'ops'");
    expect(await source(file, 'group', 'erin', 'example.com', 'ops')).toBe('cache');

    const once = await authring(['-c', file, '--json', 'watch', '--once', '--watcher-id', 'once']);
    expect(once.code).toBe(0);
    const lines = jsonLines(once.stdout);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.every((l) => l.event === 'applied')).toBe(true);
    expect(lines.reduce((sum, l) => sum + l.changes, 0)).toBe(1);
    const after = await authringJson<LookupJson>(['-c', file, 'lookup', 'group', 'erin', 'example.com', 'ops']);
    expect(after.json).toMatchObject({ member: false, source: 'mysql' });
  });

  it('a new watcher id applies every change still logged; a known one resumes after its saved position', async () => {
    const file = freshConfig();
    expect((await authring(['-c', file, 'install-triggers'])).code).toBe(0);
    const [logged] = await db.query<Array<RowDataPacket & { n: number; last: number | null }>>('SELECT COUNT(*) AS n, MAX(id) AS last FROM authring_changelog');
    expect(Number(logged?.n)).toBeGreaterThan(0); // earlier tests changed rows
    const id = `backlog${n}`;
    const first = await authring(['-c', file, '--json', 'watch', '--once', '--watcher-id', id]);
    expect(first.code).toBe(0);
    const batches = jsonLines(first.stdout);
    expect(batches.reduce((sum, b) => sum + b.changes, 0)).toBe(Number(logged?.n));
    expect(batches.at(-1)?.position).toBe(Number(logged?.last));
    const again = await authring(['-c', file, '--json', 'watch', '--once', '--watcher-id', id]);
    expect(again.stdout.trim()).toBe('');
  });

  it('watch runs until SIGTERM, printing a JSON line per batch applied, and exits 0', async () => {
    const file = freshConfig();
    expect((await authring(['-c', file, 'install-triggers'])).code).toBe(0);
    // A new id would first apply what earlier tests logged: drain it, so the live watcher resumes
    // at the end of the log and its first batch is the change this test makes.
    const id = `live${n}`;
    expect((await authring(['-c', file, 'watch', '--once', '--watcher-id', id])).code).toBe(0);
    const [end] = await db.query<Array<RowDataPacket & { last: number }>>('SELECT MAX(id) AS last FROM authring_changelog');
    const child = spawnAuthring(['-c', file, '--json', 'watch', '--interval', '50', '--watcher-id', id]);
    const done = finished(child, 60_000);
    child.stdin.end();
    const started = await untilOutput(child.stderr, (text) => text.includes('SIGINT or SIGTERM stops'), 'the start notice');
    expect(started).toContain(`resuming after change ${Number(end?.last)}`);

    const firstLine = untilOutput(child.stdout, (text) => text.includes('\n'), 'a batch line');
    await db.query("INSERT INTO grp (username, domain, grp) VALUES ('zed', 'example.com', 'ipauth')");
    const line = jsonLines(await firstLine)[0];
    expect(line).toMatchObject({ event: 'applied', changes: 1, position: Number(end?.last) + 1 });
    expect(line?.keys).toBeGreaterThanOrEqual(1);
    expect(line?.lagMs.max).toBeGreaterThanOrEqual(0);

    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGTERM: stopping');
  });
});

interface BatchLine {
  event: string;
  changes: number;
  keys: number;
  lagMs: { p50: number; max: number };
  position: number;
}

function jsonLines(text: string): BatchLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BatchLine);
}
