import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { textCommand } from '../helpers/text-protocol.js';
import { authring, authringInProcess, authringJson, tempDir, writeConfig } from './cli.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

interface StatsJson {
  servers: {
    server: string;
    status: 'up' | 'down';
    version?: string;
    stats?: Record<'get_hits' | 'get_misses' | 'curr_items' | 'bytes' | 'evictions' | 'uptime' | 'curr_connections', number>;
    hitRatio?: number | null;
    error?: string;
  }[];
  total: { get_hits: number; get_misses: number; curr_items: number; hitRatio: number | null };
}

describe.skipIf(!ready)('authring stats', () => {
  let db: KamailioDatabase;
  const servers: MemcachedProcess[] = [];
  let file: string;

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    for (let i = 0; i < 2; i++) servers.push(await MemcachedProcess.start());
    file = writeConfig(tempDir(), { servers: servers.map((s) => s.address), mysqlUrl: db.url, keyPrefix: 'stats:' });
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
  });

  it("reports each server's counters as memcached does, with hit ratios and totals", async () => {
    const [a, b] = servers;
    if (!a || !b) throw new Error('no servers');
    // Known traffic: on a, 2 items, 3 hits, 1 miss; b untouched.
    await textCommand(a.port, 'set x 0 0 1\r\n1');
    await textCommand(a.port, 'set y 0 0 1\r\n2');
    for (const key of ['x', 'x', 'y', 'nope']) await textCommand(a.port, `get ${key}`, /END\r\n$/);

    const { result, json } = await authringJson<StatsJson>(['-c', file, 'stats']);
    expect(result.code).toBe(0);
    const [sa, sb] = json.servers;
    expect(sa).toMatchObject({ server: a.address, status: 'up', stats: { get_hits: 3, get_misses: 1, curr_items: 2, evictions: 0 } });
    expect(sa?.hitRatio).toBeCloseTo(0.75, 10);
    expect(sa?.stats?.bytes).toBeGreaterThan(0);
    expect(sa?.stats?.curr_connections).toBeGreaterThanOrEqual(1);
    expect(sa?.version).toMatch(/^\d+\.\d+/);
    expect(sb).toMatchObject({ server: b.address, status: 'up', stats: { get_hits: 0, get_misses: 0, curr_items: 0 }, hitRatio: null });
    expect(json.total).toMatchObject({ get_hits: 3, get_misses: 1, curr_items: 2, hitRatio: 0.75 });

    const text = await authring(['-c', file, 'stats']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/server\s+hits\s+misses\s+hit ratio\s+items\s+bytes\s+evictions\s+uptime\s+conns/);
    expect(text.stdout).toMatch(new RegExp(`${a.address}\\s+3\\s+1\\s+75\\.0%\\s+2\\s`));
    expect(text.stdout).toMatch(/total\s+3\s+1\s+75\.0%\s+2\s/);
  });

  it('exits 1 when a server cannot be reached, still reporting the others', async () => {
    const [a, b] = servers;
    if (!a || !b) throw new Error('no servers');
    await b.kill();
    try {
      const { result, json } = await authringJson<StatsJson>(['-c', file, 'stats']);
      expect(result.code).toBe(1);
      expect(json.servers[0]?.status).toBe('up');
      expect(json.servers[1]).toMatchObject({ server: b.address, status: 'down', error: expect.stringContaining('ECONNREFUSED') });
      expect(result.stderr).toContain(`cannot read stats from ${b.address}`);
    } finally {
      await b.restart();
    }
  });

  it('never hangs on a server that accepts connections but never answers (SIGSTOP): --timeout bounds it', async () => {
    const [a] = servers;
    if (!a) throw new Error('no servers');
    await a.pause();
    try {
      // In this process, so the time measured is the command's, not a loaded machine's process start.
      const result = await authringInProcess(['-c', file, '--json', '--timeout', '700', 'stats']);
      const json = JSON.parse(result.stdout) as StatsJson;
      expect(result.elapsedMs).toBeLessThan(5000);
      expect(result.code).toBe(1);
      expect(json.servers[0]).toMatchObject({ status: 'down', error: expect.stringMatching(/within \d+ ms/) });
      expect(json.servers[1]?.status).toBe('up');
    } finally {
      await a.resume();
    }
  });
});
