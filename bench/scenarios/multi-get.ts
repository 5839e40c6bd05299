import type Memcached from 'memcached';
import { clusterClient, memcacheClient, memcachedClient, memjsClient, preload } from '../clients.js';
import { interleave, pairedRatios, pool, type Contender, type Measurement } from '../harness.js';
import {
  quantile,
  rate,
  ratio,
  spread,
  us,
  type Scenario,
  type ScenarioResult,
  type TableRow,
  type TargetResult,
} from '../scenario.js';

const BATCH = 100;
const KEYS = 1000;
const VALUE_BYTES = 100;
/**
 * getMulti must beat 100 concurrent raw memjs gets by at least this factor (p50 time per batch),
 * stably: in at least three rounds of four (the middle half of the per-round ratios at or above it).
 */
const SPEEDUP = 3;

const DEFAULT_ROUNDS = 20;
const WARMUP_MS = 300;
const SLICE_BATCHES = 2000;
const SLICE_MS = 250;

type VariantId = 'getMulti' | 'clusterAll' | 'memjsAll' | 'memcacheClientMulti' | 'memcachedMulti';

export const scenario: Scenario = {
  name: 'multi-get',
  title: `${BATCH}-key multi-get`,
  defaultRounds: DEFAULT_ROUNDS,
  description:
    `Time to read a batch of ${BATCH} preloaded keys (${VALUE_BYTES}-byte values, spread over all ` +
    `servers), one batch in flight at a time: MemcacheCluster.getMulti (one pipelined GETKQ…NOOP write ` +
    `per server) against Promise.all of ${BATCH} MemcacheCluster.get and Promise.all of ${BATCH} raw ` +
    `memjs gets; memcache-client's multi-key get and the memcached package's getMulti are shown for reference. A ${WARMUP_MS} ms warm-up per ` +
    `variant, then rounds of one slice per variant (up to ${SLICE_BATCHES.toLocaleString('en-US')} ` +
    `batches or ${SLICE_MS} ms each, rotating order); the figures pool all slices.`,
  async run({ servers, rounds, log }): Promise<ScenarioResult> {
    const cluster = clusterClient(servers);
    const mjs = memjsClient(servers);
    const mcd = memcachedClient(servers);
    const mcc = memcacheClient(servers);
    try {
      const clusterBatches = toBatches(await preload(cluster, 'mg-clu', KEYS, VALUE_BYTES));
      const memjsBatches = toBatches(await preload(mjs, 'mg-mjs', KEYS, VALUE_BYTES));
      const memcachedBatches = toBatches(await preload(mcd, 'mg-mcd', KEYS, VALUE_BYTES));
      const memcacheClientBatches = toBatches(await preload(mcc, 'mg-mcc', KEYS, VALUE_BYTES));
      const pick = <T>(batches: readonly T[], i: number): T => batches[i % batches.length] as T;

      const variants: Contender<VariantId>[] = [
        {
          id: 'getMulti',
          label: 'MemcacheCluster.getMulti',
          operation: async (i) => (await cluster.cluster.getMulti(pick(clusterBatches, i))).size === BATCH,
        },
        {
          id: 'clusterAll',
          label: `Promise.all ${BATCH}× MemcacheCluster.get`,
          operation: async (i) => allHit(await Promise.all(pick(clusterBatches, i).map((k) => cluster.get(k)))),
        },
        {
          id: 'memjsAll',
          label: `Promise.all ${BATCH}× memjs get`,
          operation: async (i) => allHit(await Promise.all(pick(memjsBatches, i).map((k) => mjs.get(k)))),
        },
        {
          id: 'memcacheClientMulti',
          label: 'memcache-client multi-key get (reference)',
          operation: async (i) => (await mcc.getMulti(pick(memcacheClientBatches, i))) === BATCH,
        },
        {
          id: 'memcachedMulti',
          label: 'memcached pkg getMulti (reference)',
          operation: async (i) =>
            Object.keys(await getMultiMemcached(mcd.client, pick(memcachedBatches, i))).length === BATCH,
        },
      ];

      const results = await interleave(variants, {
        concurrency: 1,
        rounds,
        warmup: { ops: 2000, maxMs: WARMUP_MS },
        sliceWarmup: { ops: 3, maxMs: 20 },
        slice: { ops: SLICE_BATCHES, maxMs: SLICE_MS },
        pauseMs: 10,
      });
      for (const variant of variants) {
        const m = pool(results.get(variant.id) ?? []);
        log(
          `  ${variant.label.padEnd(36)} p50 ${us(m.p50Ms).padStart(9)}  p99 ${us(m.p99Ms).padStart(9)}` +
            `  ${rate(m.opsPerSec).padStart(6)} batches/s  cpu ${us(m.cpuUsPerOp / 1000)}/batch`,
        );
      }
      return summarize(variants, results, rounds);
    } finally {
      cluster.close();
      mjs.close();
      mcd.close();
      mcc.close();
    }
  },
};

