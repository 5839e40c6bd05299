import { allClients, preload, type ClientId } from '../clients.js';
import { interleave, pairedRatios, pool, type Contender, type Measurement } from '../harness.js';
import {
  rate,
  ratio,
  spread,
  us,
  type Scenario,
  type ScenarioResult,
  type TableRow,
  type TargetResult,
} from '../scenario.js';

/** Concurrency levels measured; the p50 target is judged at the first two. */
const CONCURRENCIES = [1, 16, 256] as const;
const JUDGED_AT: readonly number[] = [1, 16];
/** Most a MemcacheCluster get p50 may exceed raw memjs's. */
const P50_LIMIT = 1.15;
const KEYS = 1000;
const VALUE_BYTES = 100;
/** Key prefixes of equal length, one per client (each client places its own keys). */
const PREFIX: Readonly<Record<ClientId, string>> = { cluster: 'sg-clu', memjs: 'sg-mjs', memcacheClient: 'sg-mcc', memcached: 'sg-mcd' };

const DEFAULT_ROUNDS = 12;
const WARMUP_MS = 300;
const SLICE_OPS = 20_000;
const SLICE_MS = 250;

export const scenario: Scenario = {
  name: 'single-get',
  title: 'Single-key get',
  defaultRounds: DEFAULT_ROUNDS,
  description:
    `Latency (p50/p99 per get), throughput and this process's CPU time per get for single-key gets ` +
    `of ${KEYS} preloaded keys with ${VALUE_BYTES}-byte values, at concurrency ${CONCURRENCIES.join(', ')} ` +
    `(that many async loops issuing gets back to back), for MemcacheCluster, raw memjs, memcache-client and ` +
    `the memcached package. Per concurrency: a ${WARMUP_MS} ms warm-up per client, then rounds of one slice per client ` +
    `(up to ${SLICE_OPS.toLocaleString('en-US')} gets or ${SLICE_MS} ms each, clients in rotating order); ` +
    `the figures pool all slices.`,
  async run({ servers, rounds, log }): Promise<ScenarioResult> {
    const clients = allClients(servers);
    try {
      const contenders: Contender<ClientId>[] = [];
      for (const client of clients) {
        const keys = await preload(client, PREFIX[client.id], KEYS, VALUE_BYTES);
        const n = keys.length;
        contenders.push({ id: client.id, label: client.name, operation: (i) => client.get(keys[i % n] as string) });
      }
      const results = new Map<number, Map<ClientId, Measurement[]>>();
      for (const concurrency of CONCURRENCIES) {
        const slices = await interleave(contenders, {
          concurrency,
          rounds,
          warmup: { ops: 20_000, maxMs: WARMUP_MS },
          sliceWarmup: { ops: Math.max(50, concurrency * 4), maxMs: 30 },
          slice: { ops: SLICE_OPS, maxMs: SLICE_MS },
          pauseMs: 10,
        });
        results.set(concurrency, slices);
        for (const contender of contenders) {
          const m = pool(slices.get(contender.id) ?? []);
          log(
            `  c=${String(concurrency).padEnd(3)} ${contender.label.padEnd(16)} p50 ${us(m.p50Ms).padStart(10)}` +
              `  p99 ${us(m.p99Ms).padStart(10)}  ${rate(m.opsPerSec).padStart(7)} ops/s` +
              `  cpu ${m.cpuUsPerOp.toFixed(1)} µs/get`,
          );
        }
      }
      return summarize(contenders, results, rounds);
    } finally {
      for (const client of clients) client.close();
    }
  },
};

function summarize(
  contenders: readonly Contender<ClientId>[],
  results: Map<number, Map<ClientId, Measurement[]>>,
  rounds: number,
): ScenarioResult {
  const rows: TableRow[] = [];
  const points: { concurrency: string; client: string; value: number }[] = [];
  const targets: TargetResult[] = [];
  const notes: string[] = [];
  for (const concurrency of CONCURRENCIES) {
    const slices = results.get(concurrency);
    const of = (id: ClientId): Measurement[] => slices?.get(id) ?? [];
    const base = pool(of('memjs'));
    for (const contender of contenders) {
      const m = pool(of(contender.id));
      const isBase = contender.id === 'memjs';
      points.push({ concurrency: `concurrency ${concurrency}`, client: contender.label, value: m.p50Ms * 1000 });
      rows.push([
        String(concurrency),
        contender.label,
        us(m.p50Ms),
        us(m.p99Ms),
        rate(m.opsPerSec),
        `${m.cpuUsPerOp.toFixed(1)} µs`,
        isBase ? '1.00x' : ratio(m.p50Ms / base.p50Ms),
        isBase ? '1.00x' : ratio(m.opsPerSec / base.opsPerSec),
      ]);
    }
    const cluster = pool(of('cluster'));
    const p50Ratio = cluster.p50Ms / base.p50Ms;
    const perRound = pairedRatios(of('cluster'), of('memjs'), (m) => m.p50Ms);
    notes.push(
      `Concurrency ${concurrency}: MemcacheCluster/memjs p50 ratio ${ratio(p50Ratio)} pooled; ` +
        `per round ${spread(perRound)}. Client CPU per get ${cluster.cpuUsPerOp.toFixed(1)} µs vs ` +
        `${base.cpuUsPerOp.toFixed(1)} µs (${ratio(cluster.cpuUsPerOp / base.cpuUsPerOp)}).`,
    );
    if (JUDGED_AT.includes(concurrency)) {
      targets.push({
        name: `Single get p50, MemcacheCluster vs raw memjs, concurrency ${concurrency}`,
        criterion: `≤ ${P50_LIMIT.toFixed(2)}x`,
        measured: `${ratio(p50Ratio)} (${us(cluster.p50Ms)} vs ${us(base.p50Ms)})`,
        pass: p50Ratio <= P50_LIMIT,
      });
    }
  }
  return {
    tables: [
      {
        title: `Single-key get, ${rounds} interleaved rounds pooled`,
        textColumns: 2,
        headers: ['Concurrency', 'Client', 'p50', 'p99', 'ops/s', 'CPU/get', 'p50 vs memjs', 'ops/s vs memjs'],
        rows,
      },
    ],
    charts: [{ name: 'single-get', spec: { title: 'Single-key get, p50 latency (log scale; lower is better)', width: 360, height: 220, data: { values: points }, mark: 'bar', encoding: { x: { field: 'concurrency', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } }, xOffset: { field: 'client', sort: null }, y: { field: 'value', type: 'quantitative', scale: { type: 'symlog' }, title: 'p50, µs' }, color: { field: 'client', type: 'nominal', sort: null, title: null } } } }],
    targets,
    notes,
  };
}
