/**
 * One proxy node of the `lease-wait` scenario, a child process. It reads jobs (JSON lines) on
 * stdin, runs each job's lookups and prints one JSON line per job. The "database" is a loader that
 * sleeps for the key's load time, the same time whether the node asks it directly or through
 * authring, so the two modes differ only by what authring adds or saves.
 */
import { createInterface } from 'node:readline';
import { seededRandom } from '../../tools/random.js';
import { library } from '../subject.js';

const { MemcacheCluster, ReadThroughCache } = library;

/** What the scenario asks a node to do. */
export interface Job {
  readonly mode: 'direct' | 'authring';
  /** Key prefix of this round (a fresh one: the cache starts cold). */
  readonly prefix: string;
  /** The keys to look up, in order. */
  readonly keys: readonly string[];
  /** Query times: log-normal around `medianMs` (`sigma` 0: always `medianMs`), drawn per query. */
  readonly load: { readonly medianMs: number; readonly sigma: number; readonly seed: number };
  readonly concurrency: number;
  readonly deadlineMs: number;
}

/** What a node reports for one job. */
export interface JobResult {
  /** Latency in ms of every answered lookup, by where the answer came from (`direct` without authring). */
  readonly latencies: Record<string, number[]>;
  /** Failed lookups by error code. */
  readonly errors: Record<string, number>;
  /** Loads run (database queries). */
  readonly loads: number;
  /** The engine's counters (authring mode). */
  readonly counters?: Record<string, number>;
  /** memcached requests this node sent, and its CPU time (user + system), in ms. */
  readonly requests: number;
  readonly cpuMs: number;
}

const servers = JSON.parse(process.argv[2] ?? '[]') as string[];
const cluster = new MemcacheCluster({ servers });
await cluster.versions();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function run(job: Job): Promise<JobResult> {
  const requestsBefore = requests();
  const cpuBefore = process.cpuUsage();
  const cache = new ReadThroughCache(cluster, { deadlineMs: job.deadlineMs });
  const latencies: Record<string, number[]> = {};
  const errors: Record<string, number> = {};
  let loads = 0;
  let next = 0;
  const random = seededRandom(job.load.seed);
  const queryMs = (): number => {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return job.load.medianMs * Math.exp(job.load.sigma * normal);
  };
  const lookup = async (key: string): Promise<string> => {
    const load = async (): Promise<string> => {
      loads += 1;
      await sleep(queryMs());
      return `value of ${key}`;
    };
    if (job.mode === 'direct') return load();
    const status: import('../../src/index.js').LookupStatus = {};
    await cache.getOrLoad(`${job.prefix}${key}`, load, { status });
    return status.source ?? 'unknown';
  };
  const loop = async (): Promise<void> => {
    while (next < job.keys.length) {
      const key = job.keys[next++] ?? '';
      const started = performance.now();
      try {
        const source = await lookup(key);
        const kind = job.mode === 'direct' ? 'direct' : source;
        (latencies[kind] ??= []).push(performance.now() - started);
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'other';
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  // Lookups answer before their stores land: the round ends when those have landed too.
  await cache.settled();
  const cpu = process.cpuUsage(cpuBefore);
  return { latencies, errors, loads, counters: { ...cache.counters }, requests: requests() - requestsBefore, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function requests(): number {
  return cluster.stats().servers.reduce((sum, server) => sum + server.requests, 0);
}

console.log(JSON.stringify({ ready: true }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break;
  console.log(JSON.stringify(await run(JSON.parse(line) as Job)));
}
cluster.close();
