/**
 * Kamailio nodes that keep their own htable caches, invalidated by authring, with real processes
 * on loopback: MariaDB with Kamailio's schema, two memcached servers for authring, two Kamailio
 * 5.6 nodes running the fragment `authring kamailio --mode htable` wrote for each (one reached over
 * jsonrpcs/xhttp, one over the jsonrpcs FIFO), a third node in the config that never answers, and
 * a change-log watcher telling them what changed. Questions go to Kamailio with the test's SIP
 * client, asked until the answer flips; the delays are printed and bounded.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthCache,
  ChangeWatcher,
  KamailioNodes,
  createAuthCache,
  installTriggers,
  kamailioRpc,
  parseConfig,
  registerKamailioMetrics,
  type AuthringConfig,
  type KamailioNodeStats,
} from '../../src/index.js';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needKamailio } from '../helpers/kamailio.js';
import { ask, htableTemplate, summary, untilAnswer } from '../helpers/kamailio-htable.js';
import { needKamailioModule, startSharedCacheKamailio, type SharedCacheKamailio } from '../helpers/kamailio-memcached.js';
import { clusterFileText } from '../helpers/cluster-file.js';
import { SipClient } from '../helpers/kamailio-sip.js';
import { MemcachedProcess, freePort, needBinary } from '../helpers/services.js';

const ready =
  (await needKamailioDatabase()) &&
  needKamailio() &&
  ['db_mysql', 'htable', 'xhttp', 'jsonrpcs', 'permissions'].every((m) => needKamailioModule(m, m === 'db_mysql' ? 'kamailio-mysql-modules' : 'kamailio')) &&
  needBinary('memcached');

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/**
 * Bounds asserted on every delay (commit → Kamailio answering anew; thaw → answering anew). The
 * watcher polls every 50 ms and an RPC takes a few ms; a node frozen past its tries is probed every
 * 200 ms. The bounds leave room for a loaded machine.
 */
const BOUND_MS = 2000;

