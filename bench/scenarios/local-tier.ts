import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LocalTier } from '../../src/cache/local/local-tier.js';
import { groupQuestion } from '../../src/auth/local-answers.js';
import { createKamailioDatabase, type KamailioDatabase } from '../../test/helpers/kamailio-db.js';
import { LocalNodes } from '../../test/invalidation/local-nodes.js';
import { writeClusterFile } from '../../test/helpers/cluster-file.js';
import { memjsClient, preload } from '../clients.js';
import { interleave, percentile, pool, type Contender, type Measurement } from '../harness.js';
import { rate, ratio, us, type Scenario, type ScenarioResult, type TableRow, type TargetResult } from '../scenario.js';
import { library } from '../subject.js';

const USERS = 1000;
const GROUP = 'bench';
const DEFAULT_ROUNDS = 8;
const SLICE_MS = 250;
const CONCURRENCIES = [1, 64] as const;
/** Node processes following the feed while rows change. */
const NODES = 4;
/** Rows deleted one by one, each timed from commit to every node answering anew. */
const CHANGES = 40;
const HEAP_ENTRIES = 100_000;
/** Seconds an idle node's memcached and MySQL traffic is counted over. */
const IDLE_S = 5;

type Id = 'local' | 'memcached' | 'memjs';

export const scenario: Scenario = {
  name: 'local-tier',
  title: 'Local tier: answers from process memory, kept coherent through the feed in memcached',
  defaultRounds: DEFAULT_ROUNDS,
  description:
    `AuthCache.isUserInGroup answered from its local tier (cache.local.enabled, proven current by a running change ` +
    `watcher) against the same question answered from memcached (local tier off) and a raw memjs get of a preloaded key, ` +
    `at concurrency ${CONCURRENCIES.join(' and ')}, ${USERS.toLocaleString('en-US')} users asked in turn, interleaved ` +
    `${SLICE_MS} ms slices pooled. Then: the heap ${HEAP_ENTRIES.toLocaleString('en-US')} local entries take (a LocalTier ` +
    `filled with group answers, heap measured after a forced GC); the time from a DELETE FROM grp's commit to every one ` +
    `of ${NODES} node processes (ProxyNode from a cluster file with cache.local.enabled) answering anew, ${CHANGES} changes ` +
    `with one change watcher polling every 100 ms (its default); and what one idle node costs memcached and MySQL per ` +
    `second over ${IDLE_S} s.`,
  async run({ servers, rounds, log }): Promise<ScenarioResult> {
    const db = await createKamailioDatabase();
    const prefix = `bench-local-${Date.now()}:`;
    const values = Array.from({ length: USERS }, (_, i) => `('bench-user-${i}', 'example.com', '${GROUP}')`);
    await db.query(`INSERT INTO grp (username, domain, grp) VALUES ${values.join(', ')}`);
    const memcached = { servers, timeoutMs: 5000 };
    const cache = { keyPrefix: prefix, deadlineMs: 5000, cacheTimeoutMs: 5000 };
    const writer = await library.AuthCache.create({ memcached, mysql: { uri: db.url }, cache });
    await library.installTriggers(writer.database);
    const watcher = await library.ChangeWatcher.start(writer, { watcherId: 'bench-local' });
    const local = await library.AuthCache.create({ memcached, mysql: { uri: db.url }, cache, local: { enabled: true } });
    const remote = await library.AuthCache.create({ memcached, mysql: { uri: db.url }, cache });
    const memjs = memjsClient(servers);
    const notes: string[] = [];
    try {
      const user = (i: number): string => `bench-user-${i % USERS}`;
      await until(() => local.local?.tier.current === true, 'the local tier proven by the watcher');
      for (let i = 0; i < USERS; i++) if (!(await local.isUserInGroup(user(i), 'example.com', GROUP))) throw new Error(`${user(i)} is not in ${GROUP}`);
      for (let i = 0; i < USERS; i++) await remote.isUserInGroup(user(i), 'example.com', GROUP);
      const keys = await preload(memjs, 'local-memjs', USERS, 1);
      const contenders: Contender<Id>[] = [
        { id: 'local', label: 'AuthCache.isUserInGroup, local tier hit', operation: (i) => local.isUserInGroup(user(i), 'example.com', GROUP) },
        { id: 'memcached', label: 'AuthCache.isUserInGroup, memcached hit (local off)', operation: (i) => remote.isUserInGroup(user(i), 'example.com', GROUP) },
        { id: 'memjs', label: 'raw memjs get', operation: (i) => memjs.get(keys[i % USERS] ?? '') },
      ];
      const results = new Map<number, Map<Id, Measurement[]>>();
      for (const concurrency of CONCURRENCIES) {
        results.set(concurrency, await interleave(contenders, { concurrency, rounds, warmup: { ops: 20_000, maxMs: 300 }, sliceWarmup: { ops: Math.max(20, concurrency * 2), maxMs: 30 }, slice: { ops: 200_000, maxMs: SLICE_MS }, pauseMs: 10 }));
        for (const c of contenders) {
          const m = pool(results.get(concurrency)?.get(c.id) ?? []);
          log(`  c=${String(concurrency).padEnd(3)} ${c.label.padEnd(52)} p50 ${us(m.p50Ms).padStart(9)}  ${rate(m.opsPerSec).padStart(9)} ops/s`);
        }
      }
      const bypasses = local.localStats()?.bypasses;
      notes.push(`Local tier during the throughput runs: ${JSON.stringify(local.localStats() ?? {}, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}.`);
      const heap = heapPerEntries(HEAP_ENTRIES);
      log(`  heap: ${Math.round(heap.heapBytes / HEAP_ENTRIES)} B per entry (accounted ${Math.round(heap.accountedBytes / HEAP_ENTRIES)} B)`);
      const idle = await idleCost(local, IDLE_S);
      log(`  idle node: ${idle.getMultiPerSec.toFixed(1)} feed reads/s, ${idle.requestsPerSec.toFixed(1)} memcached requests/s, ${idle.mysqlPerSec} MySQL queries/s`);
      const delays = await propagation(db, servers, prefix, log);
      return summarize(contenders, results, rounds, heap, idle, delays, notes, bypasses);
    } finally {
      await watcher.stop();
      await library.removeTriggers(writer.database).catch(() => undefined);
      await Promise.all([writer.close(), local.close(), remote.close()]);
      memjs.close();
      await db.drop();
    }
  },
};

