/**
 * Runs one phase: forks the proxy nodes and the churn process, starts them together, runs the
 * change watcher for the authring phases (in this process, as `authring watch` would run beside
 * the nodes), and collects what they measured. MariaDB's own SELECT count is read before and after,
 * as a check on the nodes' counts.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { ChangeWatcher, loadConfig } from '../src/index.js';
import { openAuthCache, type Mode } from './answerers.js';
import { Child } from './children.js';
import type { Change, ChurnInput } from './churn.js';
import type { NodeCounters, NodeInput, NodeResult } from './node.js';
import { connect, type MysqlLogin } from './setup.js';
import type { WorkloadSpec } from './workload.js';

/** What every phase shares. */
export interface PhaseSetup {
  readonly configPath: string;
  readonly login: MysqlLogin;
  readonly population: { readonly size: number; readonly seed: number };
  readonly nodes: number;
  /** Steady-state requests per node, after the warm-up pass. */
  readonly requests: number;
  /** Requests per second per node. */
  readonly rate: number;
  readonly concurrency: number;
  readonly zipf: number;
  readonly churn: number;
  readonly htableTtlS: number;
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
  const report = (): void => onProgress({ ...sum(latest), changes });
  const nodes = Array.from({ length: setup.nodes }, (_, node) => {
    const input: NodeInput = { mode, configPath: setup.configPath, population: setup.population, workload: workloadOf(setup, node), rate: setup.rate, concurrency: setup.concurrency, htableTtlS: setup.htableTtlS };
    return new Child<NodeResult>(new URL('./node.ts', import.meta.url), input, (p) => { latest[node] = p as NodeCounters; report(); });
  });
  const churnInput: ChurnInput = { login: setup.login, population: setup.population, rate: setup.churn, zipf: setup.zipf, seed: setup.seed ^ 0xc0ffee };
  const churn = new Child<Change[]>(new URL('./churn.ts', import.meta.url), churnInput, (n) => { changes = Number(n); report(); });
  const server = await connect(setup.login);
  const watcher = mode.startsWith('authring') ? await openAuthCache(await loadConfig(setup.configPath), mode) : undefined;
  let changeWatcher: ChangeWatcher | undefined;
  try {
    await Promise.all([...nodes, churn].map((child) => child.ready));
    changeWatcher = watcher && (await ChangeWatcher.start(watcher.auth, { watcherId: `demo-${mode}` }));
    const selects = async (): Promise<number> => Number((await server.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Com_select'"))[0][0]?.['Value']);
    const [selectsBefore, watcherBefore] = [await selects(), watcher?.count() ?? 0];
    const startAt = Date.now() + 500;
    for (const child of [...nodes, churn]) child.send({ go: startAt });
    const results = await Promise.all(nodes.map((n) => n.result));
    const endAt = Date.now();
    churn.send({ stop: true });
    const [watcherQueries, serverSelects] = [(watcher?.count() ?? 0) - watcherBefore, (await selects()) - selectsBefore];
    return { mode, startAt, endAt, nodes: results, changes: await churn.result, watcherQueries, serverSelects };
  } finally {
    await changeWatcher?.stop();
    await server.end();
    if (watcher) { await watcher.auth.close(); await watcher.pool.end(); }
  }
}

function sum(counters: readonly NodeCounters[]): NodeCounters {
  return counters.reduce((a, b) => ({ requests: a.requests + b.requests, sql: a.sql + b.sql, memcached: a.memcached + b.memcached }), { requests: 0, sql: 0, memcached: 0 });
}
