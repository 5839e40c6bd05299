import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadThroughCache } from '../../src/cache/engine.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { registerMetrics } from '../../src/metrics/prometheus.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

describe.skipIf(!needBinary('memcached'))('Prometheus metrics', () => {
  let server: MemcachedProcess;
  beforeAll(async () => {
    server = await MemcachedProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('exposes engine counters and per-server counters on the caller’s registry', async () => {
    const cluster = new MemcacheCluster({ servers: [server.address, '127.0.0.1:9'], failureThreshold: 1, fallback: 'next' });
    const engine = new ReadThroughCache(cluster);
    const registry = new Registry();
    expect(registerMetrics({ engine, cluster }, { registry, prefix: 'test_' })).toBe(registry);
    const keys = Array.from({ length: 30 }, (_, n) => `m:${process.pid}:${n}`);
    for (const key of keys) await engine.getOrLoad(key, async () => 'v');
    for (const key of keys) await engine.getOrLoad(key, async () => 'v');
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_lookups_total counter');
    expect(text).toMatch(/^test_lookups_total 60$/m);
    // 30 first lookups queried the source. The very first read of a key owned by the refused
    // server failed (marking it down), so that answer was not cached and its second lookup
    // queried again; every other key went to the live server and hit the second time.
    expect(text).toMatch(/^test_sql_queries_total 31$/m);
    expect(text).toMatch(/^test_cache_hits_total 29$/m);
    expect(text).toMatch(/^test_cache_errors_total 1$/m);
    expect(text).toMatch(new RegExp(`^test_memcached_server_up\\{server="${server.address}"\\} 1$`, 'm'));
    expect(text).toMatch(/^test_memcached_server_up\{server="127\.0\.0\.1:9"\} 0$/m);
    // That first read and the lease request sent with it (a key never asked): two requests refused.
    expect(text).toMatch(/^test_memcached_connection_errors_total\{server="127\.0\.0\.1:9"\} 2$/m);
    // Scraping twice does not double-count.
    expect(await registry.metrics()).toMatch(/^test_lookups_total 60$/m);
    cluster.close();
  });
});
