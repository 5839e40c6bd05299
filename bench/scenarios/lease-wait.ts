import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { permutation, seededRandom } from '../../tools/random.js';
import { ascending, percentile } from '../harness.js';
import type { Scenario, ScenarioResult, TableRow, TargetResult } from '../scenario.js';
import type { Job, JobResult } from './lease-wait-node.js';

const NODE_SCRIPT = fileURLToPath(new URL('./lease-wait-node.ts', import.meta.url));
const SEED = 0x1ea5e;

/** Every node asks the same cold keys at once, against a database whose query times vary as MySQL's do. */
const COLD = { nodes: 6, keys: 400, concurrency: 16, medianMs: 10, sigma: 0.6 };
/** The slow database: every node asks the same keys at once, each load takes 300 ms. */
const SLOW = { nodes: 4, keys: 40, loadMs: 300 };
const DEADLINE_MS = 500;

export const scenario: Scenario = {
  name: 'lease-wait',
  title: 'Waiting on another node’s load (leases)',
  defaultRounds: 3,
  description:
    `Proxy-node processes missing the same keys at once, against a "database" that is a loader sleeping for a query time ` +
    `(it costs no CPU, unlike MySQL: for the load authring takes off a real database, see the demo). Typical database: ` +
    `${COLD.nodes} nodes each ask the same ${COLD.keys} cold keys in their own order, ${COLD.concurrency} in flight, query ` +
    `times log-normal (median ${COLD.medianMs} ms, σ ${COLD.sigma}, drawn per query), once directly and once through ` +
    `authring, in alternating order per round: how long a node waiting on another node's load takes, against the leader's ` +
    `own load. Slow database: ${SLOW.nodes} nodes ask the same ${SLOW.keys} keys at once, each load takes ${SLOW.loadMs} ms, ` +
    `deadline ${DEADLINE_MS} ms.`,
  async run({ servers, rounds, log }): Promise<ScenarioResult> {
    const nodes = await Promise.all(Array.from({ length: Math.max(COLD.nodes, SLOW.nodes) }, () => NodeProcess.start(servers)));
    try {
      const cold = { direct: [] as JobResult[], authring: [] as JobResult[] };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['direct', 'authring'] as const) : (['authring', 'direct'] as const);
        for (const mode of order) {
          const prefix = `lw:${process.pid}:${Date.now()}:`;
          const results = await Promise.all(nodes.slice(0, COLD.nodes).map((node, n) => node.run(coldJob(mode, prefix, round, n))));
          cold[mode].push(...results);
          log(`  round ${round + 1}, ${mode}: ${summary(merge(results))}, ${sum(results, 'requests')} memcached requests, ${sum(results, 'cpuMs').toFixed(0)} ms CPU in the nodes`);
        }
      }
      const slow: JobResult[] = [];
      for (let round = 0; round < rounds; round++) {
        const prefix = `lws:${process.pid}:${Date.now()}:`;
        const results = await Promise.all(nodes.slice(0, SLOW.nodes).map((node, n) => node.run(slowJob(prefix, round, n))));
        slow.push(...results);
        log(`  slow database, round ${round + 1}: ${summary(merge(results))}`);
        log(`    counters: ${results.map((r) => JSON.stringify(r.counters)).join(' ')}`);
      }
      return report(merge(cold.direct), merge(cold.authring), merge(slow), rounds);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  },
};

function coldJob(mode: Job['mode'], prefix: string, round: number, node: number): Job {
  const keys = [...permutation(COLD.keys, seededRandom(SEED + round * 101 + node))].map((i) => `k${i}`);
  const load = { medianMs: COLD.medianMs, sigma: COLD.sigma, seed: SEED + round * 31 + node };
  return { mode, prefix, keys, load, concurrency: COLD.concurrency, deadlineMs: DEADLINE_MS };
}

function slowJob(prefix: string, round: number, node: number): Job {
  const order = permutation(SLOW.keys, seededRandom(SEED + 7 + round * 13 + node));
  const keys = [...order].map((i) => `s${i}`);
  const load = { medianMs: SLOW.loadMs, sigma: 0, seed: 0 };
  return { mode: 'authring', prefix, keys, load, concurrency: SLOW.keys, deadlineMs: DEADLINE_MS };
}

interface Merged {
  readonly bySource: Map<string, Float64Array>;
  readonly all: Float64Array;
  readonly errors: Record<string, number>;
  readonly loads: number;
}

