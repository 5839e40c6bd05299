/**
 * One soak node: a `ProxyNode` from the cluster config file asking group, credentials and address
 * questions back to back (Zipf-skewed users), sampling its own heap, RSS, descriptors, sockets and
 * timers as it goes. Forked by the soak runner with `--expose-gc` (tools/child-process.ts): told
 * `go`, `verify` and `close`, it reports `ready`, `sample`, `finished`, `verified` and `closed`.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { AuthringError } from '../../src/errors.js';
import { ProxyNode } from '../../src/runtime/proxy-node.js';
import { parentChannel } from '../../tools/child-process.js';
import { seededRandom, randomIndex, ZipfSampler } from '../../tools/random.js';
import { ADDRESS_GROUP, DOMAIN, HOSTS, hostAddress, userName } from './population.js';

/** What the runner tells a node (JSON in argv[2]). */
export interface NodeConfig {
  readonly id: number;
  readonly configPath: string;
  /** The database URL with its password, to read the truth when verifying. */
  readonly mysqlUrl: string;
  readonly lookups: number;
  readonly concurrency: number;
  readonly users: number;
  readonly sampleMs: number;
  /** Runs the change watcher in this node. */
  readonly watcher: boolean;
}

/** A resource sample. */
export interface Sample {
  readonly type: 'sample';
  readonly node: number;
  /** Milliseconds since the node started its lookups. */
  readonly t: number;
  readonly done: number;
  /** Heap used after a full GC, bytes. */
  readonly heapUsed: number;
  readonly rss: number;
  /** Open file descriptors (/proc/self/fd). */
  readonly fds: number;
  /** TCP sockets open (`TCPSocketWrap` in `process.getActiveResourcesInfo()`). */
  readonly sockets: number;
  /** Timers pending (`Timeout`) with no lookup in flight, the sampler's own excluded. */
  readonly timers: number;
}

const parent = parentChannel<NodeConfig>();
const config = parent.input;
const say = (line: { type: string } & Record<string, unknown>): Promise<void> => parent.send({ node: config.id, ...line });

const collect = (): void => (globalThis as { gc?: () => void }).gc?.();
function resources(): { sockets: number; timers: number } {
  const types = process.getActiveResourcesInfo();
  return { sockets: types.filter((t) => t === 'TCPSocketWrap').length, timers: types.filter((t) => t === 'Timeout').length };
}

const node = await ProxyNode.start({ configPath: config.configPath, watch: false, changeWatcher: config.watcher ? { intervalMs: 100 } : false });
const errors: Record<string, number> = {};
node.on('config-error', (error) => (errors[`watcher ${error.code}`] = (errors[`watcher ${error.code}`] ?? 0) + 1));
await say({ type: 'ready' });
await parent.next('go');

const random = seededRandom(1000 + config.id);
const zipf = new ZipfSampler(config.users, 1);
const started = performance.now();
let done = 0;
let issued = 0;
let inFlight = 0;
/** Set while a sample waits for the node to be quiet; lookups wait on it before starting. */
let paused: Promise<void> | undefined;
let drained: (() => void) | undefined;
const sample = (): void => {
  collect();
  const memory = process.memoryUsage();
  const { sockets, timers } = resources();
  const line: Sample = { type: 'sample', node: config.id, t: performance.now() - started, done, heapUsed: memory.heapUsed, rss: memory.rss, fds: readdirSync('/proc/self/fd').length, sockets, timers: timers - 1 };
  void say({ ...line });
};
// Sampled at a quiet moment (no lookup in flight): what in-flight lookups hold at an instant (their
// deadline timers, pending requests) varies with timing, and would hide or fake a slow leak.
async function quietSample(): Promise<void> {
  if (paused) return;
  let resume: () => void = () => undefined;
  paused = new Promise((resolve) => (resume = resolve));
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  drained = undefined;
  sample();
  paused = undefined;
  resume();
}
const sampler = setInterval(() => void quietSample(), config.sampleMs);
sample();

async function lookup(): Promise<void> {
  const roll = random();
  const user = userName(zipf.sample(random));
  try {
    if (roll < 0.5) await node.auth.isUserInGroup(user, DOMAIN, 'ipauth');
    else if (roll < 0.9) await node.auth.getCredentials(user, DOMAIN);
    else await node.auth.allowAddress(hostAddress(randomIndex(random, HOSTS)), ADDRESS_GROUP, 5060);
  } catch (error) {
    const code = error instanceof AuthringError ? error.code : `untyped ${(error as Error).name}`;
    errors[code] = (errors[code] ?? 0) + 1;
  }
  done += 1;
}

await Promise.all(
  Array.from({ length: config.concurrency }, async () => {
    while (issued < config.lookups) {
      if (paused) {
        await paused;
        continue;
      }
      issued += 1;
      inFlight += 1;
      await lookup();
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    }
  }),
);
clearInterval(sampler);
sample();
void say({ type: 'finished', elapsedMs: performance.now() - started, done, errors, counters: { ...node.auth.stats().cache } });

// After the churn has stopped and the watcher has caught up: every answer about a changed user
// must be MySQL's own.
const verify = await parent.next<{ file: string }>('verify');
const churned = JSON.parse(await readFile(verify.file, 'utf8')) as number[];
const truth = await createConnection({ uri: config.mysqlUrl });
let stale = 0;
for (const i of churned) {
  const user = userName(i);
  const [member] = await truth.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM grp WHERE username = ? AND grp = ?', [user, 'ipauth']);
  const [subscriber] = await truth.query<RowDataPacket[]>('SELECT ha1 FROM subscriber WHERE username = ?', [user]);
  if ((await node.auth.isUserInGroup(user, DOMAIN, 'ipauth')) !== Number(member[0]?.['n']) > 0) stale += 1;
  if ((await node.auth.getCredentials(user, DOMAIN))?.ha1 !== subscriber[0]?.['ha1']) stale += 1;
}
await truth.end();
void say({ type: 'verified', checked: churned.length * 2, stale });

await parent.next('close');
await node.close();
// Give closed sockets their close callbacks, then look: nothing of authring's may be left.
await new Promise((resolve) => setImmediate(resolve));
await new Promise((resolve) => setTimeout(resolve, 100));
collect();
await say({ type: 'closed', ...resources(), fds: readdirSync('/proc/self/fd').length, heapUsed: process.memoryUsage().heapUsed });
// With the channel closed too, nothing of authring's may keep the process alive: it must exit by itself.
parent.close();
