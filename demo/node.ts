/**
 * One simulated SIP proxy node, forked by the demo: it opens its phase's auth backend, builds its
 * requests, and on `go` replays them at a fixed rate (a proxy answers traffic as it arrives, not as
 * fast as it can), `concurrency` at a time like a Kamailio instance's workers. It records every
 * answer with its time, for the parent to judge against the database.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAnswerer, type Mode } from './answerers.js';
import { isEntry, parentChannel, type ParentChannel } from '../tools/child-process.js';
import { Population } from './population.js';
import { buildWorkload, type WorkloadSpec } from './workload.js';

/** What the parent passes. */
export interface NodeInput {
  readonly mode: Mode;
  readonly configPath: string;
  readonly population: { readonly size: number; readonly seed: number };
  readonly workload: WorkloadSpec;
  /** Requests per second. */
  readonly rate: number;
  readonly concurrency: number;
  readonly htableTtlS: number;
}

/** Fields per request in {@link NodeResult.records}. */
export const RECORD = { stride: 6, askedAt: 0, answeredAt: 1, latencyMs: 2, inGroup: 3, credentials: 4, allowed: 5 } as const;

/** Counters at one moment. */
export interface NodeCounters {
  readonly requests: number;
  readonly sql: number;
  readonly memcached: number;
}

/** What a node sends back. */
export interface NodeResult {
  /**
   * Per request: asked and answered (ms since the epoch), latency, then the answers: in group 0/1,
   * the first 32 bits of `ha1` (-1: no subscriber), address allowed 0/1; NaN when the lookup threw.
   */
  readonly records: Float64Array;
  /** Counters once the warm-up pass was answered (`requests`: the pass's), and at the end (both from `go`). */
  readonly warm: NodeCounters;
  readonly total: NodeCounters;
  /** Counters every second from `go`: [seconds, requests, sql, memcached] × n, flattened. */
  readonly series: readonly number[];
  readonly errors: number;
  readonly firstError?: string;
  /** Times a memcached server was marked down during the replay. */
  readonly serversMarkedDown: number;
  /** The local tier's counters at the end, when it is on. */
  readonly local?: Record<string, number>;
}

/** The first 32 bits of an `ha1` as a number; -1 for none. */
export function credentialsTag(ha1: string | undefined): number {
  return ha1 === undefined ? -1 : Number.parseInt(ha1.slice(0, 8), 16);
}

/** Replays the workload; run when this file is the forked process. */
async function replay({ input, ...parent }: ParentChannel<NodeInput>): Promise<NodeResult> {
  const population = new Population(input.population.size, input.population.seed);
  const { who, port, warmup } = buildWorkload(population, input.workload);
  const answerer = await openAnswerer(input.mode, input.configPath, input.htableTtlS);
  try {
    await parent.send({ type: 'ready' });
    const { at: startAt } = await parent.next<{ type: 'go'; at: number }>('go');
    await sleep(Math.max(0, startAt - Date.now()));
    const base = { sql: answerer.sqlQueries(), memcached: answerer.memcachedRequests() };
    const counters = (requests: number): NodeCounters => ({ requests, sql: answerer.sqlQueries() - base.sql, memcached: answerer.memcachedRequests() - base.memcached });
    const records = new Float64Array(who.length * RECORD.stride);
    const series: number[] = [];
    let warm: NodeCounters | undefined;
    let [next, done, warmDone, errors] = [0, 0, 0, 0];
    let firstError: string | undefined;
    const ticker = setInterval(() => {
      const now = counters(done);
      series.push(Math.round((Date.now() - startAt) / 100) / 10, now.requests, now.sql, now.memcached);
      void parent.send({ type: 'progress', ...now });
    }, 1000);
    const worker = async (): Promise<void> => {
      for (let i = next++; i < who.length; i = next++) {
        const wait = startAt + (i * 1000) / input.rate - Date.now();
        if (wait > 0) await sleep(wait);
        const p = population.person(who[i] ?? 0);
        const at = i * RECORD.stride;
        const started = performance.now();
        records[at + RECORD.askedAt] = Date.now();
        try {
          const answers = await answerer.ask(p.user, p.domain, p.sourceIp, port[i] ?? 5060);
          records[at + RECORD.inGroup] = answers.inGroup ? 1 : 0;
          records[at + RECORD.credentials] = credentialsTag(answers.ha1);
          records[at + RECORD.allowed] = answers.allowed ? 1 : 0;
        } catch (error) {
          records.fill(Number.NaN, at + RECORD.inGroup, at + RECORD.stride);
          errors += 1;
          firstError ??= `${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}`;
        }
        records[at + RECORD.answeredAt] = Date.now();
        records[at + RECORD.latencyMs] = performance.now() - started;
        done += 1;
        if (i < warmup && ++warmDone === warmup) warm = { ...counters(done), requests: warmup };
      }
    };
    await Promise.all(Array.from({ length: input.concurrency }, worker));
    clearInterval(ticker);
    const total = counters(done);
    const local = answerer.localCounters?.();
    return { records, warm: warm ?? total, total, series, errors, serversMarkedDown: answerer.serversMarkedDown(), ...(firstError === undefined ? {} : { firstError }), ...(local && { local }) };
  } finally {
    await answerer.close();
  }
}

if (isEntry(import.meta.url)) {
  const channel = parentChannel<NodeInput>();
  const result = await replay(channel);
  await channel.send({ type: 'result', ...result });
  process.exit(0);
}
