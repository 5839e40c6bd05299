import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { KetamaRing } from '../../src/cluster/ring.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

/**
 * Time is not the subject here. Every deadline a request meets gets room for a loaded machine:
 * the request's own (250 ms by default), the connect timeout (1 s) and the socket timeout (2 s,
 * counted from the oldest request in flight: with only `timeoutMs` raised to 10 s, a read still
 * fails with ConnectionError, and every request on its connection with it, when the test process
 * gets no CPU for 2 s after sending it).
 */
const ROOMY = { timeoutMs: 10_000, connectTimeoutMs: 10_000, socketTimeoutMs: 20_000 };

describe.skipIf(!needBinary('memcached'))('swapping the server list of a running cluster', () => {
  const servers: MemcachedProcess[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await MemcachedProcess.start());
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('routes new requests by the new ring while requests in flight complete on the old one', async () => {
    const [a, b, c] = servers as [MemcachedProcess, MemcachedProcess, MemcachedProcess];
    const cluster = new MemcacheCluster({ servers: [a.address, b.address], ...ROOMY });
    const keys = Array.from({ length: 300 }, (_, n) => `swap:${process.pid}:${n}`);
    await Promise.all(keys.map((k) => cluster.set(k, 'v')));
    const inFlight = keys.map((k) => cluster.get(k));
    cluster.reconfigure({ servers: [a.address, b.address, c.address], ...ROOMY });
    const results = await Promise.all(inFlight);
    expect(results.every((item) => item?.value.toString() === 'v')).toBe(true);

    const expected = new KetamaRing(parseServerList([a.address, b.address, c.address]));
    const moved = keys.filter((k) => cluster.serverFor(k) === c.address);
    for (const k of keys) expect(cluster.serverFor(k)).toBe(expected.serverFor(k).address);
    expect(moved.length).toBeGreaterThan(40);
    // Keys now owned by the new server miss there; the others are still found.
    const after = await cluster.getMulti(keys);
    expect(after.size).toBe(keys.length - moved.length);
    expect(cluster.stats().servers.map((s) => s.address)).toEqual([a.address, b.address, c.address]);
    cluster.close();
  });

  it('keeps the old configuration when the new one is invalid', async () => {
    const [a] = servers as [MemcachedProcess];
    const cluster = new MemcacheCluster({ servers: [a.address], ...ROOMY });
    expect(() => cluster.reconfigure({ servers: ['nonsense'] })).toThrow(InvalidArgumentError);
    await cluster.set(`keep:${process.pid}`, 'still works');
    expect((await cluster.get(`keep:${process.pid}`))?.value.toString()).toBe('still works');
    cluster.close();
  });

  it('closes a removed server’s connection once its requests settle', async () => {
    const [a, b] = servers as [MemcachedProcess, MemcachedProcess];
    const cluster = new MemcacheCluster({ servers: [a.address, b.address], ...ROOMY });
    await cluster.set(`rm:${process.pid}`, 'x');
    cluster.reconfigure({ servers: [a.address], ...ROOMY });
    expect(cluster.stats().servers.map((s) => s.address)).toEqual([a.address]);
    for (let n = 0; n < 20; n++) await cluster.set(`rm:${process.pid}:${n}`, 'x');
    expect(new Set(Array.from({ length: 20 }, (_, n) => cluster.serverFor(`rm:${process.pid}:${n}`)))).toEqual(new Set([a.address]));
    cluster.close();
  });
});
