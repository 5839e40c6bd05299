import { Counter, Gauge, Registry } from 'prom-client';
import type { CacheCounters } from '../cache/counters.js';
import type { ClusterStats } from '../cluster/cluster.js';
import type { NodeStats } from '../cluster/node.js';
import { registerLocalTierMetrics, type LocalTierMetricsSource } from './local-tier.js';

/**
 * What the metrics read: an AuthCache (its `stats()`, its cluster and its local tier's stats), or
 * a read-through engine's counters and its cluster.
 */
export type MetricsSource = Partial<LocalTierMetricsSource> &
  (
    | { stats(): { readonly cache: CacheCounters }; readonly cluster: { stats(): ClusterStats } }
    | { readonly engine: { readonly counters: CacheCounters }; readonly cluster: { stats(): ClusterStats } }
  );

function countersOf(source: MetricsSource): CacheCounters {
  return 'stats' in source ? source.stats().cache : source.engine.counters;
}

/** Options of {@link registerMetrics}. */
export interface MetricsOptions {
  /** Registry to register on; a new one when omitted. */
  readonly registry?: Registry;
  /** Prefix of every metric name. @default 'authring_' */
  readonly prefix?: string;
}

const ENGINE_METRICS: ReadonlyArray<[keyof CacheCounters, string, string]> = [
  ['lookups', 'lookups_total', 'Lookups asked.'],
  ['hits', 'cache_hits_total', 'Lookups answered from memcached with a value.'],
  ['negativeHits', 'cache_negative_hits_total', 'Lookups answered from memcached with a cached "no such row".'],
  ['misses', 'cache_misses_total', 'Lookups memcached could not answer.'],
  ['loads', 'sql_queries_total', 'Loads run against MySQL (one query each).'],
  ['coalesced', 'coalesced_total', 'Lookups answered by another caller’s load, in this process or on another node.'],
  ['staleServed', 'stale_served_total', 'Expired entries served because MySQL failed.'],
  ['forged', 'forged_entries_total', 'Entries and lease markers whose signature or encryption tag did not verify.'],
  ['malformed', 'malformed_entries_total', 'Entries the lookup could not use (wrong shape) and unreadable lease markers, replaced.'],
  ['abandonedLeases', 'abandoned_leases_total', 'Leases left in place past their leader’s deadline, taken over.'],
  ['staleSetsPrevented', 'stale_sets_prevented_total', 'Loads not stored because the key was invalidated meanwhile.'],
  ['refreshes', 'refreshes_total', 'Early background refreshes of hot keys.'],
  ['cacheErrors', 'cache_errors_total', 'memcached failures worked around by going to MySQL.'],
  ['errors', 'errors_total', 'Lookups that failed (MySQL unavailable, deadline exceeded).'],
];

const SERVER_METRICS: ReadonlyArray<[keyof NodeStats, string, string]> = [
  ['requests', 'memcached_requests_total', 'Requests sent to the server.'],
  ['hits', 'memcached_hits_total', 'Reads that found the key.'],
  ['misses', 'memcached_misses_total', 'Reads that did not find the key.'],
  ['timeouts', 'memcached_timeouts_total', 'Requests that missed their deadline (each counts toward marking the server down).'],
  ['deadlineCuts', 'memcached_deadline_cuts_total', 'Requests that ran out of their caller’s (a lookup’s) deadline first; not counted against the server.'],
  ['connectionErrors', 'memcached_connection_errors_total', 'Requests failed by a broken connection.'],
  ['fallbackServed', 'memcached_fallback_served_total', 'Requests the server took for a down server’s keys.'],
];

/**
 * Exposes a source's counters in Prometheus format on a registry. Values are read at scrape time
 * from the source's counters and stats snapshots, so nothing is counted twice and the hot path
 * pays nothing.
 */
export function registerMetrics(source: MetricsSource, options: MetricsOptions = {}): Registry {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'authring_';
  for (const [field, name, help] of ENGINE_METRICS) {
    new Counter({
      name: prefix + name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(countersOf(source)[field]);
      },
    });
  }
  const servers = (): NodeStats[] => {
    const stats = source.cluster.stats();
    return [...stats.servers, ...stats.gutter];
  };
  for (const [field, name, help] of SERVER_METRICS) {
    new Counter({
      name: prefix + name,
      help,
      labelNames: ['server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const server of servers()) this.inc({ server: server.address }, Number(server[field]));
      },
    });
  }
  new Gauge({
    name: `${prefix}memcached_server_up`,
    help: '1 while the server takes traffic, 0 while it is marked down.',
    labelNames: ['server'],
    registers: [registry],
    collect() {
      this.reset();
      for (const server of servers()) this.set({ server: server.address }, server.state === 'up' ? 1 : 0);
    },
  });
  if (source.localStats) registerLocalTierMetrics({ localStats: () => source.localStats?.() }, registry, prefix);
  return registry;
}