/** Resolves once `condition` holds (checked every 10 ms), or throws after 30 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const giveUp = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Heap taken by a LocalTier holding `count` group answers (keys and questions as AuthCache makes them). */
function heapPerEntries(count: number): { heapBytes: number; accountedBytes: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const tier = new LocalTier<boolean>({ maxEntries: count, maxBytes: 2 ** 40, boundMs: 1000 });
  tier.useGeneration(1n);
  tier.prove(performance.now() + 60_000);
  for (let i = 0; i < count; i++) {
    const user = `sub${String(i).padStart(6, '0')}`;
    tier.set(groupQuestion(user, 'example.com', 'ipauth'), `authring:grp:${user.toUpperCase()}:IPAUTH`, 1n, true, 1, tier.ticket());
  }
  gc();
  const heapBytes = process.memoryUsage().heapUsed - before;
  if (tier.size !== count) throw new Error(`the tier holds ${tier.size}, not ${count}`);
  return { heapBytes, accountedBytes: tier.bytes };
}

/** What an idle node with the local tier asks of memcached and MySQL per second. */
async function idleCost(auth: Awaited<ReturnType<typeof library.AuthCache.create>>, seconds: number): Promise<{ getMultiPerSec: number; requestsPerSec: number; mysqlPerSec: number }> {
  const requests = (): number => auth.cluster.stats().servers.reduce((n, s) => n + Number(s.requests), 0);
  const mysql = (): number => auth.stats().cache.loads + auth.stats().names.weightQueries;
  let polls = 0;
  const count = (): void => void (polls += 1);
  auth.local?.follower.on('polled', count);
  const [r0, q0, t0] = [requests(), mysql(), performance.now()];
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  auth.local?.follower.off('polled', count);
  return { getMultiPerSec: polls / elapsed, requestsPerSec: (requests() - r0) / elapsed, mysqlPerSec: (mysql() - q0) / elapsed };
}

