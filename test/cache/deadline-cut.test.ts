import { afterEach, describe, expect, it } from 'vitest';
import { ReadThroughCache } from '../../src/cache/engine.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { DeadlineError } from '../../src/errors.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A lookup whose deadline is nearly spent gives its memcached request only what is left. When
 * that request times out, the caller ran out of time: the server did nothing wrong and must not
 * be marked down for it (under load, healthy servers were).
 */
describe.skipIf(!needBinary('memcached'))('a memcached request cut short by the lookup deadline', () => {
  let server: MemcachedProcess | undefined;
  let cluster: MemcacheCluster | undefined;

  afterEach(async () => {
    cluster?.close();
    cluster = undefined;
    await server?.stop();
    server = undefined;
  });

  async function stalled(): Promise<{ cluster: MemcacheCluster; server: MemcachedProcess }> {
    server = await MemcachedProcess.start();
    // One failure would mark the server down; the configured request timeout is far longer than
    // the lookups' deadline.
    cluster = new MemcacheCluster({ servers: [server.address], timeoutMs: 5000, socketTimeoutMs: 20_000, failureThreshold: 1, probeIntervalMs: 60_000 });
    await cluster.versions();
    await server.pause();
    return { cluster, server };
  }

  const node = (c: MemcacheCluster) => c.stats().servers[0];

  it('fails the lookup with DeadlineError and leaves the server up', async () => {
    const { cluster: c } = await stalled();
    const downs: string[] = [];
    c.on('server-down', (address) => downs.push(address));
    const cache = new ReadThroughCache(c, { deadlineMs: 40, cacheTimeoutMs: 5000 });
    let loads = 0;
    const loader = async (): Promise<string> => {
      loads += 1;
      return 'from the source';
    };
    await expect(cache.getOrLoad('cut:1', loader)).rejects.toBeInstanceOf(DeadlineError);
    // The memcached request ends at the lookup's deadline too; judge the server only once it has.
    await waitFor(() => (node(c)?.deadlineCuts ?? 0) + (node(c)?.timeouts ?? 0) >= 1, 'the stalled request to end');
    // A key this engine never asked: its read and its lease request left together, and both were cut.
    await waitFor(() => (node(c)?.deadlineCuts ?? 0) + (node(c)?.timeouts ?? 0) >= 2, 'the stalled lease request to end');
    expect(node(c)).toMatchObject({ state: 'up', consecutiveFailures: 0, timeouts: 0, deadlineCuts: 2 });
    expect(downs).toEqual([]);
    expect(loads).toBe(0);
    expect(cache.counters).toMatchObject({ lookups: 1, errors: 1, cacheErrors: 0 });
  });

  it('knows a read its deadline cut short by the read itself, not by a clock a timer can beat', async () => {
    const { cluster: c } = await stalled();
    // A clock that falls behind the timers: when the cut read fails it still shows time left, as
    // Date.now can just after a timer fires a little early.
    const start = Date.now();
    const cache = new ReadThroughCache(c, { deadlineMs: 40, cacheTimeoutMs: 5000, now: () => start + (Date.now() - start) / 2 });
    let loads = 0;
    const loader = async (): Promise<string> => {
      loads += 1;
      return 'from the source';
    };
    await expect(cache.getOrLoad('cut:early', loader)).rejects.toBeInstanceOf(DeadlineError);
    expect(loads).toBe(0);
    expect(cache.counters).toMatchObject({ cacheErrors: 0 });
  });

  it('still counts a timeout of the full request timeout toward marking the server down', async () => {
    const { cluster: c, server: s } = await stalled();
    const down = new Promise<string>((resolve) => c.once('server-down', resolve));
    const cache = new ReadThroughCache(c, { deadlineMs: 5000, cacheTimeoutMs: 40 });
    // memcached failing within the deadline: the lookup goes to the source.
    expect(await cache.getOrLoad('cut:2', async () => 'from the source')).toBe('from the source');
    expect(await down).toBe(s.address);
    // The read and the lease request sent with it (a key never asked) both timed out.
    await waitFor(() => (node(c)?.timeouts ?? 0) >= 2, 'the lease request to time out too');
    expect(node(c)).toMatchObject({ state: 'down', timeouts: 2, deadlineCuts: 0 });
  });

  it('a cluster call with remainingMs below its timeout rejects with TimeoutError at that time, uncounted', async () => {
    const { cluster: c } = await stalled();
    const started = performance.now();
    const error = await c.get('cut:3', { remainingMs: 30 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(4000);
    expect(error).toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 30, key: 'cut:3' });
    expect(node(c)).toMatchObject({ state: 'up', consecutiveFailures: 0, timeouts: 0, deadlineCuts: 1 });
    // remainingMs above the timeout leaves the timeout in force, and its expiry is the server's.
    const down = new Promise<string>((resolve) => c.once('server-down', resolve));
    await expect(c.get('cut:4', { timeoutMs: 30, remainingMs: 60_000 })).rejects.toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 30 });
    await down;
    expect(node(c)).toMatchObject({ state: 'down', timeouts: 1, deadlineCuts: 1 });
  });
});
