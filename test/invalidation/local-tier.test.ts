import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { Invalidator } from '../../src/invalidation/invalidator.js';
import { installTriggers, removeTriggers } from '../../src/invalidation/triggers.js';
import { ChangeWatcher } from '../../src/invalidation/watcher.js';
import { createKamailioDatabase, digestHa1, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import { writeClusterFile } from '../helpers/cluster-file.js';
import { LocalNodes, type NodeLine } from './local-nodes.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import type { Question } from './observer-node.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

/** cache.local.bound_ms of the nodes: no answer from memory lags the database more. */
const BOUND_MS = 1000;
/** Slack for a node's report (printed just after its answer) on a loaded machine. */
const REPORT_SLACK_MS = 100;
const MAX_ENTRIES = 100;

const QUESTIONS: Question[] = [
  { kind: 'group', user: 'carol', domain: 'example.com', group: 'ipauth' },
  { kind: 'group', user: 'CAROL ', domain: 'example.com', group: 'IPAUTH' },
  { kind: 'credentials', user: 'erin', domain: 'example.com' },
  { kind: 'group', user: 'alice', domain: 'example.com', group: 'voicemail' },
];

describe.skipIf(!ready)('the local tier on node processes, coherent through the feed', () => {
  let db: KamailioDatabase;
  const servers: MemcachedProcess[] = [];
  let auth: AuthCache;
  let watcher: ChangeWatcher;
  let nodes: LocalNodes;
  let dir: string;
  const delays: number[] = [];

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    for (let i = 0; i < 3; i++) servers.push(await MemcachedProcess.start());
    const keyPrefix = `local${process.pid}:`;
    auth = await AuthCache.create({ memcached: { servers: servers.map((s) => s.address) }, mysql: { uri: db.url }, cache: { keyPrefix } });
    await installTriggers(auth.database);
    watcher = await ChangeWatcher.start(auth, { watcherId: 'local-test', intervalMs: 50 });
    dir = mkdtempSync(join(tmpdir(), 'authring-local-'));
    const config = writeClusterFile(join(dir, 'authring.yaml'), {
      servers: servers.map((s) => s.address),
      dbUrl: db.url,
      keyPrefix,
      cache: ['lookup_deadline_ms: 2000', `local: { enabled: true, max_entries: ${MAX_ENTRIES}, bound_ms: ${BOUND_MS}, poll_ms: 25 }`],
    });
    nodes = await LocalNodes.start(2, config, QUESTIONS, 5);
  }, 200_000);

  afterAll(async () => {
    await nodes?.stop();
    await watcher?.stop();
    if (auth) await removeTriggers(auth.database).catch(() => undefined);
    await auth?.close();
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    const sorted = [...delays].sort((a, b) => a - b);
    console.log(`local tier: commit to every node answering anew (ms): ${JSON.stringify(sorted)}`);
  });

  /** Runs SQL as a provisioning system would; resolves when every node answers `expected` to `q`. */
  async function change(sql: string, params: unknown[], q: number, expected: string): Promise<void> {
    await db.query(sql, params);
    const committed = Date.now();
    const seen = await nodes.waitForAnswer(q, (answer) => answer === expected, undefined, committed, BOUND_MS + 10_000);
    delays.push(...seen);
    for (const delay of seen) expect(delay).toBeLessThanOrEqual(BOUND_MS + REPORT_SLACK_MS);
  }

  it('answers from memory on both nodes, every spelling of a question alike', () => {
    for (const q of [0, 1, 2, 3]) expect(nodes.latest(q).map((l) => l?.local)).toEqual([true, true]);
    expect(nodes.latest(0).map((l) => l?.answer)).toEqual(['true', 'true']);
    expect(nodes.latest(1).map((l) => l?.answer)).toEqual(['true', 'true']);
  });

  it('a DELETE FROM grp revokes on both nodes within the bound, for every spelling', async () => {
    await change('DELETE FROM grp WHERE username = ? AND grp = ?', ['carol ', 'ipauth'], 0, 'false');
    const both = await nodes.waitForAnswer(1, (answer) => answer === 'false', undefined, 0);
    expect(both).toHaveLength(2);
    // And memory serves the new answer again.
    await nodes.waitForAnswer(0, (answer) => answer === 'false', true, 0);
  });

  it('a password change in subscriber reaches both nodes within the bound', async () => {
    const ha1 = digestHa1('erin', 'example.com', 'new-erin-pw');
    await change('UPDATE subscriber SET ha1 = ? WHERE username = ?', [ha1, 'erin'], 2, ha1);
    await nodes.waitForAnswer(2, (answer) => answer === ha1, true, 0);
  });

  it('a namespace bump clears both nodes within the bound', async () => {
    const since = Date.now();
    const generation = await new Invalidator(auth).invalidateNamespace();
    const seen = await nodes.waitForLine((l) => l.generation === String(generation), since, `generation ${generation} on every node`);
    for (const line of seen) expect(line.at - since).toBeLessThanOrEqual(BOUND_MS + REPORT_SLACK_MS);
    await nodes.waitForAnswer(3, (answer) => answer === 'true', true, since);
  });

  it('with the watcher stopped no node answers from memory after the bound; with it back, memory serves again', async () => {
    await watcher.stop();
    const stoppedAt = Date.now();
    await nodes.waitForAnswer(3, (answer) => answer === 'true', false, stoppedAt, BOUND_MS + 10_000);
    await nodes.waitForRounds(5);
    for (const lines of nodes.lines) {
      const lastLocal = lines.filter((l) => l.local === true && l.at >= stoppedAt).at(-1);
      if (lastLocal) expect(lastLocal.at - stoppedAt).toBeLessThanOrEqual(BOUND_MS + REPORT_SLACK_MS);
      expect(lines.some((l) => l.local === true && l.at > stoppedAt + BOUND_MS + REPORT_SLACK_MS)).toBe(false);
    }
    const restartedAt = Date.now();
    watcher = await ChangeWatcher.start(auth, { watcherId: 'local-test', intervalMs: 50 });
    await nodes.waitForAnswer(3, (answer) => answer === 'true', true, restartedAt);
  });

  it('with MySQL unreachable for the watcher no node answers from memory after the bound; with it back, memory serves again', async () => {
    // The watcher reaches MariaDB through a proxy the test can cut; the nodes' own MySQL is untouched.
    const proxy = await TcpProxy.start(Number(new URL(db.url).port || 3306));
    const url = new URL(db.url);
    url.host = proxy.address;
    const watcherAuth = await AuthCache.create({ memcached: { servers: servers.map((s) => s.address) }, mysql: { uri: url.toString() }, cache: { keyPrefix: `local${process.pid}:` }, queryTimeoutMs: 500 });
    await watcher.stop();
    const proxied = await ChangeWatcher.start(watcherAuth, { watcherId: 'local-test', intervalMs: 50 });
    try {
      await nodes.waitForAnswer(3, (answer) => answer === 'true', true, Date.now());
      proxy.mode = 'reset';
      const cutAt = Date.now();
      await nodes.waitForAnswer(3, (answer) => answer === 'true', false, cutAt, BOUND_MS + 10_000);
      await nodes.waitForRounds(5);
      for (const lines of nodes.lines) expect(lines.some((l) => l.local === true && l.at > cutAt + BOUND_MS + REPORT_SLACK_MS)).toBe(false);
      const backAt = Date.now();
      proxy.mode = 'forward';
      await nodes.waitForAnswer(3, (answer) => answer === 'true', true, backAt, 30_000);
    } finally {
      await proxied.stop();
      await watcherAuth.close();
      await proxy.stop();
      watcher = await ChangeWatcher.start(auth, { watcherId: 'local-test', intervalMs: 50 });
    }
  });

  it('more distinct users than max_entries keep the tier at its bound', async () => {
    const since = Date.now();
    nodes.send(0, `sweep ${MAX_ENTRIES * 3}`);
    const swept = (): NodeLine | undefined => nodes.lines[0]?.find((l) => l.swept !== undefined && l.at >= since);
    await waitFor(() => swept() !== undefined, 'the sweep on node 0', 60_000);
    expect(swept()?.swept).toBe(MAX_ENTRIES * 3);
    expect(swept()?.entries).toBeLessThanOrEqual(MAX_ENTRIES);
    expect(swept()?.evictions).toBeGreaterThanOrEqual(MAX_ENTRIES * 2);
  });
});
