import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthCache } from '../../src/auth/auth-cache.js';
import { createAuthCache } from '../../src/runtime/from-config.js';
import type { LookupStatus } from '../../src/cache/engine.js';
import { loadConfig } from '../../src/config/index.js';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, mysqlUrl, needBinary } from '../helpers/services.js';
import { PASSWORD_ENV, authring, authringJson, finished, spawnAuthring, tempDir, writeConfig } from './cli.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

interface TableJson {
  table: string;
  rows: number;
  errors: number;
  lastId: number;
  warmedTotal: number;
  done: boolean;
}

interface WarmJson {
  resumed: boolean;
  interrupted: boolean;
  credentials: TableJson;
  groups: TableJson;
  addresses: { table: string; rows: number; loaded: boolean; done: boolean };
  rowsPerSecond: number;
}

const EXTRA_SUBSCRIBERS = 3000;
const EXTRA_GROUPS = 2000;

describe.skipIf(!ready)('authring warm', () => {
  let db: KamailioDatabase;
  const servers: MemcachedProcess[] = [];
  let dir: string;
  let counts: { subscriber: number; grp: number; address: number };

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    // Enough rows for an interrupted run to stop halfway.
    const subscribers = Array.from({ length: EXTRA_SUBSCRIBERS }, (_, i) => [`warm${i}`, 'example.net', 'pw', `${i}`.padStart(32, '0'), '']);
    await db.query('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ?', [subscribers]);
    const groups = Array.from({ length: EXTRA_GROUPS }, (_, i) => [`warm${i}`, 'example.net', i % 2 === 0 ? 'ipauth' : 'voicemail']);
    await db.query('INSERT INTO grp (username, domain, grp) VALUES ?', [groups]);
    const count = async (table: string): Promise<number> => Number((await db.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.['n']);
    counts = { subscriber: await count('subscriber'), grp: await count('grp'), address: await count('address') };
    for (let i = 0; i < 3; i++) servers.push(await MemcachedProcess.start());
    dir = tempDir();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
  });

  const config = (prefix: string): string => writeConfig(dir, { servers: servers.map((s) => s.address), mysqlUrl: db.url, keyPrefix: `${prefix}:` }, `${prefix}.yaml`);

  /** An AuthCache in this process on the same config, to see what the command cached. */
  async function inspector(file: string): Promise<AuthCache> {
    const env = { ...process.env, [PASSWORD_ENV]: decodeURIComponent(new URL(mysqlUrl()).password) };
    return createAuthCache(await loadConfig(file, env));
  }

  async function everyRowCached(file: string): Promise<void> {
    const auth = await inspector(file);
    try {
      const subscribers = await db.query<RowDataPacket[]>('SELECT username, domain FROM subscriber ORDER BY id');
      const groups = await db.query<RowDataPacket[]>('SELECT username, domain, grp FROM grp ORDER BY id');
      const sources = new Set<string | undefined>();
      for (const row of subscribers) {
        const status: LookupStatus = {};
        await auth.getCredentials(String(row['username']), String(row['domain']), status);
        sources.add(status.source);
      }
      for (const row of groups) {
        const status: LookupStatus = {};
        expect(await auth.isUserInGroup(String(row['username']), String(row['domain']), String(row['grp']), status)).toBe(true);
        sources.add(status.source);
      }
      const status: LookupStatus = {};
      await auth.allowAddress('127.0.0.1', 1, 5060, status);
      sources.add(status.source);
      expect([...sources]).toEqual(['cache']);
    } finally {
      await auth.close();
    }
  }

  it('loads every subscriber, grp row and the address table; the counts are the table sizes', async () => {
    const file = config('full');
    const state = path.join(dir, 'full-state.json');
    const { result, json } = await authringJson<WarmJson>(['-c', file, 'warm', '--state', state, '--batch-size', '700', '--progress-interval', '1'], { killAfterMs: 120_000 });
    expect(result.code).toBe(0);
    expect(json).toMatchObject({
      resumed: false,
      interrupted: false,
      credentials: { table: 'subscriber', rows: counts.subscriber, errors: 0, warmedTotal: counts.subscriber, done: true },
      groups: { table: 'grp', rows: counts.grp, errors: 0, warmedTotal: counts.grp, done: true },
      addresses: { table: 'address', rows: counts.address, loaded: true, done: true },
    });
    // Not a terminal: periodic one-line progress on stderr, count/total and rate.
    expect(result.stderr).toMatch(/^warm: subscriber \d[\d,]*\/[\d,]+ \(\d+\.\d%\), [\d,]+ rows\/s$/m);
    expect(result.stderr).toContain(`warm: address ${(counts.subscriber + counts.grp + counts.address).toLocaleString('en-US')}/`);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ credentials: { done: true }, groups: { done: true }, addresses: { done: true } });
    await everyRowCached(file);

    const again = await authring(['-c', file, 'warm', '--state', state, '--resume']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/credentials\s+subscriber: 0 rows/);
    expect(again.stdout).toContain('addresses    address: already loaded');
  }, 120_000);

  it('--resume after SIGINT continues after the last batch recorded: nothing done twice, nothing skipped', async () => {
    const file = config('sigint');
    const state = path.join(dir, 'sigint-state.json');
    const child = spawnAuthring(['--json', '-c', file, 'warm', '--state', state, '--batch-size', '50', '--concurrency', '2']);
    const done = finished(child, 120_000);
    child.stdin.end();
    await waitForState(state, (s) => s.credentials.lastId > 300);
    child.kill('SIGINT');
    const first = await done;
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('warm --resume');
    const interrupted = JSON.parse(first.stdout) as WarmJson;
    expect(interrupted.interrupted).toBe(true);
    expect(interrupted.credentials.done).toBe(false);
    expect(interrupted.credentials.rows).toBeGreaterThan(300);
    expect(interrupted.credentials.rows).toBeLessThan(counts.subscriber);
    expect(interrupted.credentials.rows % 50).toBe(0);
    const saved = readStateFile(state);
    expect(saved.credentials.lastId).toBe(interrupted.credentials.lastId);

    const { result, json } = await authringJson<WarmJson>(['-c', file, 'warm', '--state', state, '--resume', '--batch-size', '500'], { killAfterMs: 120_000 });
    expect(result.code).toBe(0);
    expect(json.resumed).toBe(true);
    expect(interrupted.credentials.rows + json.credentials.rows).toBe(counts.subscriber);
    expect(json.credentials.warmedTotal).toBe(counts.subscriber);
    expect(json.groups.rows).toBe(counts.grp);
    expect(json.addresses.loaded).toBe(true);
    await everyRowCached(file);
  }, 120_000);

  it('--resume after a crash (SIGKILL) redoes at most the batch in flight', async () => {
    // The killed run leaves the lease markers of its loads in flight; a lookup honours such a
    // marker until about half a second after its leader last extended it, then loads itself. The
    // generous deadline is for a loaded machine, not for the markers.
    const file = writeConfig(dir, { servers: servers.map((s) => s.address), mysqlUrl: db.url, keyPrefix: 'sigkill:', deadlineMs: 10_000 }, 'sigkill.yaml');
    const state = path.join(dir, 'sigkill-state.json');
    const child = spawnAuthring(['-c', file, 'warm', '--state', state, '--batch-size', '50', '--concurrency', '2']);
    const done = finished(child, 120_000);
    child.stdin.end();
    await waitForState(state, (s) => s.credentials.lastId > 300);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const saved = readStateFile(state);
    const left = Number((await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM subscriber WHERE id > ?', [saved.credentials.lastId]))[0]?.['n']);

    const { result, json } = await authringJson<WarmJson>(['-c', file, 'warm', '--state', state, '--resume'], { killAfterMs: 120_000 });
    expect(result.code).toBe(0);
    expect(json.credentials.rows).toBe(left);
    expect(json.credentials.warmedTotal).toBe(counts.subscriber);
    expect(json.groups.warmedTotal).toBe(counts.grp);
  }, 120_000);

  it('refuses a state file of another database or key prefix (exit 2)', async () => {
    const state = path.join(dir, 'full-state.json');
    const other = await authring(['-c', config('other'), 'warm', '--state', state, '--resume']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('key prefix');
  });
});

interface StateFile {
  credentials: { lastId: number; warmed: number; done: boolean };
}

function readStateFile(file: string): StateFile {
  return JSON.parse(readFileSync(file, 'utf8')) as StateFile;
}

async function waitForState(file: string, ready: (state: StateFile) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      try {
        if (ready(readStateFile(file))) return;
      } catch {
        // being replaced; read again
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${file} never reached the expected state`);
}
