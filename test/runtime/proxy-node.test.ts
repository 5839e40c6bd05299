import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KetamaRing } from '../../src/cluster/ring.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { ProxyNode } from '../../src/runtime/proxy-node.js';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

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
    const url = new URL(db.url);
    return [
      'memcached:',
      `  servers: [${memcached.map((s) => JSON.stringify(s)).join(', ')}]`,
      'mysql:',
      `  uri: ${JSON.stringify(`mysql://${url.username}@${url.host}${url.pathname}`)}`,
      '  password_env: AUTHRING_TEST_DB_PASSWORD',
      'cache:',
      `  key_prefix: "node${process.pid}:"`,
      extra,
    ].join('\n');
  }

  it('answers from the file’s settings and swaps the ring when the file is edited', async () => {
    process.env['AUTHRING_TEST_DB_PASSWORD'] = decodeURIComponent(new URL(db.url).password);
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
    } finally {
      await node.close();
    }
  });
});