function merge(results: readonly JobResult[]): Merged {
  const bySource = new Map<string, number[]>();
  const errors: Record<string, number> = {};
  let loads = 0;
  for (const result of results) {
    for (const [source, values] of Object.entries(result.latencies)) bySource.set(source, [...(bySource.get(source) ?? []), ...values]);
    for (const [code, count] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + count;
    loads += result.loads;
  }
  return {
    bySource: new Map([...bySource].map(([source, values]) => [source, ascending(values)])),
    all: ascending([...bySource.values()].flat()),
    errors,
    loads,
  };
}

function sum(results: readonly JobResult[], field: 'requests' | 'cpuMs'): number {
  return results.reduce((total, r) => total + r[field], 0);
}

function failures(m: Merged): number {
  return Object.values(m.errors).reduce((a, b) => a + b, 0);
}

function summary(m: Merged): string {
  return `${m.all.length} answered, ${failures(m)} failed, ${m.loads} loads, p50 ${percentile(m.all, 0.5).toFixed(1)} ms, p99 ${percentile(m.all, 0.99).toFixed(1)} ms`;
}

function row(label: string, latencies: Float64Array | undefined, extra: readonly string[]): TableRow {
  const l = latencies ?? new Float64Array();
  const ms = (q: number): string => (l.length === 0 ? '–' : percentile(l, q).toFixed(1));
  return [label, l.length.toLocaleString('en-US'), ms(0.5), ms(0.99), ms(1), ...extra];
}

function report(direct: Merged, authring: Merged, slow: Merged, rounds: number): ScenarioResult {
  const errorText = (m: Merged): string => Object.entries(m.errors).map(([code, n]) => `${code} ${n}`).join(', ') || '0';
  const sources = ['cache', 'lease', 'peer', 'source'];
  const headers = ['lookups', 'answered', 'p50 ms', 'p99 ms', 'max ms', 'failed', 'loads'];
  const cold = [
    row('without authring (direct queries)', direct.all, [errorText(direct), direct.loads.toLocaleString('en-US')]),
    row('with authring, all lookups', authring.all, [errorText(authring), authring.loads.toLocaleString('en-US')]),
    ...sources.map((s) => row(`  answered from ${s}`, authring.bySource.get(s), ['', ''])),
  ];
  const slowRows = [
    row('all lookups', slow.all, [errorText(slow), slow.loads.toLocaleString('en-US')]),
    ...sources.map((s) => row(`  answered from ${s}`, slow.bySource.get(s), ['', ''])),
  ];
  // Waiting on another node's lease (joining a load in the same process is `peer`, shown apart).
  const p99Lease = percentile(authring.bySource.get('lease') ?? new Float64Array([NaN]), 0.99);
  const p99Leader = percentile(authring.bySource.get('source') ?? new Float64Array([NaN]), 0.99);
  const targets: TargetResult[] = [
    {
      name: 'lease-wait: waiting on another node’s load costs no more than loading (p99, typical database)',
      criterion: 'lease p99 / leader p99 ≤ 1.00',
      measured: (p99Lease / p99Leader).toFixed(2),
      pass: p99Lease <= p99Leader,
    },
    {
      name: 'lease-wait: slow database, one load per key and no failed lookup',
      criterion: `${SLOW.keys * rounds} loads, 0 failed`,
      measured: `${slow.loads} loads, ${failures(slow)} failed`,
      pass: slow.loads === SLOW.keys * rounds && failures(slow) === 0,
    },
  ];
  return {
    tables: [
      { title: `Typical database, ${COLD.nodes} nodes × the same ${COLD.keys} cold keys, ${rounds} rounds pooled`, headers, rows: cold },
      { title: `Slow database (${SLOW.loadMs} ms loads, ${DEADLINE_MS} ms deadline), ${SLOW.nodes} nodes × ${SLOW.keys} keys, ${rounds} rounds`, headers, rows: slowRows },
    ],
    targets,
    notes: [
      'A node finding another node’s lease waits for its result (first read after three quarters of the leader’s expected ' +
        'load time, then reads spaced by a quarter of the lease’s age): "answered from lease"; "peer" joined a lookup of the ' +
        'same key in its own process. "source" are the leaders’ own loads, which add a read and a lease (one write, for a ' +
        'key the node never asked) and a compare-and-swap store sent behind the answer to the query time. The database here costs no CPU, so the ' +
        'direct queries pay nothing for the work a real database does; the demo measures that part.',
    ],
  };
}

/** A child node process, driven by JSON lines. */
class NodeProcess {
  private readonly pending: Array<(line: string) => void> = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.pending.shift()?.(line));
  }

  static async start(servers: readonly string[]): Promise<NodeProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', NODE_SCRIPT, JSON.stringify(servers)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const node = new NodeProcess(child);
    await node.next();
    return node;
  }

  async run(job: Job): Promise<JobResult> {
    const reply = this.next();
    this.child.stdin?.write(`${JSON.stringify(job)}\n`);
    return JSON.parse(await reply) as JobResult;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end('exit\n');
    await exited;
  }

  private next(): Promise<string> {
    return new Promise((resolve) => this.pending.push(resolve));
  }
}
