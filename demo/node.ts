/**
 * One simulated SIP proxy node, forked by the demo: on `go` it replays its requests at a fixed rate
 * (a proxy answers traffic as it arrives, not as fast as it can), `concurrency` at a time like a
 * Kamailio instance's workers, recording every answer with its time and every lookup with its
 * latency and where its answer came from.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LookupStatus } from '../src/index.js';
import { isEntry, parentChannel, type ParentChannel } from '../tools/child-process.js';
import { openAnswerer, type Answerer, type Mode } from './answerers.js';
import type { PhaseSetup } from './setup.js';
import { Population } from './population.js';
import { buildWorkload, type Workload } from './workload.js';

/** What the parent passes: the phase, what every phase shares (but the database), and which node this is. */
export type NodeInput = Omit<PhaseSetup, 'db'> & { readonly mode: Mode; readonly node: number };

/**
 * Fields per request in {@link NodeResult.records}: asked and answered (ms since the epoch), its
 * latency (ms), then from `answer`, `ms` and `source` on, per question (group, credentials,
 * address): the answer (NaN for all three when a lookup threw), the lookup's latency and its source
 * (an index into {@link SOURCES}; NaN when not asked).
 */
export const RECORD = { stride: 12, askedAt: 0, answeredAt: 1, latencyMs: 2, answer: 3, ms: 6, source: 9 } as const;

/** Where a lookup's answer came from, told by the library's `LookupStatus` (demo/README.md says what each means). */
export const SOURCES = ['memory', 'memcached', 'peer', 'lease', 'mysql', 'stale', 'unsaid', 'error'] as const;
const NAMES = { local: 'memory', cache: 'memcached', peer: 'peer', lease: 'lease', source: 'mysql', stale: 'stale' } as const;

/** A lookup's source (an index into {@link SOURCES}); `cache` without a server is the node's copy of the address table. */
function sourceOf({ source, server }: LookupStatus): number {
  return SOURCES.indexOf(source === undefined ? 'unsaid' : source === 'cache' && server === undefined ? 'memory' : NAMES[source]);
}

/** Counters at one moment (`t`: seconds since `go`), each since `go`. */
export type NodeCounters = Readonly<Record<'t' | 'requests' | 'sql' | 'memcached', number>>;

/** What a node sends back. */
export interface NodeResult {
  /** The requests it replayed, and what they got. */
  readonly workload: Workload;
  readonly records: Float64Array;
  /** Counters once the warm-up pass was answered (`requests`: the pass's), and at the end (both from `go`, the backend's own since its start). */
  readonly warm: NodeCounters;
  readonly total: NodeCounters & ReturnType<Answerer['counters']>;
  readonly firstError?: string;
  /** 99th percentile of the event loop's delay during the replay (ms): how long work queued for the CPU. */
  readonly loopDelayP99Ms: number;
}

/** Replays the workload; run when this file is the forked process. Sends its counters as `progress` every second. */
async function replay({ input, ...parent }: ParentChannel<NodeInput>): Promise<NodeResult> {
  const population = new Population(input.population.size, input.population.seed);
  const workload = buildWorkload(population, input, input.node);
  const { who, port, warmup } = workload;
  const answerer = await openAnswerer(input.mode, input.configPath, input.htableTtl);
  try {
    await parent.send({ type: 'ready' });
    const { at: startAt } = await parent.next<{ type: 'go'; at: number }>('go');
    await sleep(Math.max(0, startAt - Date.now()));
    const [base, loopDelay] = [answerer.counters(), monitorEventLoopDelay({ resolution: 10 })];
    loopDelay.enable();
    const counters = (requests: number): NodeCounters => {
      const now = answerer.counters();
      return { t: Math.round((Date.now() - startAt) / 100) / 10, requests, sql: now.sql - base.sql, memcached: now.memcached - base.memcached };
    };
    const records = new Float64Array(who.length * RECORD.stride).fill(Number.NaN);
    let warm: NodeCounters | undefined;
    let [next, done, warmDone] = [0, 0, 0];
    let firstError: string | undefined;
    const ticker = setInterval(() => void parent.send({ type: 'progress', ...counters(done) }), 1000);
    const worker = async (): Promise<void> => {
      for (let i = next++; i < who.length; i = next++) {
        const wait = startAt + (i * 1000) / input.rate - Date.now();
        if (wait > 0) await sleep(wait);
        const p = population.person(who[i] ?? 0);
        const at = i * RECORD.stride;
        const started = performance.now();
        records[at + RECORD.askedAt] = Date.now();
        try {
          for (const [q, question] of answerer.questions.entries()) {
            const [status, asked] = [{} as LookupStatus, performance.now()];
            records[at + RECORD.source + q] = SOURCES.indexOf('error'); // until it answers
            try {
              records[at + RECORD.answer + q] = await question(p, port[i] ?? 5060, status);
            } finally {
              records[at + RECORD.ms + q] = performance.now() - asked;
            }
            records[at + RECORD.source + q] = sourceOf(status);
          }
        } catch (error) {
          records.fill(Number.NaN, at + RECORD.answer, at + RECORD.ms);
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
    const total = { ...answerer.counters(), ...counters(done) };
    return { workload, records, warm: warm ?? total, total, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, ...(firstError === undefined ? {} : { firstError }) };
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
