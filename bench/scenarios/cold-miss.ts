import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createPool, type RowDataPacket } from 'mysql2/promise';
import { ASKED_GROUP, addressTable, Population } from '../../demo/population.js';
import { addressRows, insertPeople } from '../../demo/setup.js';
import { createKamailioDatabase } from '../../test/helpers/kamailio-db.js';
import { ascending, median, percentile } from '../harness.js';
import { rate, ratio, us, type Scenario, type ScenarioResult, type TableRow, type TargetResult } from '../scenario.js';
import { library } from '../subject.js';

const CONCURRENCIES = [1, 16] as const;
/** SIP requests per contender and round at each concurrency: each asks about a person nobody asked before. */
const REQUESTS: Readonly<Record<(typeof CONCURRENCIES)[number], number>> = { 1: 600, 16: 3000 };
const DEFAULT_ROUNDS = 4;
/** Kernel clock ticks per second, for /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;

type Id = 'authring' | 'mysql';

/** One contender's run: per-request latencies and CPU (µs per request) of this process, mysqld and memcached. */
interface Run {
  readonly latenciesMs: Float64Array;
  readonly seconds: number;
  readonly nodeUs: number;
  readonly mysqldUs: number;
  readonly memcachedUs: number;
}

export const scenario: Scenario = {
  name: 'cold-miss',
  title: 'A cold SIP request: AuthCache on keys nobody asked against the queries Kamailio sends without a cache',
  defaultRounds: DEFAULT_ROUNDS,
  description:
    `The warm-up pass of issue 12's demo in one process: each SIP request asks about a person nobody asked before ` +
    `(a node's first pass over its users after a restart). authring: AuthCache.isUserInGroup, getCredentials and ` +
    `allowAddress (local tier off; the first two miss memcached, lease, query and store; the address check is answered ` +
    `from the node's copy of the table). mysql: the three queries Kamailio's group, auth_db and permissions modules send ` +
    `without a cache (the demo's no-cache phase, mysql2 pool of 10). At concurrency ${CONCURRENCIES.join(' and ')}, ` +
    `rounds alternating the order; CPU per request of this process, of mysqld and of the memcached servers ` +
    `(/proc/<pid>/stat), so the cost the database and the cache servers carry is counted too.`,
  async run({ servers, rounds, log }): Promise<ScenarioResult> {
    const people = CONCURRENCIES.reduce((sum, c) => sum + REQUESTS[c] * (rounds + 1) * 2, 0);
    const population = new Population(people, 0xc01d);
    const db = await createKamailioDatabase();
    await insertPeople(db, population, Array.from({ length: people }, (_, i) => i));
    for (const [sql, values] of addressRows(addressTable())) await db.query(sql, values);
    const sql = createPool({ uri: db.url, connectionLimit: 10, charset: 'utf8mb4' });
    const auth = await library.AuthCache.create({
      memcached: { servers, timeoutMs: 5000 },
      mysql: { uri: db.url },
      cache: { keyPrefix: `bench-cold-${Date.now()}:`, deadlineMs: 5000, cacheTimeoutMs: 5000 },
    });
    const services = { mysqld: [...pids('mariadbd'), ...pids('mysqld')], memcached: pids('memcached') };
    let next = 0;
    const fresh = (): ReturnType<Population['person']> => population.person(next++);
    const requests: Record<Id, () => Promise<unknown>> = {
      authring: async () => {
        const p = fresh();
        await auth.isUserInGroup(p.user, p.domain, ASKED_GROUP);
        await auth.getCredentials(p.user, p.domain);
        return auth.allowAddress(p.sourceIp, 1, 5060);
      },
      mysql: async () => {
        const p = fresh();
        await sql.query<RowDataPacket[]>('SELECT grp FROM grp WHERE username = ? AND domain = ? AND grp = ?', [p.user, p.domain, ASKED_GROUP]);
        await sql.query<RowDataPacket[]>('SELECT ha1, ha1b FROM subscriber WHERE username = ? AND domain = ?', [p.user, p.domain]);
        return sql.query<RowDataPacket[]>('SELECT grp, ip_addr, mask, port FROM address WHERE grp = ?', [1]);
      },
    };
    const runs = new Map<number, Record<Id, Run[]>>();
    try {
      // Connections open, the address table read, the JIT warm: one unmeasured round.
      for (const id of ['authring', 'mysql'] as const) await drive(requests[id], 16, REQUESTS[16], services);
      await auth.settled();
      for (const concurrency of CONCURRENCIES) {
        const byId: Record<Id, Run[]> = { authring: [], mysql: [] };
        for (let round = 0; round < rounds; round++) {
          for (const id of round % 2 === 0 ? (['authring', 'mysql'] as const) : (['mysql', 'authring'] as const)) {
            const run = await drive(requests[id], concurrency, REQUESTS[concurrency], services);
            // The stores behind the last answers land before the next run is measured.
            await auth.settled();
            byId[id].push(run);
            log(`  c=${concurrency} round ${round + 1} ${id.padEnd(8)} p50 ${us(percentile(ascending(run.latenciesMs), 0.5))}, CPU per request: node ${Math.round(run.nodeUs)} µs, mysqld ${Math.round(run.mysqldUs)} µs, memcached ${Math.round(run.memcachedUs)} µs`);
          }
        }
        runs.set(concurrency, byId);
      }
      const counters = auth.stats().cache;
      return summarize(runs, rounds, `AuthCache over the whole scenario: ${counters.loads.toLocaleString('en-US')} loads, ${counters.hits.toLocaleString('en-US')} hits, ${counters.coalesced} joined, ${counters.errors} errors.`);
    } finally {
      await auth.close();
      await sql.end();
      await db.drop();
    }
  },
};

