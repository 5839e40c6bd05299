/**
 * A proxy node restarted during a MySQL outage starts, serves what the shared cache holds, fails
 * misses with a typed error, and recovers by itself when MySQL returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import type { LookupStatus } from '../../src/cache/engine.js';
import { SourceUnavailableError } from '../../src/errors.js';
import { ProxyNode } from '../../src/runtime/proxy-node.js';
import { createKamailioDatabase, digestHa1, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { writeClusterFile } from '../helpers/cluster-file.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

describe.skipIf(!ready)('a node that starts while MySQL is down', () => {
  let db: KamailioDatabase;
  let proxy: TcpProxy;
  let server: MemcachedProcess;
  const prefix = `down${process.pid}:`;

  /** MySQL through the fault proxy. */
  const proxiedUrl = (): string => {
    const url = new URL(db.url);
    url.port = String(proxy.port);
    return url.toString();
  };
  const create = (keyPrefix = prefix): Promise<AuthCache> =>
    AuthCache.create({
      memcached: { servers: [server.address], timeoutMs: 1000 },
      mysql: { uri: proxiedUrl(), poolSize: 2, connectTimeoutMs: 1000 },
      cache: { keyPrefix, deadlineMs: 2000 },
      // Every lookup may try MySQL again, so recovery is the next lookup, not a timer.
      schemaRetryMs: 0,
    });

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    proxy = await TcpProxy.start(Number(new URL(db.url).port || 3306));
    server = await MemcachedProcess.start();
  });
  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
    await db?.drop();
  });

  it('serves the shared cache with the collation facts another node left, fails misses typed, and recovers', async () => {
    // A node that ran while MySQL was up warmed the cache (and left the collation facts).
    const warm = await create();
    expect(await warm.isUserInGroup('alice', 'example.com', 'ipauth')).toBe(true);
    expect(await warm.isUserInGroup('josé', 'example.com', 'ipauth')).toBe(true);
    expect((await warm.getCredentials('alice', 'example.com'))?.ha1).toBe(digestHa1('alice', 'example.com', 'alice-pw'));
    await warm.close();

    await proxy.stop();
    const startedAt = performance.now();
    const node = await create();
    const fresh = await create(`${prefix}fresh:`);
    const startMs = performance.now() - startedAt;
    let worstMs = 0;
    const timed = async <T>(lookup: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await lookup();
      } finally {
        worstMs = Math.max(worstMs, performance.now() - t);
      }
    };
    try {
      const status: LookupStatus = {};
      expect(await timed(() => node.isUserInGroup('ALICE', 'example.com', 'IPAUTH', status))).toBe(true);
      expect(status.source).toBe('cache');
      expect((await timed(() => node.getCredentials('alice', 'example.com')))?.ha1).toBe(digestHa1('alice', 'example.com', 'alice-pw'));
      // A miss, and a name that needs MySQL for its weights: typed errors.
      await expect(timed(() => node.isUserInGroup('bob', 'example.com', 'ops'))).rejects.toThrow(SourceUnavailableError);
      await expect(timed(() => node.isUserInGroup('josé', 'example.com', 'ipauth'))).rejects.toThrow(SourceUnavailableError);
      // No facts in the cache under this prefix: nothing can be keyed yet.
      await expect(timed(() => fresh.isUserInGroup('alice', 'example.com', 'ipauth'))).rejects.toThrow(SourceUnavailableError);
      console.log(`MySQL down: two nodes started in ${startMs.toFixed(0)} ms; 5 lookups, 2 from the cache, 3 typed failures, 0 wrong; worst ${worstMs.toFixed(0)} ms`);

      await proxy.resume();
      expect(await node.isUserInGroup('bob', 'example.com', 'voicemail')).toBe(true);
      expect(await node.isUserInGroup('josé', 'example.com', 'ipauth')).toBe(true);
      // Learnt on its first lookup after MySQL came back.
      expect(await fresh.isUserInGroup('alice', 'example.com', 'ipauth')).toBe(true);
    } finally {
      await proxy.resume();
      await node.close();
      await fresh.close();
    }
  });

  it('starts a ProxyNode from its config file while MySQL is down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authring-down-'));
    const path = writeClusterFile(join(dir, 'authring.yaml'), { servers: [server.address], dbUrl: proxiedUrl(), keyPrefix: prefix, mysql: ['connect_timeout_ms: 1000'] });
    await proxy.stop();
    try {
      const node = await ProxyNode.start({ configPath: path, watch: false, changeWatcher: true });
      try {
        expect(await node.auth.isUserInGroup('alice', 'example.com', 'ipauth')).toBe(true);
        await expect(node.auth.isUserInGroup('trent', 'example.com', 'intl')).rejects.toThrow(SourceUnavailableError);
      } finally {
        await node.close();
      }
    } finally {
      await proxy.resume();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