function summarize(
  variants: readonly Contender<VariantId>[],
  results: Map<VariantId, Measurement[]>,
  rounds: number,
): ScenarioResult {
  const of = (id: VariantId): Measurement[] => results.get(id) ?? [];
  const multi = pool(of('getMulti'));
  const rows: TableRow[] = variants.map((variant) => {
    const m = pool(of(variant.id));
    return [
      variant.label,
      us(m.p50Ms),
      us(m.p99Ms),
      us(m.meanMs),
      rate(m.opsPerSec * BATCH),
      us(m.cpuUsPerOp / 1000),
      variant.id === 'getMulti' ? '1.00x' : ratio(m.p50Ms / multi.p50Ms),
    ];
  });
  const memjs = pool(of('memjsAll'));
  const memjsLabel = variants.find((v) => v.id === 'memjsAll')?.label ?? 'memjsAll';
  const perRound = pairedRatios(of('memjsAll'), of('getMulti'), (m) => m.p50Ms);
  const pooled = memjs.p50Ms / multi.p50Ms;
  const lowerQuartile = quantile(perRound, 0.25);
  const targets: TargetResult[] = [
    {
      name: `getMulti(${BATCH}) vs ${memjsLabel}`,
      criterion: `≥ ${SPEEDUP}x faster per batch (p50), pooled and in the middle half of the rounds`,
      measured: `${ratio(pooled)} pooled (${us(multi.p50Ms)} vs ${us(memjs.p50Ms)}); middle half from ${ratio(lowerQuartile)}`,
      pass: pooled >= SPEEDUP && lowerQuartile >= SPEEDUP,
    },
  ];
  const notes = (['memjsAll', 'clusterAll'] as const).map((id) => {
    const label = variants.find((v) => v.id === id)?.label ?? id;
    const speedup = pool(of(id)).p50Ms / multi.p50Ms;
    return `getMulti speedup over ${label}: ${ratio(speedup)} pooled; per round ${spread(pairedRatios(of(id), of('getMulti'), (m) => m.p50Ms))}.`;
  });
  notes.push(
    'Concurrent MemcacheCluster gets are no target: the client corks every request issued in one tick ' +
      'into one write per server, so 100 concurrent gets already travel as one pipelined batch per server, ' +
      'like getMulti; what remains between them is per-request work (a promise, a deadline timer and a ' +
      'response object each). Raw memjs writes each get on its own, one syscall per key.',
  );
  const chart = variants.map((v) => ({ variant: v.label, value: pool(of(v.id)).p50Ms * 1000 }));
  return {
    charts: [{ name: 'multi-get', spec: { title: `${BATCH}-key batch, p50 per batch (lower is better)`, width: 360, height: 160, data: { values: chart }, mark: 'bar', encoding: { y: { field: 'variant', type: 'nominal', sort: null, title: null }, x: { field: 'value', type: 'quantitative', title: 'p50 per batch, µs' } } } }],
    tables: [
      {
        title: `${BATCH}-key batches, one in flight, ${rounds} interleaved rounds pooled`,
        headers: ['Variant', 'p50 / batch', 'p99 / batch', 'mean / batch', 'keys/s', 'CPU / batch', 'p50 vs getMulti'],
        rows,
      },
    ],
    targets,
    notes,
  };
}

function toBatches(keys: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i + BATCH <= keys.length; i += BATCH) batches.push(keys.slice(i, i + BATCH));
  return batches;
}

function allHit(hits: readonly boolean[]): boolean {
  return hits.every(Boolean);
}

function getMultiMemcached(client: Memcached, keys: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    client.getMulti(keys, (error: unknown, data: Record<string, unknown> | undefined) =>
      error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(data ?? {}),
    );
  });
}
