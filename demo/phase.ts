/**
 * Runs one phase: the proxy nodes (forked, tools/child-process.ts), the churn and, for the authring
 * phases, the change watcher (in this process, as `authring watch` runs beside the nodes). MariaDB's
 * own SELECT count is read before and after, as a check on the nodes' counts.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { ChangeWatcher, loadConfig } from '../src/index.js';
import { WorkerProcess } from '../tools/child-process.js';
import { openAuthCache, type Mode } from './answerers.js';
import { startChurn, type Change, type Churn } from './churn.js';
import type { NodeCounters, NodeInput, NodeResult } from './node.js';
import type { PhaseSetup } from './setup.js';


/** What a phase measured. */
export interface PhaseRun {
  readonly mode: Mode;
  /** Start time shared by all nodes (ms since the epoch) and the end of the last node. */
  readonly startAt: number;
  readonly endAt: number;
  readonly nodes: readonly NodeResult[];
  /** Each node's counters, every second from the start. */
  readonly series: readonly (readonly NodeCounters[])[];
  readonly changes: readonly Change[];
  /** SQL queries of the change watcher from start to end (authring phases). */
  readonly watcherQueries: number;
  /** SELECTs MariaDB counted (Com_select) from start to end, from every client. */
  readonly serverSelects: number;
}

/** Runs phase `mode`, telling `onProgress` the nodes' latest counters summed and the changes committed; every child has exited when it resolves. */
export async function runPhase(setup: PhaseSetup, mode: Mode, onProgress: (progress: { requests: number; sql: number; changes: number }) => void): Promise<PhaseRun> {
  const { db, ...shared } = setup;
  const series = Array.from({ length: setup.nodes }, (): NodeCounters[] => []);
  let churn: Churn | undefined;
  const latest = (field: 'requests' | 'sql'): number => series.reduce((sum, s) => sum + (s.at(-1)?.[field] ?? 0), 0);
  const nodes = series.map((counters, node) => {
    const child = new WorkerProcess(new URL('./node.ts', import.meta.url), { ...shared, mode, node } satisfies NodeInput);
    child.on<NodeCounters>('progress', (c) => (counters.push(c), onProgress({ requests: latest('requests'), sql: latest('sql'), changes: churn?.committed() ?? 0 })));
    return child;
  });
  const watcher = mode.startsWith('authring') ? await openAuthCache(await loadConfig(setup.configPath), mode, false) : undefined;
  let changeWatcher: ChangeWatcher | undefined;
  try {
    await Promise.all(nodes.map((child) => child.next('ready')));
    changeWatcher = watcher && (await ChangeWatcher.start(watcher.auth, { watcherId: `demo-${mode}` }));
    const selects = async (): Promise<number> => Number((await db.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Com_select'"))[0]?.['Value']);
    const [selectsBefore, watcherBefore] = [await selects(), watcher?.count() ?? 0];
    const startAt = Date.now() + 500;
    churn = await startChurn(setup, startAt);
    for (const child of nodes) child.send({ type: 'go', at: startAt });
    const results = await Promise.all(nodes.map((n) => n.next<NodeResult & { type: 'result' }>('result')));
    const endAt = Date.now();
    const watcherQueries = (watcher?.count() ?? 0) - watcherBefore;
    const [changes, serverSelects] = await Promise.all([churn.stop(), selects().then((n) => n - selectsBefore)]);
    return { mode, startAt, endAt, nodes: results, series, changes, watcherQueries, serverSelects };
  } finally {
    // Nodes exit after their result; after a failure they may wait for a `go` that never comes.
    await Promise.all(nodes.map((n) => n.exitsWithin(5000)));
    await churn?.stop().catch(() => undefined);
    await changeWatcher?.stop();
    if (watcher) { await watcher.auth.close(); await watcher.pool.end(); }
  }
}
