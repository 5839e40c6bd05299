import { describe, expect, it } from 'vitest';
import { judge } from '../../demo/judge.js';
import { RECORD, SOURCES, type NodeResult } from '../../demo/node.js';
import type { PhaseRun } from '../../demo/phase.js';
import { Population } from '../../demo/population.js';
import { summarize } from '../../demo/report.js';

const population = new Population(10, 42);

/** One node's records: per request its latency and its three lookups' latencies (NaN: not asked). */
function node(requests: readonly { total: number; lookups: readonly number[] }[], warmup: number): NodeResult {
  const records = new Float64Array(requests.length * RECORD.stride).fill(Number.NaN);
  requests.forEach(({ total, lookups }, i) => {
    const at = i * RECORD.stride;
    records[at + RECORD.latencyMs] = total;
    lookups.forEach((ms, q) => {
      // As node.ts records it: a question never asked has neither a latency nor a source.
      if (Number.isNaN(ms)) return;
      records[at + RECORD.ms + q] = ms;
      records[at + RECORD.source + q] = SOURCES.indexOf('mysql');
    });
  });
  const counters = { t: 0, requests: warmup, sql: 0, memcached: 0 };
  return {
    workload: { who: new Uint32Array(requests.length), port: new Uint16Array(requests.length), warmup },
    records,
    warm: counters,
    total: { ...counters, requests: requests.length, downs: 0 },
    loopDelayP99Ms: 1,
  };
}

describe('the demo report', () => {
  it('gives latency per lookup apart from per request, by part, leaving out lookups never asked', () => {
    const warm = [{ total: 30, lookups: [10, 20, 0] }, { total: 40, lookups: [15, 25, 0] }];
    // The second steady request's first lookup threw: its other two were never asked.
    const steady = [{ total: 3, lookups: [1, 1, 1] }, { total: 5, lookups: [5, Number.NaN, Number.NaN] }];
    const nodes = [node([...warm, ...steady], warm.length)];
    const run: PhaseRun = { mode: 'authring', startAt: 0, endAt: 1000, nodes, series: [], changes: [], watcherQueries: 0, serverSelects: 0 };
    const { report } = summarize(run, judge(population, [], []));

    expect(report.latencyMs.p99).toBe(40);
    expect(report.latencyByPartMs.warmup.p99).toBe(40);
    expect(report.lookupLatencyMs.p99).toBe(25);
    expect(report.lookupLatencyMs.warmup).toEqual({ p50: expect.any(Number), p99: 25 });
    // The steady lookups are 1, 1, 1 and 5: the two never asked add no zero.
    expect(report.lookupLatencyMs.steady.p99).toBe(5);
    expect(report.lookupLatencyMs.steady.p50).toBe(1);
    expect(report.lookupsBySource['mysql']?.lookups).toBe(10);
  });
});
