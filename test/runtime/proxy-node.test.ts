import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlPool } from '../../src/auth/mysql-options.js';
import { SqlClient } from '../../src/auth/sql.js';
import { ADDRESS_DEFAULTS, CREDENTIALS_DEFAULTS, GROUP_DEFAULTS } from '../../src/auth/tables.js';
import { KetamaRing } from '../../src/cluster/ring.js';
import { installTriggers } from '../../src/invalidation/triggers.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { ProxyNode } from '../../src/runtime/proxy-node.js';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, freePort, needBinary } from '../helpers/services.js';
import { clusterFilePassword, clusterFileText } from '../helpers/cluster-file.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

describe.skipIf(!ready)('a proxy node running from the cluster config file', () => {
  let db: KamailioDatabase;
  const servers: MemcachedProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    for (let i = 0; i < 2; i++) servers.push(await MemcachedProcess.start());
    dir = mkdtempSync(join(tmpdir(), 'authring-node-'));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function configText(memcached: readonly string[], extra = ''): string {
    return clusterFileText({ servers: memcached, dbUrl: db.url, keyPrefix: `node${process.pid}:`, extra: [extra] });
  }

  it('tells the file’s Kamailio nodes from its in-node change watcher, as authring watch does', async () => {
    Object.assign(process.env, clusterFilePassword({ dbUrl: db.url }));
    const pool = createMysqlPool({ uri: db.url });
    try {
      await installTriggers({ sql: new SqlClient(pool), tables: { group: GROUP_DEFAULTS, credentials: CREDENTIALS_DEFAULTS, address: ADDRESS_DEFAULTS } });
    } finally {
      await pool.end();
    }
    // Nothing listens on the port: the node is real loopback TCP that refuses, and is marked behind.
    const port = await freePort();
    const file = join(dir, 'kamailio-nodes.yaml');
    const kamailio = ['kamailio:', '  rpc_attempts: 1', '  retry_interval_ms: 60000', '  nodes:', `    - { name: k1, rpc: "http://127.0.0.1:${port}/RPC" }`].join('\n');
    writeFileSync(file, configText(servers.map((s) => s.address), kamailio));
    const node = await ProxyNode.start({ configPath: file, watch: false, changeWatcher: { watcherId: `node${process.pid}`, intervalMs: 50 } });
    try {
      const nodes = node.kamailioNodes;
      expect(nodes).toBeDefined();
      // The watcher's start tells every node to drop what it caches (deletes may have been lost
      // while no watcher ran): here an address reload, refused.
      const [k1] = (await nodes?.settled()) ?? [];
      expect(k1).toMatchObject({ name: 'k1', state: 'behind', rpcCalls: 1, rpcFailures: 1 });
    } finally {
      await node.close();
    }
    const plain = await ProxyNode.start({ configPath: file, watch: false });
    expect(plain.kamailioNodes).toBeUndefined();
    await plain.close();
  });

  it('answers from the file’s settings and swaps the ring when the file is edited', async () => {
    Object.assign(process.env, clusterFilePassword({ dbUrl: db.url }));
    const [a, b] = servers as [MemcachedProcess, MemcachedProcess];
    const path = join(dir, 'authring.yaml');
    writeFileSync(path, configText([a.address]));
    const node = await ProxyNode.start({ configPath: path });
    try {
      expect(await node.auth.isUserInGroup('alice', 'example.com', 'ipauth')).toBe(true);
      expect(node.auth.cluster.serverFor('anything')).toBe(a.address);

      // An editor's save: write a temp file and rename it over the config.
      const reloaded = new Promise<readonly string[]>((resolve) => node.once('reload', (_config, restart) => resolve(restart)));
      writeFileSync(`${path}.tmp`, configText([a.address, b.address]));
      renameSync(`${path}.tmp`, path);
      expect(await reloaded).toEqual([]);
      const ring = new KetamaRing(parseServerList([a.address, b.address]));
      for (let n = 0; n < 50; n++) expect(node.auth.cluster.serverFor(`k${n}`)).toBe(ring.serverFor(`k${n}`).address);
      expect(await node.auth.isUserInGroup('alice', 'example.com', 'ipauth')).toBe(true);

      // An invalid edit is reported and changes nothing.
      const rejected = new Promise<string>((resolve) => node.once('config-error', (error) => resolve(error.code)));
      writeFileSync(path, configText(['not a server']));
      expect(await rejected).toBe('E_CONFIG');
      expect(node.config.memcached.servers).toEqual([a.address, b.address]);
      expect(await node.auth.isUserInGroup('bob', 'example.com', 'ipauth')).toBe(false);

      // A change outside the server list is reported as needing a restart, not half-applied.
      writeFileSync(path, configText([a.address, b.address], '  ttl_s: 60'));
      expect(await node.reload()).toMatchObject({ cache: { ttlSeconds: 300 } });
      // The file watcher may still report the edit before; wait for the one that names kamailio.
      const restart = new Promise<readonly string[]>((resolve) => node.on('reload', (_config, sections) => sections.includes('kamailio') && resolve(sections)));
      writeFileSync(path, configText([a.address, b.address], ['kamailio:', '  nodes:', '    - { name: k9, rpc: "http://127.0.0.1:1/RPC" }'].join('\n')));
      await node.reload();
      expect(await restart).toEqual(['kamailio']);
      expect(node.config.kamailio.nodes).toEqual([]);
    } finally {
      await node.close();
    }
  });
});
