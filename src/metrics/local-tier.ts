import { Counter, Gauge, type Registry } from 'prom-client';
import { BYPASS_REASONS, type BypassReason, type LocalTierStats } from '../cache/local/local-tier.js';

/** What the local tier's metrics read: an AuthCache's `localStats()` (undefined while it is off). */
export interface LocalTierMetricsSource {
  localStats(): LocalTierStats | undefined;
}

/** One metric: its type, name, help, and its value (or values by bypass reason) in a snapshot. */
type LocalMetric = readonly [typeof Counter | typeof Gauge, string, string, (stats: LocalTierStats) => number | Record<BypassReason, number>];

const METRICS: readonly LocalMetric[] = [
  [Counter, 'local_hits_total', 'Lookups answered from the local tier (process memory).', (s) => s.hits],
  [Counter, 'local_misses_total', 'Lookups the local tier, while current, did not hold.', (s) => s.misses],
  [Counter, 'local_evictions_total', 'Local entries pushed out by cache.local.max_entries or max_bytes.', (s) => s.evictions],
  [Counter, 'local_bypasses_total', 'Lookups sent past the local tier because it could not prove itself current, by reason.', (s) => s.bypasses],
  [Gauge, 'local_entries', 'Entries in the local tier.', (s) => s.entries],
  [Gauge, 'local_bytes', 'Bytes the local tier’s entries account for.', (s) => s.bytes],
  [
    Gauge,
    'local_feed_lag_seconds',
    'Age of the local tier’s proof: every database change older than this is applied (served while within cache.local.bound_ms); -1 before the first proof.',
    (s) => (Number.isFinite(s.feedLagMs) ? s.feedLagMs / 1000 : -1),
  ],
];

/**
 * Registers the local tier's metrics: hits, misses, evictions, bypasses by reason, entries,
 * bytes and feed lag. Read at scrape time; nothing is reported while the tier is off.
 */
export function registerLocalTierMetrics(source: LocalTierMetricsSource, registry: Registry, prefix: string): void {
  for (const [Metric, name, help, read] of METRICS) {
    const byReason = name === 'local_bypasses_total';
    new Metric({
      name: prefix + name,
      help,
      labelNames: byReason ? ['reason'] : [],
      registers: [registry],
      collect(this: Counter | Gauge) {
        this.reset();
        const stats = source.localStats();
        if (!stats) return;
        const value = read(stats);
        const set = (labels: Record<string, string>, n: number): void => (this instanceof Gauge ? this.set(labels, n) : this.inc(labels, n));
        if (typeof value === 'number') set({}, value);
        else for (const reason of BYPASS_REASONS) set({ reason }, value[reason]);
      },
    });
  }
}
