import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import type { LookupStatus } from '../../src/cache/engine.js';
import { Invalidator } from '../../src/invalidation/invalidator.js';
import { InvalidationError } from '../../src/errors.js';
import { needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { useServicesFixture } from '../helpers/services-fixture.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

describe.skipIf(!ready)('explicit invalidation', () => {
  const services = useServicesFixture(2);
  let db: KamailioDatabase;
  let auth: AuthCache;
  let invalidator: Invalidator;

  beforeAll(async () => {
    db = services.db;
    auth = await AuthCache.create({
      memcached: { servers: services.addresses, timeoutMs: 10_000 },
      mysql: { uri: db.url },
      // Where an answer came from is the subject, not latency. With the 250 ms default, a test
      // process that gets no CPU for 250 ms just after sending a read (a loaded 2-core machine)
      // finds the request's timer due before it reads the answer already in its socket: the
      // read fails, the lookup loads from MySQL, and a cached answer reports 'source'.
      cache: { keyPrefix: `ex${process.pid}:`, cacheTimeoutMs: 10_000, deadlineMs: 20_000, leaseMs: 15_000 },
      queryTimeoutMs: 10_000,
    });
    invalidator = new Invalidator(auth);
  });
  afterAll(async () => {
    await auth?.close();
  });

  async function source(ask: (status: LookupStatus) => Promise<unknown>): Promise<string | undefined> {
    const status: LookupStatus = {};
    await ask(status);
    return status.source;
  }

  it('drops one group answer, under every spelling the database treats as equal', async () => {
    const ask = (s: LookupStatus) => auth.isUserInGroup('alice', 'example.com', 'ipauth', s);
    await ask({});
    await auth.settled();
    expect(await source(ask)).toBe('cache');
    await invalidator.invalidateGroup('ALICE ', 'example.com', 'IPAuth');
    expect(await source(ask)).toBe('source');
  });

  it('drops all of a user’s answers: credentials and every group', async () => {
    const asks = [
      (s: LookupStatus) => auth.getCredentials('alice', 'example.com', s),
      (s: LookupStatus) => auth.isUserInGroup('alice', 'example.com', 'voicemail', s),
      (s: LookupStatus) => auth.isUserInGroup('alice', 'example.com', 'intl', s),
    ];
    for (const ask of asks) await ask({});
    await auth.settled();
    for (const ask of asks) expect(await source(ask)).toBe('cache');
    await invalidator.invalidateUser('Alice', 'example.com');
    for (const ask of asks) expect(await source(ask)).toBe('source');
    // Another user's answers stay.
    await auth.isUserInGroup('bob', 'example.com', 'voicemail');
    await auth.settled();
    await invalidator.invalidateUser('alice', 'example.com');
    expect(await source((s) => auth.isUserInGroup('bob', 'example.com', 'voicemail', s))).toBe('cache');
  });

  it('drops the address table, and everything at once with a namespace bump', async () => {
    await auth.allowAddress('127.0.0.1', 1, 5060);
    await invalidator.invalidateAddresses();
    expect(await source((s) => auth.allowAddress('127.0.0.1', 1, 5060, s))).toBe('source');
    const before = await auth.namespaceGeneration();
    await auth.isUserInGroup('bob', 'example.com', 'voicemail');
    const after = await invalidator.invalidateNamespace();
    expect(after).toBe(before + 1n);
    expect(await auth.namespaceGeneration()).toBe(after);
    expect(await source((s) => auth.isUserInGroup('bob', 'example.com', 'voicemail', s))).toBe('source');
    expect(await source((s) => auth.allowAddress('127.0.0.1', 1, 5060, s))).toBe('source');
  });

  it('reports the keys it could not delete instead of dropping them', async () => {
    const down = await AuthCache.create({
      memcached: { servers: ['127.0.0.1:9'], failureThreshold: 100, timeoutMs: 50 },
      mysql: { uri: db.url },
      cache: { keyPrefix: `ex${process.pid}b:` },
    });
    const error = await new Invalidator(down, { attempts: 2, retryDelayMs: 5 }).deleteAll(['k1', 'k2']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidationError);
    expect((error as InvalidationError).keys).toEqual(expect.arrayContaining(['k1', 'k2']));
    await down.close();
  });
});
