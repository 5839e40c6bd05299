/** Latency summaries from raw samples. */

/** Percentiles of a set of latencies, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Summarizes samples (sorted in place): nearest-rank p50 and p99, and the maximum.
 *
 * @param samples latencies in milliseconds; reordered.
 */
export function summarizeLatency(samples: Float64Array): LatencySummary {
  samples.sort();
  const at = (q: number): number => (samples.length === 0 ? 0 : (samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] ?? 0));
  return { count: samples.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: samples.length === 0 ? 0 : (samples[samples.length - 1] ?? 0) };
}