/** Runs `count` requests, `concurrency` at a time; latencies and CPU per request. */
async function drive(request: () => Promise<unknown>, concurrency: number, count: number, services: Record<'mysqld' | 'memcached', number[]>): Promise<Run> {
  const latenciesMs = new Float64Array(count);
  let next = 0;
  const [cpu, mysqld, memcached, started] = [process.cpuUsage(), ticks(services.mysqld), ticks(services.memcached), performance.now()];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const asked = performance.now();
        await request();
        latenciesMs[i] = performance.now() - asked;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const perRequest = (t: number): number => (t * 1e6) / TICKS_PER_SECOND / count;
  return { latenciesMs, seconds, nodeUs: (used.user + used.system) / count, mysqldUs: perRequest(ticks(services.mysqld) - mysqld), memcachedUs: perRequest(ticks(services.memcached) - memcached) };
}

function summarize(runs: Map<number, Record<Id, Run[]>>, rounds: number, counters: string): ScenarioResult {
  const rows: TableRow[] = [];
  const targets: TargetResult[] = [];
  const notes: string[] = [counters];
  for (const [concurrency, byId] of runs) {
    const figures = (id: Id): { p50: number; p99: number; perSecond: number; node: number; mysqld: number; memcached: number } => {
      const all = byId[id];
      const latencies = ascending(all.flatMap((r) => Array.from(r.latenciesMs)));
      const med = (pick: (r: Run) => number): number => median(all.map(pick));
      return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), perSecond: med((r) => r.latenciesMs.length / r.seconds), node: med((r) => r.nodeUs), mysqld: med((r) => r.mysqldUs), memcached: med((r) => r.memcachedUs) };
    };
    const [a, m] = [figures('authring'), figures('mysql')];
    for (const [label, f] of [['authring (AuthCache, cold)', a], ['mysql2, the three queries', m]] as const) {
      rows.push([`c=${concurrency}`, label, us(f.p50), us(f.p99), rate(f.perSecond), `${Math.round(f.node)} µs`, `${Math.round(f.mysqld)} µs`, `${Math.round(f.memcached)} µs`, `${Math.round(f.node + f.mysqld + f.memcached)} µs`]);
    }
    const systemRatio = (a.node + a.mysqld + a.memcached) / (m.node + m.mysqld + m.memcached);
    notes.push(`c=${concurrency}: authring / mysql: p50 ${ratio(a.p50 / m.p50)}, p99 ${ratio(a.p99 / m.p99)}, requests/s ${ratio(a.perSecond / m.perSecond)}, CPU of all three processes ${ratio(systemRatio)} (medians of ${rounds} rounds).`);
    if (concurrency === 16) {
      targets.push({ name: 'cold SIP request: CPU of node, mysqld and memcached together, against the uncached queries (c=16)', criterion: 'ratio ≤ 1.00', measured: ratio(systemRatio), pass: systemRatio <= 1 });
    }
  }
  return {
    tables: [{ title: 'A cold SIP request (is_user_in, credentials, allow_address), per request', headers: ['', 'contender', 'p50', 'p99', 'requests/s', 'CPU node', 'CPU mysqld', 'CPU memcached', 'CPU all'], rows, textColumns: 2 }],
    targets,
    notes,
  };
}

/** The process ids of a program's running processes. */
function pids(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** User and system clock ticks the processes have used (0 for one that is gone). */
function ticks(pidList: readonly number[]): number {
  let sum = 0;
  for (const pid of pidList) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      sum += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Ended since it was listed.
    }
  }
  return sum;
}
