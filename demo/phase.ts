/**
 * Runs one phase: forks the proxy nodes and the churn process (tools/child-process.ts), starts them
 * together, runs the change watcher for the authring phases (in this process, as `authring watch`
 * would run beside the nodes), and collects what they measured. MariaDB's own SELECT count is read
 * before and after, as a check on the nodes' counts.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { ChangeWatcher, loadConfig } from '../src/index.js';
import type { KamailioDatabase } from '../test/helpers/kamailio-db.js';
import { WorkerProcess } from '../tools/child-process.js';
import { openAuthCache, type Mode } from './answerers.js';
import type { Change, ChurnInput } from './churn.js';
import type { NodeCounters, NodeInput, NodeResult } from './node.js';
import type { DemoOptions } from './options.js';
import type { WorkloadSpec } from './workload.js';

/** What every phase shares: the sizes and rates of the command line, the database and the config file. */
export interface PhaseSetup extends Pick<DemoOptions, 'nodes' | 'requests' | 'rate' | 'concurrency' | 'zipf' | 'churn' | 'htableTtl'> {
  readonly configPath: string;
  readonly db: KamailioDatabase;
  readonly population: { readonly size: number; readonly seed: number };
  readonly seed: number;
}

/** What a phase measured. */
export interface PhaseRun {
  readonly mode: Mode;
  /** Start time shared by all nodes (ms since the epoch) and the end of the last node. */
  readonly startAt: number;
  readonly endAt: number;
  readonly nodes: readonly NodeResult[];
  readonly changes: readonly Change[];
  /** SQL queries of the change watcher from start to end (authring phases). */
  readonly watcherQueries: number;
  /** SELECTs MariaDB counted (Com_select) from start to end, from every client. */
  readonly serverSelects: number;
}

/** A phase's progress: all nodes' counters summed, and the changes committed. */
export type PhaseProgress = NodeCounters & { readonly changes: number };

/** The spec of node `node`'s workload. */
export function workloadOf(setup: PhaseSetup, node: number): WorkloadSpec {
  return { node, nodes: setup.nodes, requests: setup.requests, zipf: setup.zipf, seed: setup.seed };
}

/** Runs phase `mode`; every child has exited when it resolves. */
export async function runPhase(setup: PhaseSetup, mode: Mode, onProgress: (progress: PhaseProgress) => void): Promise<PhaseRun> {
  const latest: NodeCounters[] = [];
  let changes = 0;
  const report = (): void => onProgress({ ...latest.reduce((a, b) => ({ requests: a.requests + b.requests, sql: a.sql + b.sql, memcached: a.memcached + b.memcached }), { requests: 0, sql: 0, memcached: 0 }), changes });
  const nodes = Array.from({ length: setup.nodes }, (_, node) => {
    const input: NodeInput = { mode, configPath: setup.configPath, population: setup.population, workload: workloadOf(setup, node), rate: setup.rate, concurrency: setup.concurrency, htableTtlS: setup.htableTtl };
    const child = new WorkerProcess(new URL('./node.ts', import.meta.url), input);
    child.on<NodeCounters & { type: 'progress' }>('progress', (p) => ((latest[node] = p), report()));
    return child;
  });
  const churnInput: ChurnInput = { url: setup.db.url, population: setup.population, rate: setup.churn, zipf: setup.zipf, seed: setup.seed ^ 0xc0ffee };
  const churn = new WorkerProcess(new URL('./churn.ts', import.meta.url), churnInput);
  churn.on<{ type: 'progress'; changes: number }>('progress', (p) => ((changes = p.changes), report()));
  const watcher = mode.startsWith('authring') ? await openAuthCache(await loadConfig(setup.configPath), mode, false) : undefined;
  let changeWatcher: ChangeWatcher | undefined;
  try {
    await Promise.all([...nodes, churn].map((child) => child.next('ready')));
    changeWatcher = watcher && (await ChangeWatcher.start(watcher.auth, { watcherId: `demo-${mode}` }));
    const selects = async (): Promise<number> => Number((await setup.db.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Com_select'"))[0]?.['Value']);
    const [selectsBefore, watcherBefore] = [await selects(), watcher?.count() ?? 0];
    const startAt = Date.now() + 500;
    for (const child of [...nodes, churn]) child.send({ type: 'go', at: startAt });
    const results = await Promise.all(nodes.map((n) => n.next<NodeResult & { type: 'result' }>('result')));
    const endAt = Date.now();
    churn.send({ type: 'stop' });
    const [watcherQueries, serverSelects] = [(watcher?.count() ?? 0) - watcherBefore, (await selects()) - selectsBefore];
    const { changes: committed } = await churn.next<{ type: 'result'; changes: Change[] }>('result');
    return { mode, startAt, endAt, nodes: results, changes: committed, watcherQueries, serverSelects };
  } finally {
    await changeWatcher?.stop();
    if (watcher) { await watcher.auth.close(); await watcher.pool.end(); }
  }
}
