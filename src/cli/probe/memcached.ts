import { MemcacheCluster } from '../../cluster/cluster.js';
import type { MemcachedConfig } from '../../config/index.js';
import { elapsedMs } from '../deadline.js';
import { errorMessage } from '../exit.js';
import type { CheckResult } from './types.js';

/** Timed requests per server; the fastest is reported. */
const PINGS = 3;

/**
 * Reaches one memcached server with `MemcacheCluster.versions()` on a cluster of just that server:
 * one request to connect, then the best of {@link PINGS} timed on the open connection (the other
 * probes run at the same time). Closes its connection.
 */
export async function probeMemcached(address: string, kind: 'memcached' | 'memcached gutter', config: MemcachedConfig, timeoutMs: number): Promise<CheckResult> {
  const cluster = new MemcacheCluster({
    servers: [address],
    timeoutMs,
    connectTimeoutMs: Math.min(config.connectTimeoutMs, timeoutMs),
    fallback: 'none',
    // The same transport as the nodes: a check over plain TCP would fail on a TLS or SASL server.
    maxValueBytes: config.maxValueBytes,
    sasl: config.sasl,
    tls: config.tls,
  });
  try {
    const first = (await cluster.versions()).get(address);
    if (typeof first !== 'string') return { server: address, kind, status: 'down', error: first ? first.message : 'no answer' };
    let latencyMs = Infinity;
    for (let i = 0; i < PINGS; i++) {
      const start = performance.now();
      const again = (await cluster.versions()).get(address);
      if (typeof again !== 'string') return { server: address, kind, status: 'down', error: again ? again.message : 'no answer' };
      latencyMs = Math.min(latencyMs, elapsedMs(start));
    }
    return { server: address, kind, status: 'up', version: first, latencyMs };
  } catch (error) {
    return { server: address, kind, status: 'down', error: errorMessage(error) };
  } finally {
    cluster.close();
  }
}
