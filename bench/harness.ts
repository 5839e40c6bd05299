/**
 * A small load driver. One measurement ("slice") is a short warm-up, then a measured phase bounded
 * both by an operation count and by wall time, run as `concurrency` async loops issuing
 * operations back to back. Latencies go into a preallocated array, sorted once for percentiles.
 *
 * On a shared machine the load changes from second to second, so scenarios measure many short
 * slices per client, interleaved in rotating order, and pool them ({@link pool}): every client then
 * samples the same moments of the machine's load.
 */

/** One operation; resolves `false` for an unexpected result (e.g. a miss on a preloaded key). */
export type Operation = (i: number) => Promise<boolean>;

export interface Phase {
  /** Most operations to issue. */
  readonly ops: number;
  /** Most milliseconds to keep issuing new operations (those in flight still complete). */
  readonly maxMs: number;
}

export interface MeasureOptions {
  /** Async loops issuing operations back to back. */
  readonly concurrency: number;
  /** Discarded phase right before the measured one. */
  readonly warmup: Phase;
  readonly measure: Phase;
}

/** The outcome of a measured phase, or of several pooled. Times in milliseconds. */
export interface Measurement {
  /** Operations completed. */
  readonly ops: number;
  /** Operations that resolved `false`. */
  readonly unexpected: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** This process's CPU time (user + system) per operation, in microseconds. */
  readonly cpuUsPerOp: number;
  /** Every latency, ascending. */
  readonly latencies: Float64Array;
}

/** Runs a warm-up (discarded), then a measured phase. */
export async function measure(operation: Operation, options: MeasureOptions): Promise<Measurement> {
  await drive(operation, options.concurrency, options.warmup);
  return drive(operation, options.concurrency, options.measure);
}

async function drive(operation: Operation, concurrency: number, phase: Phase): Promise<Measurement> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
  const latencies = new Float64Array(phase.ops);
  let issued = 0;
  let done = 0;
  let unexpected = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const stopAt = start + phase.maxMs;
  const loop = async (): Promise<void> => {
    while (issued < phase.ops) {
      const t0 = performance.now();
      if (t0 >= stopAt) break;
      const ok = await operation(issued++);
      latencies[done++] = performance.now() - t0;
      if (!ok) unexpected += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return summarize(latencies.subarray(0, done).sort(), elapsedMs, unexpected, cpu.user + cpu.system);
}

function summarize(sorted: Float64Array, elapsedMs: number, unexpected: number, cpuUs: number): Measurement {
  const ops = sorted.length;
  let sum = 0;
  for (const latency of sorted) sum += latency;
  return {
    ops,
    unexpected,
    elapsedMs,
    opsPerSec: ops / (elapsedMs / 1000),
    meanMs: ops > 0 ? sum / ops : NaN,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: ops > 0 ? (sorted[ops - 1] ?? NaN) : NaN,
    cpuUsPerOp: ops > 0 ? cpuUs / ops : NaN,
    latencies: sorted,
  };
}

/**
 * Several measurements of the same thing as one: percentiles over all their operations,
 * throughput as total operations over total measured time, CPU per operation over all.
 */
export function pool(measurements: readonly Measurement[]): Measurement {
  const all = new Float64Array(measurements.reduce((n, m) => n + m.latencies.length, 0));
  let offset = 0;
  let elapsedMs = 0;
  let unexpected = 0;
  let cpuUs = 0;
  for (const m of measurements) {
    all.set(m.latencies, offset);
    offset += m.latencies.length;
    elapsedMs += m.elapsedMs;
    unexpected += m.unexpected;
    cpuUs += m.cpuUsPerOp * m.ops || 0;
  }
  return summarize(all.sort(), elapsedMs, unexpected, cpuUs);
}

/** One of the things a scenario compares. */
export interface Contender<Id extends string = string> {
  readonly id: Id;
  readonly label: string;
  readonly operation: Operation;
}

export interface InterleaveOptions {
  readonly concurrency: number;
  /** Slices per contender. */
  readonly rounds: number;
  /** Each contender's warm-up before the first round (JIT, sockets, pools). */
  readonly warmup: Phase;
  /** Short warm-up right before each slice (fills the pipeline at high concurrency). */
  readonly sliceWarmup: Phase;
  /** One measured slice. */
  readonly slice: Phase;
  /** Milliseconds of quiet between slices. */
  readonly pauseMs: number;
}

/**
 * Measures every contender `rounds` times, one slice each per round, in an order rotated every
 * round. Returns each contender's slices in round order (index i of two contenders = same round).
 */
export async function interleave<Id extends string>(
  contenders: readonly Contender<Id>[],
  options: InterleaveOptions,
): Promise<Map<Id, Measurement[]>> {
  const slices = new Map<Id, Measurement[]>(contenders.map((c) => [c.id, []]));
  for (const contender of contenders) {
    await drive(contender.operation, options.concurrency, options.warmup);
    await pause(options.pauseMs);
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const contender of rotate(contenders, round)) {
      const m = await measure(contender.operation, {
        concurrency: options.concurrency,
        warmup: options.sliceWarmup,
        measure: options.slice,
      });
      if (m.unexpected > 0) {
        throw new Error(`${contender.label}: ${m.unexpected} operations returned unexpected results (missing keys?)`);
      }
      slices.get(contender.id)?.push(m);
      await pause(options.pauseMs);
    }
  }
  return slices;
}

/** Per-round ratios `a[i].pick / b[i].pick`. */
export function pairedRatios(
  a: readonly Measurement[],
  b: readonly Measurement[],
  pick: (m: Measurement) => number,
): number[] {
  return a.map((m, i) => {
    const other = b[i];
    return other ? pick(m) / pick(other) : NaN;
  });
}

/** The values in ascending order, as {@link percentile} takes them. */
export function ascending(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

/** Median of numbers (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** `order` rotated left by `round`, so no variant always runs first (or last) in a round. */
export function rotate<T>(order: readonly T[], round: number): T[] {
  const k = order.length === 0 ? 0 : round % order.length;
  return [...order.slice(k), ...order.slice(0, k)];
}

/** Lets sockets, timers and GC settle between measurements. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
