import { Population } from '../../demo/population.js';
import { runPhase } from '../../demo/phase.js';
import { createDemoDatabase, writeConfig, type PhaseSetup } from '../../demo/setup.js';
import type { Mode } from '../../demo/answerers.js';
import type { Scenario, ScenarioResult, TableRow } from '../scenario.js';

const NODES = [1, 2, 4, 8] as const;
const MODES: readonly Mode[] = ['no-cache', 'htable', 'authring'];
const SUBSCRIBERS = 600;
/** The whole cluster's traffic, split evenly over the nodes. */
const RATE = 200;
const STEADY_REQUESTS = 1600;
const SEED = 0x10ad;

export const scenario: Scenario = {
  name: 'mysql-load',
  title: 'MySQL load as proxy nodes are added',
  defaultRounds: 1,
  description:
    `The demo's workload (demo/), one fixed total of traffic spread over 1 to 8 proxy-node processes: ${RATE} SIP requests/s ` +
    `in all (each asking is_user_in, credentials and allow_address), ${SUBSCRIBERS.toLocaleString('en-US')} subscribers, a warm-up ` +
    `pass over everyone then ${STEADY_REQUESTS.toLocaleString('en-US')} Zipf-skewed requests, with the demo's provisioning churn ` +
    `(5 changes/s). SQL queries per second the nodes sent to MySQL, over the whole run and in the steady state after the warm-up ` +
    `pass: without a cache, with a per-node htable (autoexpire 10 s), and with authring (whose change watcher adds its own ` +
    `polls, about 10/s, shown apart), on a throwaway database made as the demo makes its own.`,
  async run({ servers, log }): Promise<ScenarioResult> {
    const population = new Population(SUBSCRIBERS, SEED);
    const db = await createDemoDatabase(population, () => undefined);
    const configPath = await writeConfig(db, servers, 'mysql-load');
    const rows: TableRow[] = [];
    const points: { nodes: number; phase: string; value: number }[] = [];
    try {
      for (const nodes of NODES) {
        const setup: PhaseSetup = {
          configPath,
          db,
          population: { size: SUBSCRIBERS, seed: SEED },
          nodes,
          requests: Math.ceil(STEADY_REQUESTS / nodes),
          rate: RATE / nodes,
          concurrency: 16,
          zipf: 1,
          churn: 5,
          htableTtl: 10,
        };
        const row = [String(nodes)];
        for (const mode of MODES) {
          const run = await runPhase(setup, mode, () => undefined);
          const seconds = (run.endAt - run.startAt) / 1000;
          const warmEnd = Math.max(...run.nodes.map((n) => n.warm.requests)) / setup.rate;
          const sql = run.nodes.reduce((sum, n) => sum + n.total.sql, 0);
          const steady = run.nodes.reduce((sum, n) => sum + n.total.sql - n.warm.sql, 0);
          const [whole, steadyRate] = [sql / seconds, steady / Math.max(1, seconds - warmEnd)];
          row.push(whole.toFixed(0), steadyRate.toFixed(1));
          if (mode === 'authring') row.push((run.watcherQueries / seconds).toFixed(1));
          points.push({ nodes, phase: `${mode}, steady state`, value: steadyRate });
          log(`  ${nodes} node(s), ${mode}: ${whole.toFixed(0)} SQL queries/s over ${seconds.toFixed(1)} s, ${steadyRate.toFixed(1)}/s in the steady state`);
        }
        rows.push(row);
      }
    } finally {
      await db.drop();
    }
    return {
      tables: [{ title: `SQL queries per second reaching MySQL, ${RATE} SIP requests/s in all`, headers: ['Proxy nodes', 'no cache: run', 'steady', 'htable: run', 'steady', 'authring: run', 'steady', 'watcher polls'], rows }],
      charts: [{ name: 'mysql-load', spec: { title: `Steady-state SQL queries/s at ${RATE} SIP requests/s in all (log scale)`, width: 420, height: 240, data: { values: points }, mark: { type: 'line', point: true }, encoding: { x: { field: 'nodes', type: 'quantitative', title: 'proxy nodes', scale: { type: 'log', base: 2 }, axis: { values: [...NODES] } }, y: { field: 'value', type: 'quantitative', title: 'SQL queries / s', scale: { type: 'symlog' } }, color: { field: 'phase', type: 'nominal', sort: null, title: null, scale: { range: ['#9e9e9e', '#e6862e', '#2f7ed8'] } } } } }],
      targets: [],
      notes: [
        'Without a cache MySQL answers every question whatever the node count. Each htable node keeps its own copy, so every ' +
          'node loads every hot key itself (and again after each autoexpire): its load grows with the nodes. authring loads each ' +
          'key once for the whole cluster, and again only after a change invalidates it.',
      ],
    };
  },
};
