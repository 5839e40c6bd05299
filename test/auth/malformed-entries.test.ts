import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { decodeCredentials } from '../../src/auth/credentials-format.js';
import type { LookupStatus } from '../../src/cache/engine.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { createKamailioDatabase, digestHa1, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

/**
 * Entries someone else wrote (another version, a tool, an attacker with the plain codec) that
 * decode but are not what the lookup stores: each must be a miss, counted, and replaced.
 */
describe.skipIf(!ready)('malformed cache entries on real MariaDB and memcached', () => {
  let db: KamailioDatabase;
  let server: MemcachedProcess;
  let cluster: MemcacheCluster;
  let namespace = 0;

  async function authCache(): Promise<AuthCache> {
    namespace += 1;
    return AuthCache.create({
      memcached: cluster,
      mysql: { uri: db.url, poolSize: 2 },
      cache: { keyPrefix: `mal${process.pid}n${namespace}:`, deadlineMs: 5000 },
    });
  }

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    server = await MemcachedProcess.start();
    cluster = new MemcacheCluster({ servers: [server.address] });
  });
  afterAll(async () => {
    cluster?.close();
    await server?.stop();
    await db?.drop();
  });

  it.each(['null', '{}', '"a string"', '[]', 'not json {', '{"ha1":1,"ha1b":"x"}', '{"ha1":"x"}', '1', 'c1:abc', 'c1:a:b:c'])(
    'credentials entry %s: answered from MySQL, counted, replaced',
    async (junk) => {
      const auth = await authCache();
      const key = (await auth.keysFor({ user: 'alice', domain: 'example.com' })).credentials ?? '';
      await cluster.set(key, junk, { ttl: 300 });
      const status: LookupStatus = {};
      const credentials = await auth.getCredentials('alice', 'example.com', status);
      expect(credentials).toEqual({ ha1: digestHa1('alice', 'example.com', 'alice-pw'), ha1b: digestHa1('alice@example.com', 'example.com', 'alice-pw') });
      expect(status.source).toBe('source');
      expect(auth.stats().cache).toMatchObject({ malformed: 1, loads: 1 });
      expect(decodeCredentials((await cluster.get(key))?.value.toString() ?? '')).toEqual(credentials);
      await auth.close();
    },
  );

  it('reads a credentials entry again when it changed after a hit: new credentials served, junk caught', async () => {
    const auth = await authCache();
    const key = (await auth.keysFor({ user: 'alice', domain: 'example.com' })).credentials ?? '';
    const real = await auth.getCredentials('alice', 'example.com');
    await auth.settled();
    expect(await auth.getCredentials('alice', 'example.com')).toEqual(real);
    // Another writer (Kamailio's route, say) stores other credentials at the key: they are what a hit answers.
    await cluster.set(key, `c1:${'a'.repeat(32)}:${'b'.repeat(32)}`, { ttl: 300 });
    expect(await auth.getCredentials('alice', 'example.com')).toEqual({ ha1: 'a'.repeat(32), ha1b: 'b'.repeat(32) });
    // Junk at the key after those hits: a miss, counted, answered from MySQL and replaced.
    await cluster.set(key, 'c1:a:b:c', { ttl: 300 });
    const status: LookupStatus = {};
    expect(await auth.getCredentials('alice', 'example.com', status)).toEqual(real);
    expect(status.source).toBe('source');
    expect(auth.stats().cache).toMatchObject({ malformed: 1, loads: 2, hits: 2 });
    await auth.close();
  });

  it.each(['yes', '2', 'true', '~lease'])('group entry %s: answered from MySQL, counted, replaced', async (junk) => {
    const auth = await authCache();
    const key = (await auth.keysFor({ user: 'alice', domain: 'example.com', group: 'ipauth' })).group ?? '';
    await cluster.set(key, junk, { ttl: 300 });
    expect(await auth.isUserInGroup('alice', 'example.com', 'ipauth')).toBe(true);
    expect(auth.stats().cache).toMatchObject({ malformed: 1, loads: 1 });
    expect((await cluster.get(key))?.value.toString()).toBe('1');
    await auth.close();
  });

  it.each(['{}', 'null', '"rows"', '[1]', '[{"group":1}]', '[{"group":"1","ip":"127.0.0.1","mask":32,"port":0,"tag":null}]', 'not json'])(
    'address table entry %s: a new node answers from MySQL, counts it, replaces it',
    async (junk) => {
      const auth = await authCache();
      const key = await auth.addressKey();
      await cluster.set(key, junk, { ttl: 300 });
      expect(await auth.allowAddress('127.0.0.1', 1, 5060)).toBe(true);
      expect(await auth.allowAddress('127.10.9.8', 1, 1)).toBe(true);
      expect(auth.stats().cache).toMatchObject({ malformed: 1, loads: 1 });
      const stored = JSON.parse((await cluster.get(key))?.value.toString() ?? '') as unknown[];
      expect(stored.length).toBeGreaterThan(5);
      await auth.close();
    },
  );
});
