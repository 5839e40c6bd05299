import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedCodec } from '../../src/cache/codec.js';
import type { CacheCounters } from '../../src/cache/counters.js';
import { ReadThroughCache, type LookupStatus } from '../../src/cache/engine.js';
import { LEASE_FLAGS } from '../../src/cache/lease.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { DeadlineError, SourceUnavailableError } from '../../src/errors.js';
import { registerMetrics } from '../../src/metrics/prometheus.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet, rawTtl } from '../helpers/text-protocol.js';
import { MemcachedWatch } from '../helpers/memcached-watch.js';
import { waitFor } from '../helpers/wait.js';
import { STDIN_LINES, ScriptProcess } from './script-process.js';

const SECRET = 'a test secret of 32 bytes.......';

describe.skipIf(!needBinary('memcached'))('read-through engine on real memcached', () => {
  const servers: MemcachedProcess[] = [];
  let cluster: MemcacheCluster;
  let run = 0;
  const key = (name: string): string => `rt:${process.pid}:${run}:${name}`;
  const portOf = (k: string): number => Number(cluster.serverFor(k).split(':').pop());

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) servers.push(await MemcachedProcess.start());
    cluster = new MemcacheCluster({ servers: servers.map((s) => s.address) });
  });
  afterAll(async () => {
    cluster?.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  function counting(value: string | null, gate?: Promise<void>): { loader: () => Promise<string | null>; calls: () => number } {
    let calls = 0;
    return {
      loader: async () => {
        calls += 1;
        await gate;
        return value;
      },
      calls: () => calls,
    };
  }

  it('loads a miss once, then serves hits and negative hits from memcached', async () => {
    run++;
    const cache = new ReadThroughCache(cluster);
    const positive = counting('yes');
    const status: LookupStatus = {};
    expect(await cache.getOrLoad(key('p'), positive.loader, { status })).toBe('yes');
    expect(status).toEqual({ source: 'source', server: cluster.serverFor(key('p')) });
    // Answered before its store landed: asked again meanwhile, the load is joined, not repeated.
    expect(await cache.getOrLoad(key('p'), positive.loader, { status })).toBe('yes');
    expect(status.source).toBe('peer');
    await cache.settled();
    expect(await cache.getOrLoad(key('p'), positive.loader, { status })).toBe('yes');
    expect(status.source).toBe('cache');
    expect(positive.calls()).toBe(1);
    expect((await rawGet(portOf(key('p')), key('p')))?.value).toBe('yes');

    const negative = counting(null);
    expect(await cache.getOrLoad(key('n'), negative.loader)).toBeNull();
    await cache.settled();
    expect(await cache.getOrLoad(key('n'), negative.loader)).toBeNull();
    expect(negative.calls()).toBe(1);
    expect(cache.counters).toMatchObject({ lookups: 5, hits: 1, negativeHits: 1, misses: 2, loads: 2, coalesced: 1 });
  });

  it('applies TTL with jitter, and the negative TTL to misses', async () => {
    run++;
    const cache = new ReadThroughCache(cluster, { ttlSeconds: 1000, jitter: 0.2, negativeTtlSeconds: 30 });
    for (let n = 0; n < 10; n++) {
      await cache.getOrLoad(key(`j${n}`), async () => 'v');
      await cache.settled();
      const ttl = await rawTtl(portOf(key(`j${n}`)), key(`j${n}`));
      expect(ttl).toBeGreaterThanOrEqual(799);
      expect(ttl).toBeLessThanOrEqual(1000);
    }
    await cache.getOrLoad(key('neg'), async () => null);
    await cache.settled();
    expect(await rawTtl(portOf(key('neg')), key('neg'))).toBeLessThanOrEqual(30);
  });

  it('coalesces concurrent misses in one process into one load', async () => {
    run++;
    const cache = new ReadThroughCache(cluster);
    let release = (): void => undefined;
    const slow = counting('v', new Promise<void>((resolve) => (release = resolve)));
    const lookups = Promise.all(Array.from({ length: 20 }, () => cache.getOrLoad(key('sf'), slow.loader)));
    await waitFor(() => slow.calls() === 1, 'the load to start');
    release();
    const answers = await lookups;
    expect(answers.every((a) => a === 'v')).toBe(true);
    expect(slow.calls()).toBe(1);
    expect(cache.counters.coalesced).toBe(19);
  });

  it('marks a load in progress with a lease that Kamailio reads as no value', async () => {
    run++;
    const cache = new ReadThroughCache(cluster);
    let seen: { value: string; flags: number } | undefined;
    await cache.getOrLoad(key('lease'), async () => {
      seen = await rawGet(portOf(key('lease')), key('lease'));
      return 'done';
    });
    // Start time, hold (the remaining deadline) and expected load time; never a number.
    expect(seen?.flags).toBe(LEASE_FLAGS);
    expect(seen?.value).toMatch(/^~lease:1:\d+:\d+:\d+$/);
  });

  it('lets two processes missing the same key at once cause exactly one load', async () => {
    run++;
    const shared = key('two-proc');
    // Each process looks the key up on "go"; a loader, whichever process runs it, holds until "release".
    const script = (id: number): string => `
      ${STDIN_LINES}
      import { MemcacheCluster, ReadThroughCache } from './src/index.ts';
      const cluster = new MemcacheCluster({ servers: ${JSON.stringify(servers.map((s) => s.address))}, timeoutMs: 5000 });
      const cache = new ReadThroughCache(cluster, { deadlineMs: 60_000 });
      await cluster.versions();
      say({ ready: true });
      await nextLine();
      say({ started: true });
      const value = await cache.getOrLoad(${JSON.stringify(shared)}, async () => {
        say({ loading: true });
        await nextLine();
        return 'loaded by ${id}';
      });
      await cache.settled();
      say({ done: true, value, counters: cache.counters });
      cluster.close();
    `;
    const watch = await MemcachedWatch.start(portOf(shared));
    const nodes = [1, 2].map((id) => new ScriptProcess(script(id)));
    try {
      await Promise.all(nodes.map((n) => n.waitFor('ready', true, 120_000)));
      for (const n of nodes) n.send('go');
      const leader = await Promise.any(nodes.map(async (n) => (await n.waitFor('loading', true), n)));
      // The other process must find the leader's lease, not the value: memcached says when it did.
      await watch.waitFor((e) => e.type === 'item_get' && e.key === shared && e.status === 'found', 'a read of the lease');
      for (const n of nodes) expect(n.printed('done', true)).toBeUndefined();
      leader.send('release');
      const done = await Promise.all(nodes.map((n) => n.waitFor<{ value: string; counters: CacheCounters }>('done', true)));
      expect(done[0]?.value).toBe(done[1]?.value);
      expect(done.map((d) => d.counters.loads).sort()).toEqual([0, 1]);
      // The one that did not load waited on the lease and took the leader's result.
      expect(done.find((d) => d.counters.loads === 0)?.counters).toMatchObject({ coalesced: 1, hits: 0 });
    } finally {
      watch.close();
      await Promise.all(nodes.map((n) => n.kill()));
    }
  });

  it('never stores a load that raced an invalidation', async () => {
    run++;
    const cache = new ReadThroughCache(cluster);
    const first = await cache.getOrLoad(key('race'), async () => {
      await cache.invalidate(key('race'));
      return 'old row read before the change';
    });
    expect(first).toBe('old row read before the change');
    await cache.settled();
    expect(cache.counters.staleSetsPrevented).toBe(1);
    expect(await rawGet(portOf(key('race')), key('race'))).toBeUndefined();
    expect(await cache.getOrLoad(key('race'), async () => 'new row')).toBe('new row');
  });

  it('treats a forged or altered signed entry as a miss and counts it', async () => {
    run++;
    const cache = new ReadThroughCache(cluster, { codec: signedCodec(SECRET) });
    await cache.getOrLoad(key('signed'), async () => 'member');
    await cache.settled();
    const stored = (await rawGet(portOf(key('signed')), key('signed')))?.value ?? '';
    expect(stored).toMatch(/^s1:\d+:[\w-]{43}:vmember$/);
    // Altered payload, moved entry, and plain forgery.
    await cluster.set(key('signed'), stored.replace('vmember', 'vadmin'));
    expect(await cache.getOrLoad(key('signed'), async () => 'member (reloaded)')).toBe('member (reloaded)');
    await cluster.set(key('other'), stored);
    expect(await cache.getOrLoad(key('other'), async () => 'other')).toBe('other');
    await cluster.set(key('plain'), '1');
    expect(await cache.getOrLoad(key('plain'), async () => null)).toBeNull();
    expect(cache.counters.forged).toBe(3);
  });

  it('treats a value its validator refuses as a miss: counted, exposed, replaced', async () => {
    run++;
    const isNumber = (text: string): boolean => /^\d+$/.test(text);
    const cache = new ReadThroughCache(cluster, { validate: isNumber });
    await cluster.set(key('bad'), 'not a number');
    await cluster.set(key('throws'), '7');
    await cluster.set(key('negative'), '');
    const status: LookupStatus = {};
    expect(await cache.getOrLoad(key('bad'), async () => '42', { status })).toBe('42');
    expect(status.source).toBe('source');
    await cache.settled();
    expect((await rawGet(portOf(key('bad')), key('bad')))?.value).toBe('42');
    expect(await cache.getOrLoad(key('bad'), async () => '43')).toBe('42');
    // A throwing validator refuses; the per-call validator overrides the engine's.
    const refuse = (): boolean => {
      throw new Error('cannot parse');
    };
    expect(await cache.getOrLoad(key('throws'), async () => '8', { validate: refuse })).toBe('8');
    // Negative entries are not values: no validator is asked about them.
    expect(await cache.getOrLoad(key('negative'), async () => 'x', { validate: refuse })).toBeNull();
    expect(cache.counters).toMatchObject({ malformed: 2, hits: 1, negativeHits: 1, loads: 2 });
    const registry = registerMetrics({ engine: cache, cluster }, { registry: new Registry() });
    expect(await registry.metrics()).toMatch(/^authring_malformed_entries_total 2$/m);
  });

  it('keeps serving cached answers when the source is down, and fails a miss with a typed error', async () => {
    run++;
    const cache = new ReadThroughCache(cluster);
    await cache.getOrLoad(key('up'), async () => 'cached');
    await cache.settled();
    const down = async (): Promise<string> => {
      throw new Error('ECONNREFUSED 127.0.0.1:3306');
    };
    expect(await cache.getOrLoad(key('up'), down)).toBe('cached');
    const error = await cache.getOrLoad(key('down'), down).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect(error).toMatchObject({ code: 'E_SOURCE_UNAVAILABLE', key: key('down') });
    // The failed load released its lease: the next caller loads at once.
    expect(await cache.getOrLoad(key('down'), async () => 'recovered')).toBe('recovered');
  });

  it('serves an expired signed entry while the source is down, within the stale TTL', async () => {
    run++;
    let now = Date.now();
    const cache = new ReadThroughCache(cluster, { codec: signedCodec(SECRET), ttlSeconds: 60, jitter: 0, staleTtlSeconds: 600, now: () => now });
    await cache.getOrLoad(key('stale'), async () => 'last known');
    await cache.settled();
    now += 61_000;
    const status: LookupStatus = {};
    const value = await cache.getOrLoad(key('stale'), async () => Promise.reject(new Error('db down')), { status });
    expect(value).toBe('last known');
    expect(status.source).toBe('stale');
    expect(cache.counters.staleServed).toBe(1);
    expect(await cache.getOrLoad(key('stale'), async () => 'fresh')).toBe('fresh');
  });

  it('refreshes a hot key ahead of expiry in the background', async () => {
    run++;
    let now = Date.now();
    const cache = new ReadThroughCache(cluster, { codec: signedCodec(SECRET), ttlSeconds: 100, jitter: 0, refreshAhead: 0.2, now: () => now });
    const loader = counting('v');
    await cache.getOrLoad(key('hot'), loader.loader);
    await cache.settled();
    now += 85_000;
    expect(await cache.getOrLoad(key('hot'), loader.loader)).toBe('v');
    await waitFor(() => loader.calls() === 2, 'the background refresh to call the loader');
    expect(cache.counters.refreshes).toBe(1);
  });

  it('goes straight to the source when memcached is unreachable', async () => {
    run++;
    const dead = new MemcacheCluster({ servers: ['127.0.0.1:9'], failureThreshold: 1000 });
    const cache = new ReadThroughCache(dead);
    expect(await cache.getOrLoad(key('nomc'), async () => 'from db')).toBe('from db');
    expect(cache.counters.cacheErrors).toBe(1);
    dead.close();
  });

  it('never waits past the deadline', async () => {
    run++;
    const cache = new ReadThroughCache(cluster, { deadlineMs: 200 });
    const started = Date.now();
    const error = await cache.getOrLoad(key('slow'), () => new Promise(() => undefined)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
