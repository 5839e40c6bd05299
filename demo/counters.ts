/** Differences of counter snapshots taken before and after a node's workload. */
import type { CacheCounters, ClusterStats } from '../src/index.js';
import type { ServerCounters } from './protocol.js';

/** `after - before`, field by field. */
export function cacheDelta(before: CacheCounters, after: CacheCounters): CacheCounters {
  const delta = { ...after };
  for (const name of Object.keys(delta) as (keyof CacheCounters)[]) delta[name] = after[name] - before[name];
  return delta;
}

/** Each ring server's request, hit, miss and timeout counts between two snapshots. */
export function serverDelta(before: ClusterStats, after: ClusterStats): ServerCounters[] {
  return after.servers.map((server) => {
    const earlier = before.servers.find((s) => s.address === server.address);
    return {
      address: server.address,
      requests: server.requests - (earlier?.requests ?? 0),
      hits: server.hits - (earlier?.hits ?? 0),
      misses: server.misses - (earlier?.misses ?? 0),
      timeouts: server.timeouts - (earlier?.timeouts ?? 0),
    };
  });
}
