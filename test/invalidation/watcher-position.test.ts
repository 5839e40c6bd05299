import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { installTriggers } from '../../src/invalidation/triggers.js';
import { ChangeWatcher, type ChangeWatcherOptions } from '../../src/invalidation/watcher.js';
import { needKamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { useServicesFixture } from '../helpers/services-fixture.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

/**
 * Where a watcher starts and how its saved position moves over gaps in the change ids, driven
 * poll by poll (the timer loop is stopped) on a fake clock, against the real change log.
 */
describe.skipIf(!ready)('the change watcher’s position', () => {
  const services = useServicesFixture(1);
  let auth: AuthCache;
  let now = 1_000_000;
  let row = 0;

  beforeAll(async () => {
    auth = await AuthCache.create({
      memcached: { servers: services.addresses },
      mysql: { uri: services.db.url },
      cache: { keyPrefix: `wp${process.pid}:` },
    });
    await installTriggers(auth.database);
  });
  afterAll(async () => {
    await auth?.close();
  });

  /** A watcher whose timer loop is stopped: the test runs each poll itself. */
  async function manual(watcherId: string, options: ChangeWatcherOptions = {}): Promise<ChangeWatcher> {
    const watcher = await ChangeWatcher.start(auth, { watcherId, intervalMs: 3_600_000, now: () => now, ...options });
    await watcher.stop();
    return watcher;
  }

  /** Polls until nothing is left; resolves with the changes applied. */
  async function drain(watcher: ChangeWatcher): Promise<number> {
    let changes = 0;
    for (let batch = await watcher.poll(); batch !== undefined; batch = await watcher.poll()) changes += batch.changes;
    return changes;
  }

  /** Inserts grp rows (one change each), committed. */
  async function insert(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      row += 1;
      await services.db.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [`wp${row}`, 'example.com', 'ipauth']);
    }
  }

  /** Inserts `count` rows in a transaction and rolls it back: their change ids are never seen. */
  async function rolledBack(count: number): Promise<void> {
    const conn = await services.db.pool.getConnection();
    try {
      await conn.beginTransaction();
      for (let i = 0; i < count; i++) await conn.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [`rb${i}`, 'example.com', 'ipauth']);
      await conn.rollback();
    } finally {
      conn.release();
    }
  }

  async function lastId(): Promise<number> {
    const [rows] = await services.db.pool.query('SELECT MAX(id) AS last FROM authring_changelog');
    return Number((rows as Array<{ last: number }>)[0]?.last);
  }

  it('a new id applies every change still logged; a known id resumes after its saved position', async () => {
    await insert(3);
    const fresh = await manual('first');
    expect(fresh.resumed).toBe(false);
    expect(await drain(fresh)).toBe(3);
    expect(fresh.savedPosition).toBe(await lastId());

    await insert(1);
    const again = await manual('first');
    expect(again.resumed).toBe(true);
    expect(again.savedPosition).toBe(fresh.savedPosition);
    expect(await drain(again)).toBe(1);
    expect(again.savedPosition).toBe(await lastId());
  });

  it('keeps its position before a gap for the grace period, then passes the whole gap at once', async () => {
    const watcher = await manual('gap', { gapGraceMs: 30_000 });
    await drain(watcher);
    const before = watcher.savedPosition;
    await rolledBack(20);
    await insert(1);
    expect(await drain(watcher)).toBe(1);
    expect(watcher.savedPosition).toBe(before);

    now += 29_999;
    await watcher.poll();
    expect(watcher.savedPosition).toBe(before);
    now += 2;
    await watcher.poll();
    expect(watcher.savedPosition).toBe(await lastId());
  });

  it('still sees new changes while more than a batch of applied ids waits behind a gap', async () => {
    const watcher = await manual('blind', { batchSize: 2, gapGraceMs: 30_000 });
    await drain(watcher);
    await rolledBack(1);
    await insert(3);
    expect(await drain(watcher)).toBe(3);
    await insert(1);
    expect((await watcher.poll())?.changes).toBe(1);
  });
});
