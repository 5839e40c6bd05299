/**
 * Whether a node's resources stayed flat: the median of each metric over the first tenth of its
 * samples against the median over the last tenth. The first tenth starts after the warm-up (the
 * first samples, taken while pools fill and caches warm, are dropped).
 */
import type { Sample } from './node.js';

/** The metrics compared. */
export const METRICS = ['heapUsed', 'rss', 'fds', 'sockets', 'timers'] as const;
export type Metric = (typeof METRICS)[number];

/** First against last decile of one metric. */
export interface Flatness {
  readonly first: number;
  readonly last: number;
  /** `last / first - 1`; 0 when both are 0. */
  readonly change: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** Flatness of every metric over one node's samples (in time order), after dropping `warmup` of them. */
export function flatness(samples: readonly Sample[], warmup: number): Record<Metric, Flatness> {
  const kept = samples.slice(Math.min(warmup, Math.max(0, samples.length - 2)));
  const tenth = Math.max(1, Math.floor(kept.length / 10));
  const first = kept.slice(0, tenth);
  const last = kept.slice(-tenth);
  const result = {} as Record<Metric, Flatness>;
  for (const metric of METRICS) {
    const a = median(first.map((s) => s[metric]));
    const b = median(last.map((s) => s[metric]));
    result[metric] = { first: a, last: b, change: a === 0 ? (b === 0 ? 0 : Infinity) : b / a - 1 };
  }
  return result;
}

/** Sums per-node figures, metric by metric. */
export function sumOver(nodes: ReadonlyArray<Record<Metric, Flatness>>): Record<Metric, Flatness> {
  const result = {} as Record<Metric, Flatness>;
  for (const metric of METRICS) {
    const first = nodes.reduce((sum, n) => sum + n[metric].first, 0);
    const last = nodes.reduce((sum, n) => sum + n[metric].last, 0);
    result[metric] = { first, last, change: first === 0 ? (last === 0 ? 0 : Infinity) : last / first - 1 };
  }
  return result;
}