describe.skipIf(!ready)('Kamailio htable caches invalidated by authring', () => {
  let db: KamailioDatabase;
  const memcached: MemcachedProcess[] = [];
  let dir: string;
  let configFile: string;
  let config: AuthringConfig;
  const kamailio: Record<'k1' | 'k2', SharedCacheKamailio> = {} as Record<'k1' | 'k2', SharedCacheKamailio>;
  const sip: Record<'k1' | 'k2', SipClient> = {} as Record<'k1' | 'k2', SipClient>;
  let auth: AuthCache;
  let nodes: KamailioNodes;
  let watcher: ChangeWatcher;
  const events: Array<{ event: string; node: string; at: number; detail: string }> = [];
  const delays: Record<string, number[]> = { delete: [], flush: [], address: [], thaw: [] };

  const generate = (node: string): string => {
    const out = join(dir, node);
    const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'kamailio', '-c', configFile, '--mode', 'htable', '--node', node, '--out', out], { encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`authring kamailio --mode htable failed: ${run.stderr}`);
    return readFileSync(join(out, 'kamailio-authring.cfg'), 'utf8');
  };

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    for (let i = 0; i < 2; i++) memcached.push(await MemcachedProcess.start());
    dir = mkdtempSync(join(tmpdir(), 'authring-htable-'));
    const [rpcPort, deadPort] = [await freePort(), await freePort()];
    configFile = join(dir, 'authring.yaml');
    writeFileSync(
      configFile,
      clusterFileText({
        servers: memcached.map((m) => m.address),
        dbUrl: db.url,
        password: 'uri',
        keyPrefix: `kh${randomBytes(4).toString('hex')}:`,
        extra: [
          'kamailio:',
          '  rpc_timeout_ms: 1000',
          '  rpc_attempts: 2',
          '  retry_interval_ms: 200',
          '  nodes:',
          `    - { name: k1, rpc: "http://127.0.0.1:${rpcPort}/RPC" }`,
          `    - { name: k2, rpc: "fifo:${join(dir, 'kamailio_rpc.fifo')}", reply_dir: ${JSON.stringify(dir)} }`,
          `    - { name: dead, rpc: "http://127.0.0.1:${deadPort}/RPC" }`,
          '  htables:',
          '    - { name: ipauth, lookup: group, group: ipauth, key: "{user}::ipauth", names: folded }',
          '    - { name: classic, lookup: group, group: voicemail, key: "{user}::voicemail", names: as-written }',
        ],
      }),
    );
    config = parseConfig(readFileSync(configFile, 'utf8'), configFile, {});
    for (const name of ['k1', 'k2'] as const) {
      kamailio[name] = await startSharedCacheKamailio({ dbUrl: db.url, fragment: generate(name), useDomainGroup: false, template: htableTemplate });
      sip[name] = await SipClient.open(kamailio[name].kamailio);
    }
    // Each listener answers before the watcher starts telling them.
    for (const node of config.kamailio.nodes.filter((n) => n.name !== 'dead')) await kamailioRpc(node.name, node.rpc).call('core.version', [], 10_000);
    auth = await createAuthCache(config);
    await installTriggers(auth.database);
    nodes = await KamailioNodes.create(auth, config.kamailio);
    const flushedAtStart = new Promise<void>((resolve) => {
      const check = (): void => {
        const told = nodes.stats().filter((s) => s.name !== 'dead' && s.flushes >= 2 && s.addressReloads >= 1);
        if (told.length === 2) {
          nodes.off('delivered', check);
          resolve();
        }
      };
      nodes.on('delivered', check);
    });
    nodes.on('node-down', (info) => events.push({ event: 'node-down', node: info.node, at: Date.now(), detail: info.error.message }));
    nodes.on('node-up', (info) => events.push({ event: 'node-up', node: info.node, at: Date.now(), detail: '' }));
    nodes.on('rpc-error', (info) => events.push({ event: 'rpc-error', node: info.node, at: Date.now(), detail: info.error.message }));
    watcher = await ChangeWatcher.start(auth, { watcherId: `kht${process.pid}`, intervalMs: 50, kamailio: nodes });
    // The start flushes every table on every node (deletes may have been lost while no watcher ran).
    await flushedAtStart;
    await nodes.settled();
  }, 180_000);

  afterAll(async () => {
    await watcher?.stop();
    await nodes?.close();
    await auth?.close();
    for (const name of ['k1', 'k2'] as const) {
      await sip[name]?.close();
      await kamailio[name]?.stop();
    }
    for (const server of memcached) await server.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(`Kamailio htable invalidation delays (ms): ${JSON.stringify(delays)}`);
  });

  const both = ['k1', 'k2'] as const;

  it('starts by flushing every node it can reach; the one that never answers is behind, and nothing waits for it', () => {
    const byName = new Map(nodes.stats().map((s): [string, KamailioNodeStats] => [s.name, s]));
    expect(byName.get('k1'), JSON.stringify(events)).toMatchObject({ state: 'up', flushes: 2, addressReloads: 1, deletes: 0 });
    expect(byName.get('k2'), JSON.stringify(events)).toMatchObject({ state: 'up', flushes: 2, addressReloads: 1, deletes: 0 });
    expect(byName.get('dead')?.state).toBe('behind');
    expect(events.some((e) => e.event === 'node-down' && e.node === 'dead')).toBe(true);
  });

  it('DELETE FROM grp drops the one folded key on every node: every spelling flips within the bound', async () => {
    for (const node of both) {
      expect([summary(await ask(sip[node], 'ht-group', 'alice')), summary(await ask(sip[node], 'ht-group', 'ALICE'))]).toEqual(['200 db', '200 cache']);
      expect(summary(await ask(sip[node], 'ht-group', 'Alice'))).toBe('200 cache');
    }
    await db.query("DELETE FROM grp WHERE username = 'alice' AND grp = 'ipauth'");
    const committed = Date.now();
    for (const node of both) {
      delays.delete?.push(await untilAnswer(() => ask(sip[node], 'ht-group', 'ALICE'), (a) => a.status === 404, committed, BOUND_MS + 5000));
      expect(summary(await ask(sip[node], 'ht-group', 'alice'))).toBe('404 cache');
    }
    await db.query("INSERT INTO grp (username, domain, grp) VALUES ('alice', 'example.com', 'ipauth')");
    const inserted = Date.now();
    for (const node of both) delays.delete?.push(await untilAnswer(() => ask(sip[node], 'ht-group', 'aLiCe'), (a) => a.status === 200, inserted, BOUND_MS + 5000));
    for (const delay of delays.delete ?? []) expect(delay).toBeLessThanOrEqual(BOUND_MS);
  });

  it('a table keyed by the name as written ($fU::voicemail) is flushed: every spelling flips within the bound', async () => {
    for (const node of both) {
      expect([summary(await ask(sip[node], 'classic', 'bob')), summary(await ask(sip[node], 'classic', 'BOB')), summary(await ask(sip[node], 'classic', 'bob'))]).toEqual(['200 db', '200 db', '200 cache']);
    }
    await db.query("DELETE FROM grp WHERE username = 'bob' AND grp = 'voicemail'");
    const committed = Date.now();
    for (const node of both) {
      delays.flush?.push(await untilAnswer(() => ask(sip[node], 'classic', 'BOB'), (a) => a.status === 404, committed, BOUND_MS + 5000));
      expect(summary(await ask(sip[node], 'classic', 'bob'))).toBe('404 db');
    }
    for (const delay of delays.flush ?? []) expect(delay).toBeLessThanOrEqual(BOUND_MS);
  });

  it('an address row inserted or deleted changes allow_source_address within the bound', async () => {
    for (const node of both) expect(summary(await ask(sip[node], 'address', 9))).toBe('404 -');
    await db.query("INSERT INTO address (grp, ip_addr, mask, port) VALUES (9, '127.0.0.1', 32, 0)");
    const inserted = Date.now();
    for (const node of both) delays.address?.push(await untilAnswer(() => ask(sip[node], 'address', 9), (a) => a.status === 200, inserted, BOUND_MS + 5000));
    await db.query('DELETE FROM address WHERE grp = 9');
    const deleted = Date.now();
    for (const node of both) delays.address?.push(await untilAnswer(() => ask(sip[node], 'address', 9), (a) => a.status === 404, deleted, BOUND_MS + 5000));
    for (const delay of delays.address ?? []) expect(delay).toBeLessThanOrEqual(BOUND_MS);
  });

  it('a node frozen during the change flips within the bound of answering again; the others and memcached are not held up', async () => {
    for (const node of both) expect([summary(await ask(sip[node], 'ht-group', 'trent')), summary(await ask(sip[node], 'ht-group', 'TRENT'))]).toEqual(['200 db', '200 cache']);
    expect(await auth.isUserInGroup('trent', 'example.org', 'ipauth')).toBe(true);
    const frozen = kamailio.k1.kamailio;
    const markedBehind = nextEvent(nodes, 'node-down', 'k1');
    frozen.pause();
    try {
      await db.query("DELETE FROM grp WHERE username = 'trent' AND grp = 'ipauth'");
      const committed = Date.now();
      // The watcher goes on: memcached and the node that answers flip within the bound.
      delays.delete?.push(await untilAnswer(() => ask(sip.k2, 'ht-group', 'trent'), (a) => a.status === 404, committed, BOUND_MS + 5000));
      for (;;) {
        if (!(await auth.isUserInGroup('TRENT', 'example.org', 'ipauth'))) break;
        if (Date.now() - committed > BOUND_MS) throw new Error('memcached still says trent is in ipauth');
      }
      // The frozen node's tries run out: it is marked behind.
      await markedBehind;
    } finally {
      frozen.resume();
    }
    const thawed = Date.now();
    const answering = nextEvent(nodes, 'node-up', 'k1');
    const delay = await untilAnswer(() => ask(sip.k1, 'ht-group', 'Trent'), (a) => a.status === 404, thawed, BOUND_MS + 5000);
    delays.thaw?.push(delay);
    expect(delay).toBeLessThanOrEqual(BOUND_MS);
    await answering;
    // Answering again, it is sent the flushes first.
    await nodes.settled();
    expect(nodes.stats().find((s) => s.name === 'k1')?.state).toBe('up');
    // Its tables were flushed on its return: another cached entry is gone too.
    expect(summary(await ask(sip.k1, 'ht-group', 'alice'))).toBe('200 db');
  }, 60_000);

  it('exposes per-node metrics', async () => {
    const text = await registerKamailioMetrics(nodes, { prefix: 'kt_' }).metrics();
    expect(text).toMatch(/kt_kamailio_node_up\{node="k1"\} 1/);
    expect(text).toMatch(/kt_kamailio_node_up\{node="dead"\} 0/);
    expect(text).toMatch(/kt_kamailio_htable_deletes_total\{node="k2"\} [1-9]/);
    expect(text).toMatch(/kt_kamailio_rpc_failures_total\{node="dead"\} [1-9]/);
    expect(text).toMatch(/kt_kamailio_node_outages_total\{node="k1"\} [1-9]/);
  });

  it('authring invalidate tells every node, and fails naming the one that does not answer', async () => {
    for (const node of both) expect([summary(await ask(sip[node], 'ht-group', 'carol')), summary(await ask(sip[node], 'ht-group', 'carol'))]).toEqual(['200 db', '200 cache']);
    const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, '-c', configFile, '--json', 'invalidate', 'group', 'CAROL', 'example.com', 'IPAUTH'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      invalidated: 'group',
      kamailio: [
        { node: 'k1', told: true },
        { node: 'k2', told: true },
        { node: 'dead', told: false },
      ],
    });
    expect(run.stderr).toContain('dead');
    for (const node of both) expect(summary(await ask(sip[node], 'ht-group', 'carol'))).toBe('200 db');
  }, 60_000);

  it('authring watch --json reports what each node was told', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, '-c', configFile, '--json', 'watch', '--once', '--watcher-id', `once${process.pid}`], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; node?: string; flushes?: number });
    expect(lines.filter((l) => l.event === 'kamailio-delivered').map((l) => l.node).sort()).toEqual(expect.arrayContaining(['k1', 'k2']));
    expect(lines.some((l) => l.event === 'kamailio-node-down' && l.node === 'dead')).toBe(true);
    expect(lines.some((l) => l.event === 'applied')).toBe(true);
  }, 60_000);
});

/** The next `event` of node `node`. */
function nextEvent(nodes: KamailioNodes, event: 'node-down' | 'node-up', node: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (info: { node: string }): void => {
      if (info.node !== node) return;
      nodes.off(event, listener);
      resolve();
    };
    nodes.on(event, listener);
  });
}
