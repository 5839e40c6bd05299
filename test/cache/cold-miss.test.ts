import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadThroughCache, type LookupStatus } from '../../src/cache/engine.js';
import { KeySightings } from '../../src/cache/key-sightings.js';
import type { CacheStore } from '../../src/cache/store.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet } from '../helpers/text-protocol.js';

/** One request the engine made: its operation, and how many earlier requests were still unanswered when it left. */
interface Sent {
  readonly op: 'get' | 'addItem' | 'cas' | 'casItem' | 'delete';
  readonly unanswered: number;
  answered: boolean;
}

/** The real cluster, with every request the engine makes recorded in order. */
function recorded(cluster: MemcacheCluster): { store: CacheStore; sent: Sent[] } {
  const sent: Sent[] = [];
  const track = <T>(op: Sent['op'], call: () => Promise<T>): Promise<T> => {
    const entry: Sent = { op, unanswered: sent.filter((s) => !s.answered).length, answered: false };
    sent.push(entry);
    const done = (): void => {
      entry.answered = true;
    };
    const result = call();
    result.then(done, done);
    return result;
  };
  const store: CacheStore = {
    get: (key, options) => track('get', () => cluster.get(key, options)),
    addItem: (key, value, options) => track('addItem', () => cluster.addItem(key, value, options)),
    cas: (key, value, cas, options) => track('cas', () => cluster.cas(key, value, cas, options)),
    casItem: (key, value, cas, options) => track('casItem', () => cluster.casItem(key, value, cas, options)),
    delete: (key, options) => track('delete', () => cluster.delete(key, options)),
    serverFor: (key) => cluster.serverFor(key),
  };
  return { store, sent };
}

describe('KeySightings', () => {
  it('says a key is new once, then never again; other keys stay new', () => {
    const sightings = new KeySightings();
    expect(sightings.firstSight('ns:1:cred:alice')).toBe(true);
    expect(sightings.firstSight('ns:1:cred:alice')).toBe(false);
    expect(sightings.firstSight('ns:1:cred:alice')).toBe(false);
    // 2^20 slots: of 10,000 other keys, only the few sharing a slot with an earlier one read as seen.
    let fresh = 0;
    for (let i = 0; i < 10_000; i++) if (sightings.firstSight(`ns:1:cred:user${i}`)) fresh += 1;
    expect(fresh).toBeGreaterThan(9_900);
    expect(sightings.firstSight('ns:1:cred:user42')).toBe(false);
  });
});

describe.skipIf(!needBinary('memcached'))('a cold miss on real memcached', () => {
  let server: MemcachedProcess;
  let cluster: MemcacheCluster;
  let run = 0;
  const key = (name: string): string => `cm:${process.pid}:${run}:${name}`;
  const port = (): number => Number(server.address.split(':').pop());

  beforeAll(async () => {
    server = await MemcachedProcess.start();
    cluster = new MemcacheCluster({ servers: [server.address] });
    await cluster.versions();
  });
  afterAll(async () => {
    cluster?.close();
    await server?.stop();
  });

  it('sends the read and the lease of a key never asked together, and a known key’s lease only after its read', async () => {
    run++;
    const { store, sent } = recorded(cluster);
    const cache = new ReadThroughCache(store);
    let before: Sent[] = [];
    expect(await cache.getOrLoad(key('new'), async () => ((before = sent.map((s) => ({ ...s }))), 'v1'))).toBe('v1');
    // Both left before either was answered; the loader ran with the lease in hand.
    expect(before.map(({ op, unanswered }) => ({ op, unanswered }))).toEqual([
      { op: 'get', unanswered: 0 },
      { op: 'addItem', unanswered: 1 },
    ]);
    await cache.settled();

    // Asked before: invalidated, the key is read first and leased only once the read missed.
    await cache.invalidate(key('new'));
    sent.length = 0;
    expect(await cache.getOrLoad(key('new'), async () => ((before = sent.map((s) => ({ ...s }))), 'v2'))).toBe('v2');
    expect(before.map(({ op, unanswered }) => ({ op, unanswered }))).toEqual([
      { op: 'get', unanswered: 0 },
      { op: 'addItem', unanswered: 0 },
    ]);
    await cache.settled();
    expect((await rawGet(port(), key('new')))?.value).toBe('v2');
  });

  it('answers a key never asked from the cache when it holds a value, and gives back a lease it did not need', async () => {
    run++;
    await cluster.set(key('cached'), 'from another node');
    const cache = new ReadThroughCache(cluster);
    const status: LookupStatus = {};
    expect(await cache.getOrLoad(key('cached'), async () => 'loaded', { status })).toBe('from another node');
    expect(status.source).toBe('cache');
    expect(cache.counters).toMatchObject({ hits: 1, misses: 0, loads: 0 });
    expect((await rawGet(port(), key('cached')))?.value).toBe('from another node');
  });

  it('answers before its store lands; settled() waits for the store', async () => {
    run++;
    const { store, sent } = recorded(cluster);
    const cache = new ReadThroughCache(store);
    expect(await cache.getOrLoad(key('behind'), async () => 'loaded')).toBe('loaded');
    const casSent = sent.find((s) => s.op === 'cas');
    expect(casSent?.answered).toBe(false);
    await cache.settled();
    expect(casSent?.answered).toBe(true);
    expect((await rawGet(port(), key('behind')))?.value).toBe('loaded');
  });
});
