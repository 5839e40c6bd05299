/**
 * Names chosen to exhaust memory or to reach MySQL: a name longer than the column can hold is
 * answered "no" without MySQL, and the memo of keys MySQL computed stays within its byte budget.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { createCollationDatabase } from './collation-db.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

describe.skipIf(!ready)('hostile user names', () => {
  let server: MemcachedProcess;
  let cluster: MemcacheCluster;
  let namespace = 0;
  const dropLater: KamailioDatabase[] = [];

  beforeAll(async () => {
    server = await MemcachedProcess.start();
    cluster = new MemcacheCluster({ servers: [server.address], timeoutMs: 1000 });
  });
  afterAll(async () => {
    cluster?.close();
    await server?.stop();
    await Promise.all(dropLater.map((db) => db.drop()));
  });

  function create(url: string, options: { keyMemoBytes?: number; deadlineMs?: number } = {}): Promise<AuthCache> {
    namespace += 1;
    return AuthCache.create({
      memcached: cluster,
      mysql: { uri: url, poolSize: 2 },
      cache: { keyPrefix: `h${process.pid}n${namespace}:`, deadlineMs: options.deadlineMs ?? 5000 },
      queryTimeoutMs: 5000,
      ...(options.keyMemoBytes === undefined ? {} : { keyMemoBytes: options.keyMemoBytes }),
    });
  }

  it('answers a name longer than the column without asking MySQL (which is silent here)', async () => {
    const db = await createKamailioDatabase();
    dropLater.push(db);
    await loadFixtures(db);
    const proxy = await TcpProxy.start(Number(new URL(db.url).port || 3306));
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const auth = await create(url.toString(), { deadlineMs: 300 });
    try {
      proxy.mode = 'blackhole';
      // 65 characters in VARCHAR(64) columns, ASCII and not; trailing spaces do not count.
      for (const name of ['x'.repeat(65), 'é'.repeat(65), `${'中'.repeat(64)}x   `, 'ä'.repeat(10_000)]) {
        expect(await auth.isUserInGroup(name, 'example.com', 'ipauth')).toBe(false);
        expect(await auth.getCredentials(name, 'example.com')).toBeUndefined();
      }
      expect(auth.stats().names.weightQueries).toBe(0);
      expect(auth.stats().cache.loads).toBe(0);
    } finally {
      proxy.mode = 'forward';
      await auth.close();
      await proxy.stop();
    }
  });

  it('keeps the memo of keys computed by MySQL within its byte budget (250 names of 10,000 characters)', async () => {
    // Under utf8mb4_unicode_ci a long name may still equal a short one (ignorable characters),
    // so MySQL weighs each name: the case where the memo is used.
    const db = await createCollationDatabase({ charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' });
    dropLater.push(db);
    const auth = await create(db.url, { keyMemoBytes: 1 << 20 });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    try {
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let n = 0; n < 250; n++) {
        const name = Array.from({ length: 10_000 }, (_, i) => String.fromCodePoint(0x4e00 + ((n * 7919 + i * 31) % 20_000))).join('');
        expect(await auth.isUserInGroup(name, 'example.com', 'ipauth')).toBe(false);
      }
      gc();
      const grownBytes = process.memoryUsage().heapUsed - before;
      const { memoBytes, memoEntries, weightQueries } = auth.stats().names;
      console.log(`memo after 250 names of 10,000 characters: ${memoEntries} entries, ${memoBytes} bytes; heap grew ${grownBytes} bytes`);
      expect(weightQueries).toBe(250);
      expect(memoBytes).toBeLessThanOrEqual(1 << 20);
      // Unbounded, the memo held about 180 KB per name here (45 MB).
      expect(grownBytes).toBeLessThan(8 << 20);
    } finally {
      await auth.close();
    }
  });
});
