import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheCounters } from '../../src/cache/counters.js';
import { ReadThroughCache } from '../../src/cache/engine.js';
import { LEASE_FLAGS, LEASE_WINDOW_MS } from '../../src/cache/lease.js';
import { ABANDON_GRACE_MS } from '../../src/cache/lease-wait.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet } from '../helpers/text-protocol.js';
import { STDIN_LINES, ScriptProcess } from './script-process.js';

interface Done extends Record<string, unknown> {
  readonly value?: string;
  readonly error?: string;
  /** The lookup's `LookupStatus.source`. */
  readonly source?: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly counters: CacheCounters;
}

/**
 * A node process: connects, prints `ready`, and on each `go` line looks the key up once with a
 * loader that prints `loading` and then takes `loadMs` (or never answers, with `loadMs` -1).
 */
function node(servers: readonly string[], key: string, id: string, loadMs: number, options = '{}'): ScriptProcess {
  return new ScriptProcess(`
    ${STDIN_LINES}
    import { MemcacheCluster, ReadThroughCache } from './src/index.ts';
    const cluster = new MemcacheCluster({ servers: ${JSON.stringify(servers)} });
    const cache = new ReadThroughCache(cluster, ${options});
    await cluster.versions();
    say({ ready: true });
    await nextLine();
    const startedAt = Date.now();
    const loader = async () => {
      say({ loading: true, at: Date.now() });
      if (${loadMs} < 0) await new Promise(() => undefined);
      await new Promise((r) => setTimeout(r, ${loadMs}));
      say({ loaded: true, at: Date.now() });
      return 'loaded by ${id}';
    };
    try {
      const status = {};
      const value = await cache.getOrLoad(${JSON.stringify(key)}, loader, { status });
      say({ done: true, value, source: status.source, startedAt, endedAt: Date.now(), counters: cache.counters });
    } catch (error) {
      say({ done: true, error: error.code ?? String(error), startedAt, endedAt: Date.now(), counters: cache.counters });
    }
    // The answer came before its store landed; the other nodes wait for that store.
    await cache.settled();
    cluster.close();
  `);
}

/** The leader's lookup, then the waiter's once the leader's load is under way: both outcomes, and when the load ran. */
async function leaderThenWaiter(leader: ScriptProcess, waiter: ScriptProcess): Promise<{ loading: { at: number }; loaded: { at: number }; a: Done; b: Done; timeline: string }> {
  await Promise.all([leader.waitFor('ready', true), waiter.waitFor('ready', true)]);
  leader.send('go');
  const loading = await leader.waitFor<{ at: number }>('loading', true);
  waiter.send('go');
  const [a, b] = await Promise.all([leader.waitFor<Done>('done', true), waiter.waitFor<Done>('done', true)]);
  const loaded = await leader.waitFor<{ at: number }>('loaded', true);
  return { loading, loaded, a, b, timeline: JSON.stringify({ loadingAt: loading.at, loadedAt: loaded.at, a, b }) };
}

describe.skipIf(!needBinary('memcached'))('a slow source: nodes wait for the leader instead of loading again', () => {
  const servers: MemcachedProcess[] = [];
  let addresses: string[];
  const key = (name: string): string => `slow:${process.pid}:${name}`;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) servers.push(await MemcachedProcess.start());
    addresses = servers.map((s) => s.address);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('a node finding a 300 ms load under way waits for its result within the default 500 ms deadline', async () => {
    const shared = key('300ms');
    const leader = node(addresses, shared, 'A', 300);
    const waiter = node(addresses, shared, 'B', 300);
    try {
      const { loading, loaded, a, b, timeline } = await leaderThenWaiter(leader, waiter);

      // The leader's own answer is not the subject (on a loaded machine its 300 ms load plus its
      // cache round trips may exceed its deadline); its load is, and it ran once.
      expect(a.counters.loads, timeline).toBe(1);
      expect(b.error, timeline).toBeUndefined();
      expect(b.value).toBe('loaded by A');
      expect(b.source).toBe('lease');
      expect(b.counters).toMatchObject({ loads: 0, coalesced: 1, abandonedLeases: 0, errors: 0 });
      // The two lookups really overlapped: B asked while A's load was running.
      expect(b.startedAt).toBeGreaterThanOrEqual(loading.at);
      expect(b.startedAt).toBeLessThan(loaded.at);
      expect(b.endedAt).toBeGreaterThanOrEqual(loaded.at);
    } finally {
      await Promise.all([leader.kill(), waiter.kill()]);
    }
  });

  it('a live leader extends its lease while a load runs past the lease window: the waiter waits, never loads', async () => {
    const shared = key('long-load');
    const loadMs = LEASE_WINDOW_MS * 2 + 200;
    const options = `{ leaseMs: 4000, deadlineMs: 4000 }`;
    const leader = node(addresses, shared, 'A', loadMs, options);
    const waiter = node(addresses, shared, 'B', loadMs, options);
    try {
      const { loading, loaded, a, b, timeline } = await leaderThenWaiter(leader, waiter);
      expect(a.counters.loads, timeline).toBe(1);
      expect(b.value, timeline).toBe('loaded by A');
      expect(b.source).toBe('lease');
      expect(b.counters, timeline).toMatchObject({ loads: 0, abandonedLeases: 0, errors: 0 });
      // The waiter was there while the load ran, and past the first window.
      expect(b.startedAt).toBeLessThan(loaded.at);
      expect(b.endedAt - loading.at).toBeGreaterThan(LEASE_WINDOW_MS + ABANDON_GRACE_MS);
    } finally {
      await Promise.all([leader.kill(), waiter.kill()]);
    }
  });

  it('takes over a lease whose leader was killed once the leader stopped extending it, well before lease_ms, and stores the result', async () => {
    const shared = key('killed');
    // lease_ms 3 s: the next node's 1.5 s deadline would run out long before it.
    const leader = node(addresses, shared, 'A', -1, '{ leaseMs: 3000 }');
    const cluster = new MemcacheCluster({ servers: addresses });
    try {
      await leader.waitFor('ready', true);
      leader.send('go');
      await leader.waitFor('loading', true);
      await leader.kill();
      const port = Number(cluster.serverFor(shared).split(':').pop());
      // The dead leader's marker is still at the key when the next node asks.
      expect((await rawGet(port, shared))?.flags).toBe(LEASE_FLAGS);
      const cache = new ReadThroughCache(cluster, { deadlineMs: 1500, leaseMs: 3000 });
      expect(await cache.getOrLoad(shared, async () => 'loaded by the next node')).toBe('loaded by the next node');
      expect(cache.counters).toMatchObject({ loads: 1, abandonedLeases: 1, errors: 0 });
      // It held a lease of its own, so its result was stored for everyone.
      await cache.settled();
      expect(await rawGet(port, shared)).toEqual({ value: 'loaded by the next node', flags: 1 });
    } finally {
      await leader.kill();
      cluster.close();
    }
  });
});
