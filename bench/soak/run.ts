/**
 * The soak: `npm run soak -- [--lookups N] [--nodes K] [--concurrency C] [--users U] [--churn-ms MS]
 * [--sample-ms MS] [--json] [--write-docs]`. Runs N lookups (10 million by default) across K
 * proxy-node processes on three memcached servers and MariaDB while provisioning changes land in
 * MySQL and a change watcher applies them, samples every node's heap, RSS, descriptors, sockets
 * and timers, and reports whether they stayed flat (first against last decile). Then it checks
 * that every answer about a changed user is MySQL's, and that each node, closed, leaves nothing
 * open and exits by itself. `--write-docs` writes the figures into docs/reliability.md ("Soak").
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { installTriggers } from '../../src/invalidation/triggers.js';
import { removeOnExit } from '../../test/helpers/exit-cleanup.js';
import { writeClusterFile } from '../../test/helpers/cluster-file.js';
import { MemcachedProcess } from '../../test/helpers/services.js';
import { textCommand } from '../../test/helpers/text-protocol.js';
import { WorkerProcess } from '../../tools/child-process.js';
import { seededRandom } from '../../tools/random.js';
import { flatness, sumOver } from './flatness.js';
import type { NodeConfig, Sample } from './node.js';
import { Churn, createPopulation } from './population.js';
import { markdownSection, textReport, type SoakResult } from './report.js';

const { values } = parseArgs({
  options: {
    lookups: { type: 'string', default: '10000000' },
    nodes: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    users: { type: 'string', default: '50000' },
    'churn-ms': { type: 'string', default: '100' },
    'sample-ms': { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
  },
});
const count = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${String(values[name])}`);
  return n;
};
const options = {
  lookups: count('lookups'),
  nodes: count('nodes'),
  concurrency: count('concurrency'),
  users: count('users'),
  churnMs: count('churn-ms'),
  sampleMs: count('sample-ms'),
};
const log = (text: string): void => void process.stderr.write(`soak: ${text}\n`);

log(`setting up: ${options.users} users, 3 memcached servers, ${options.nodes} nodes`);
const memcached = [await MemcachedProcess.start(), await MemcachedProcess.start(), await MemcachedProcess.start()];
const db = await createPopulation(options.users);
// Interrupted (a long run): drop the database too; the exit hooks stop the children.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void db.drop().finally(() => process.exit(130));
  });
}
const admin = await mysql.createConnection({ uri: db.url });
const dir = mkdtempSync(path.join(os.tmpdir(), 'authring-soak-'));
removeOnExit(dir);
// The nodes inherit this process's environment, and with it the password.
const configPath = writeClusterFile(path.join(dir, 'authring.yaml'), { servers: memcached.map((m) => m.address), dbUrl: db.url, keyPrefix: 'soak:' });
const setup = await AuthCache.create({ memcached: { servers: memcached.map((m) => m.address) }, mysql: { uri: db.url }, cache: { keyPrefix: 'soak:' } });
await installTriggers(setup.database);
await setup.close();

const perNode = Math.ceil(options.lookups / options.nodes);
const nodes = Array.from({ length: options.nodes }, (_, id) => {
  const config: NodeConfig = { id, configPath, mysqlUrl: db.url, lookups: perNode, concurrency: options.concurrency, users: options.users, sampleMs: options.sampleMs, watcher: id === 0 };
  const samples: Sample[] = [];
  const node = Object.assign(new WorkerProcess(new URL('./node.ts', import.meta.url), config, ['--expose-gc']), { samples });
  node.on<Sample>('sample', (sample) => samples.push(sample));
  return node;
});
await Promise.all(nodes.map((n) => n.next('ready')));
log(`${options.nodes} nodes ready; ${perNode * options.nodes} lookups, a provisioning change every ${options.churnMs} ms`);
for (const n of nodes) n.send({ type: 'go' });

// Provisioning churn and server-side samples until every node has done its share.
const churn = new Churn(db, options.users, seededRandom(7));
const serverSamples: Array<{ t: number; memcachedConnections: number; mysqlConnections: number }> = [];
const started = performance.now();
let finished = false;
interface Finished {
  readonly done: number;
  readonly errors: Record<string, number>;
  readonly counters: Record<string, number>;
}
const all = Promise.all(nodes.map((n) => n.next<Finished>('finished'))).then((lines) => ((finished = true), lines));
let lastSample = -Infinity;
let lastLog = performance.now();
while (!finished) {
  await churn.step();
  if (performance.now() - lastSample >= options.sampleMs) {
    lastSample = performance.now();
    serverSamples.push({ t: lastSample - started, memcachedConnections: await memcachedConnections(), mysqlConnections: await mysqlConnections() });
  }
  if (performance.now() - lastLog >= 30_000) {
    lastLog = performance.now();
    const done = nodes.reduce((sum, n) => sum + (n.samples.at(-1)?.done ?? 0), 0);
    log(`${done} lookups (${Math.round((done / (lastLog - started)) * 1000)}/s), ${churn.changes} changes`);
  }
  await new Promise((resolve) => setTimeout(resolve, options.churnMs));
}
const finishedLines = await all;
const elapsedMs = performance.now() - started;

log('waiting for the watcher to apply the last change');
const caughtUp = await watcherCaughtUp(60_000);
const churnedFile = path.join(dir, 'churned.json');
writeFileSync(churnedFile, JSON.stringify([...churn.users]));
for (const n of nodes) n.send({ type: 'verify', file: churnedFile });
const verified = await Promise.all(nodes.map((n) => n.next<{ checked: number; stale: number }>('verified')));
for (const n of nodes) n.send({ type: 'close' });
const closed = await Promise.all(nodes.map((n) => n.next<{ sockets: number; timers: number }>('closed')));
const exited = await Promise.all(nodes.map((n) => n.exitsWithin(15_000)));

const warmup = 2;
const result: SoakResult = {
  options,
  elapsedMs,
  lookups: finishedLines.reduce((sum, l) => sum + l.done, 0),
  changes: churn.changes,
  changedUsers: churn.users.size,
  errors: mergeCounts(finishedLines.map((l) => l.errors)),
  counters: mergeCounts(finishedLines.map((l) => l.counters)),
  samplesPerNode: Math.min(...nodes.map((n) => n.samples.length)),
  perNode: nodes.map((n) => flatness(n.samples, warmup)),
  total: sumOver(nodes.map((n) => flatness(n.samples, warmup))),
  servers: serverFlatness(),
  watcherCaughtUp: caughtUp,
  verified: { checked: verified.reduce((s, v) => s + v.checked, 0), stale: verified.reduce((s, v) => s + v.stale, 0) },
  afterClose: closed.map((c) => ({ sockets: c.sockets, timers: c.timers })),
  exitedByThemselves: exited.filter(Boolean).length,
  machine: { cpus: os.cpus().length, load: os.loadavg().map((l) => Math.round(l * 10) / 10), node: process.version },
};

process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : textReport(result));
if (values['write-docs']) await writeDocs(markdownSection(result));

await admin.end();
await Promise.all(memcached.map((m) => m.stop()));
await db.drop();

async function memcachedConnections(): Promise<number> {
  let total = 0;
  for (const m of memcached) {
    const stats = await textCommand(m.port, 'stats', /END\r\n$/);
    // The stats connection itself is one of them.
    total += Number(/STAT curr_connections (\d+)/.exec(stats)?.[1] ?? 0) - 1;
  }
  return total;
}

async function mysqlConnections(): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [db.name]);
  return Number(rows[0]?.['n']);
}

async function watcherCaughtUp(timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const [rows] = await admin.query<RowDataPacket[]>(
      "SELECT (SELECT MAX(id) FROM authring_changelog) AS last, (SELECT last_id FROM authring_watcher WHERE watcher_id = 'default') AS applied",
    );
    if (rows[0] && Number(rows[0]['applied']) >= Number(rows[0]['last'])) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function serverFlatness(): SoakResult['servers'] {
  const kept = serverSamples.slice(Math.min(warmup, Math.max(0, serverSamples.length - 2)));
  const tenth = Math.max(1, Math.floor(kept.length / 10));
  const max = (list: typeof kept, key: 'memcachedConnections' | 'mysqlConnections'): number => Math.max(0, ...list.map((s) => s[key]));
  return {
    memcachedConnections: { first: max(kept.slice(0, tenth), 'memcachedConnections'), last: max(kept.slice(-tenth), 'memcachedConnections') },
    mysqlConnections: { first: max(kept.slice(0, tenth), 'mysqlConnections'), last: max(kept.slice(-tenth), 'mysqlConnections') },
  };
}

function mergeCounts(list: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of list) for (const [key, n] of Object.entries(counts)) merged[key] = (merged[key] ?? 0) + n;
  return merged;
}

/** Replaces the body of the "## Soak" section of docs/reliability.md. */
async function writeDocs(section: string): Promise<void> {
  const file = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url));
  const text = await readFile(file, 'utf8');
  const start = text.indexOf('## Soak');
  if (start < 0) throw new Error('docs/reliability.md has no "## Soak" section');
  const end = text.indexOf('\n## ', start + 1);
  await writeFile(file, `${text.slice(0, start)}${section}${end < 0 ? '' : text.slice(end)}`);
  log('wrote the figures into docs/reliability.md');
}
