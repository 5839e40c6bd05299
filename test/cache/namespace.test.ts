import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceGeneration } from '../../src/cache/namespace.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { ServerDownError } from '../../src/errors.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

describe.skipIf(!needBinary('memcached'))('namespace generation', () => {
  const servers: MemcachedProcess[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) servers.push(await MemcachedProcess.start());
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('starts at the current time in milliseconds and bumps by one', async () => {
    const cluster = new MemcacheCluster({ servers: servers.map((s) => s.address) });
    const generation = new NamespaceGeneration(cluster, `ns-a:${process.pid}`, 0);
    const first = await generation.current();
    expect(Number(first)).toBeGreaterThanOrEqual(Date.now() - 5000);
    expect(Number(first)).toBeLessThanOrEqual(Date.now());
    expect(await generation.current()).toBe(first);
    expect(await generation.bump()).toBe(first + 1n);
    expect(await new NamespaceGeneration(cluster, `ns-a:${process.pid}`, 0).current()).toBe(first + 1n);
    cluster.close();
  });

  it('keeps the known generation while the counter’s server is down, and never recreates it elsewhere', async () => {
    const cluster = new MemcacheCluster({ servers: servers.map((s) => s.address), timeoutMs: 100, failureThreshold: 1, probeIntervalMs: 100 });
    const key = `ns-b:${process.pid}`;
    const generation = new NamespaceGeneration(cluster, key, 0);
    const known = await generation.current();
    const owner = servers.find((s) => s.address === cluster.serverFor(key));
    if (!owner) throw new Error('no owner');
    await owner.pause();
    try {
      await cluster.get(key).catch(() => undefined);
      expect(cluster.stats().servers.find((s) => s.address === owner.address)?.state).toBe('down');
      for (let i = 0; i < 3; i++) expect(await generation.current()).toBe(known);
      await expect(generation.bump()).rejects.toBeInstanceOf(ServerDownError);
      // Nothing was created on the other server.
      const other = new MemcacheCluster({ servers: servers.filter((s) => s !== owner).map((s) => s.address) });
      expect(await other.get(key)).toBeUndefined();
      other.close();
    } finally {
      await owner.resume();
    }
    cluster.close();
  });
});