/** Milliseconds from each DELETE's commit to every node process answering anew. */
async function propagation(db: KamailioDatabase, servers: readonly string[], prefix: string, log: (line: string) => void): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'authring-bench-local-'));
  const config = writeClusterFile(join(dir, 'authring.yaml'), { servers, dbUrl: db.url, keyPrefix: prefix, cache: ['lookup_deadline_ms: 5000', 'local: { enabled: true }'] });
  const questions = Array.from({ length: CHANGES }, (_, i) => ({ kind: 'group' as const, user: `bench-user-${i}`, domain: 'example.com', group: GROUP }));
  // Asking every 10 ms, not as fast as possible: four spinning nodes would starve the two cores the
  // watcher and memcached share, and the delay measured would be the starvation.
  const nodes = await LocalNodes.start(NODES, config, questions, 10, 300_000);
  const delays: number[] = [];
  try {
    for (let q = 0; q < CHANGES; q++) {
      await db.query('DELETE FROM grp WHERE username = ? AND grp = ?', [`bench-user-${q}`, GROUP]);
      const committed = Date.now();
      delays.push(...(await nodes.waitForAnswer(q, (answer) => answer === 'false', undefined, committed, 10_000)));
    }
    log(`  propagation to ${NODES} nodes: p50 ${percentileOf(delays, 0.5)} ms, p99 ${percentileOf(delays, 0.99)} ms, max ${Math.max(...delays)} ms`);
    return delays;
  } finally {
    await nodes.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentileOf(values: readonly number[], q: number): number {
  return percentile(Float64Array.from(values).sort(), q);
}

function summarize(
  contenders: readonly Contender<Id>[],
  results: Map<number, Map<Id, Measurement[]>>,
  rounds: number,
  heap: { heapBytes: number; accountedBytes: number },
  idle: { getMultiPerSec: number; requestsPerSec: number; mysqlPerSec: number },
  delays: readonly number[],
  notes: string[],
  bypasses: unknown,
): ScenarioResult {
  const rows: TableRow[] = [];
  const of = (concurrency: number, id: Id): Measurement => pool(results.get(concurrency)?.get(id) ?? []);
  for (const concurrency of CONCURRENCIES) {
    const memjs = of(concurrency, 'memjs');
    for (const c of contenders) {
      const m = of(concurrency, c.id);
      rows.push([String(concurrency), c.label, us(m.p50Ms), us(m.p99Ms), rate(m.opsPerSec), `${m.cpuUsPerOp.toFixed(2)} µs`, ratio(m.opsPerSec / memjs.opsPerSec), ratio(m.p50Ms / memjs.p50Ms)]);
    }
  }
  const throughput = of(64, 'local').opsPerSec / of(64, 'memjs').opsPerSec;
  const p50 = of(1, 'local').p50Ms / of(1, 'memjs').p50Ms;
  const [p50Ms, p99Ms, maxMs] = [percentileOf(delays, 0.5), percentileOf(delays, 0.99), Math.max(...delays)];
  const targets: TargetResult[] = [
    { name: 'local-tier hit throughput vs raw memjs get (c=64)', criterion: '≥ 10x', measured: ratio(throughput), pass: throughput >= 10 },
    { name: 'local-tier hit p50 vs raw memjs get (c=1)', criterion: '≤ 0.1x', measured: ratio(p50), pass: p50 <= 0.1 },
    { name: `invalidation propagation p99 (${NODES} node processes)`, criterion: '≤ 250 ms', measured: `${p99Ms} ms`, pass: p99Ms <= 250 },
    { name: `invalidation propagation max (${NODES} node processes)`, criterion: '≤ 1000 ms', measured: `${maxMs} ms`, pass: maxMs <= 1000 },
  ];
  notes.push(
    `Heap per ${HEAP_ENTRIES.toLocaleString('en-US')} local entries: ${(heap.heapBytes / 1048576).toFixed(1)} MiB ` +
      `(${Math.round(heap.heapBytes / HEAP_ENTRIES)} B per entry; the tier accounts ${Math.round(heap.accountedBytes / HEAP_ENTRIES)} B per entry against cache.local.max_bytes).`,
    `Invalidation propagation, DELETE FROM grp commit to every one of ${NODES} node processes answering anew (${delays.length} samples): ` +
      `p50 ${p50Ms} ms, p99 ${p99Ms} ms, max ${maxMs} ms.`,
    `Cost of one idle node's local tier: ${idle.getMultiPerSec.toFixed(1)} feed reads (multi-gets) per second, ` +
      `${idle.requestsPerSec.toFixed(1)} memcached requests per second over all servers, ${idle.mysqlPerSec.toFixed(1)} MySQL queries per second. ` +
      `The watcher's share does not grow with nodes: per poll one change-log SELECT, and for the feed one incr and two sets.`,
    `Bypasses counted by the measured node: ${JSON.stringify(bypasses)}.`,
  );
  return {
    tables: [{ title: `Group lookup, ${rounds} interleaved rounds pooled`, textColumns: 2, headers: ['Concurrency', 'Contender', 'p50', 'p99', 'ops/s', 'CPU/op', 'ops/s vs memjs', 'p50 vs memjs'], rows }],
    targets,
    notes,
  };
}
