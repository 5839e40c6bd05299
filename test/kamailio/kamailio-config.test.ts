/**
 * The `kamailio:` section of the cluster config, the fragment `authring kamailio --mode htable`
 * generates from it (accepted by `kamailio -c`), and what each change means for the configured
 * htables (KamailioPlanner on the real collation of Kamailio's tables).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache, ConfigError, parseConfig, type AuthringConfig } from '../../src/index.js';
import { KamailioPlanner } from '../../src/invalidation/kamailio-plan.js';
import { kamailioConfig, kamailioHtableConfig } from '../../src/kamailio/index.js';
import { KamailioConfigError } from '../../src/errors.js';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needKamailio } from '../helpers/kamailio.js';
import { htableTemplate } from '../helpers/kamailio-htable.js';
import { needKamailioModule, renderCfg } from '../helpers/kamailio-memcached.js';
import { MemcachedProcess, findBinary, needBinary } from '../helpers/services.js';

const BASE = ['memcached:', '  servers: [127.0.0.1:11311]', 'mysql:', '  user: authring', '  database: authring_test'];

function config(...kamailio: string[]): AuthringConfig {
  return parseConfig(`${[...BASE, 'kamailio:', ...kamailio].join('\n')}\n`, 'authring.yaml', {});
}

function problems(...kamailio: string[]): string[] {
  try {
    config(...kamailio);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => issue.message);
  }
  throw new Error('expected a ConfigError');
}

const NODES = ['  nodes:', '    - { name: k1, rpc: "http://127.0.0.1:5071/RPC" }', '    - { name: k2, rpc: "fifo:/run/kamailio/kamailio_rpc.fifo", reply_dir: /run/authring }'];
const TABLES = [
  '  htables:',
  '    - { name: ipauth, lookup: group, group: ipauth, key: "{user}::ipauth", names: folded }',
  '    - { name: classic, lookup: group, group: voicemail, key: "{user}@{domain}::voicemail" }',
  '    - { name: auth, lookup: credentials, key: "{user}", names: folded, ttl_s: 60 }',
];

describe('kamailio: in the cluster config', () => {
  it('is empty by default, and reads nodes, htables and the delivery settings', () => {
    expect(parseConfig(`${BASE.join('\n')}\n`, 'authring.yaml', {}).kamailio).toEqual({
      nodes: [],
      htables: [],
      rpcTimeoutMs: 1000,
      rpcAttempts: 3,
      retryIntervalMs: 1000,
      addressReload: true,
      rpcClients: ['127.0.0.1'],
    });
    const read = config(...NODES, ...TABLES, '  rpc_timeout_ms: 250', '  rpc_attempts: 5', '  retry_interval_ms: 400', '  address_reload: false', '  rpc_clients: [127.0.0.1, "::1"]');
    expect(read.kamailio).toEqual({
      nodes: [
        { name: 'k1', rpc: { transport: 'http', url: 'http://127.0.0.1:5071/RPC' } },
        { name: 'k2', rpc: { transport: 'fifo', path: '/run/kamailio/kamailio_rpc.fifo', replyDir: '/run/authring' } },
      ],
      htables: [
        { name: 'ipauth', lookup: 'group', group: 'ipauth', key: '{user}::ipauth', names: 'folded', ttlSeconds: 300 },
        { name: 'classic', lookup: 'group', group: 'voicemail', key: '{user}@{domain}::voicemail', names: 'as-written', ttlSeconds: 300 },
        { name: 'auth', lookup: 'credentials', group: undefined, key: '{user}', names: 'folded', ttlSeconds: 60 },
      ],
      rpcTimeoutMs: 250,
      rpcAttempts: 5,
      retryIntervalMs: 400,
      addressReload: false,
      rpcClients: ['127.0.0.1', '::1'],
    });
  });

  it('reports every problem with its line and field', () => {
    const found = problems(
      '  nodes:',
      '    - { name: k1, rpc: "tcp://127.0.0.1:5071" }',
      '    - { name: k1, rpc: "fifo:relative.fifo" }',
      '    - { rpc: "http://u:p@127.0.0.1:1/RPC" }',
      '    - just-a-string',
      '  htables:',
      '    - { name: "bad name", lookup: group, group: ipauth, key: "{user}" }',
      '    - { name: t1, lookup: group, key: "{user}" }',
      '    - { name: t2, lookup: credentials, key: "{user}::{group}" }',
      '    - { name: t3, lookup: group, group: g, key: "no placeholder" }',
      '    - { name: t4, lookup: group, group: g, key: "{usr}" }',
      '    - { name: t5, lookup: nothing, group: g, key: "{user}" }',
      '  rpc_clients: [localhost]',
    );
    const expectations = [
      /:8:\d+: kamailio\.nodes\[0\]\.rpc: expected http:\/\/host:port\/path/,
      /:9:\d+: kamailio\.nodes\[1\]\.name: node name "k1" is used twice/,
      /:9:\d+: kamailio\.nodes\[1\]\.rpc: expected/,
      /:10:\d+: kamailio\.nodes\[2\]: missing required key `name`/,
      /:10:\d+: kamailio\.nodes\[2\]\.rpc: expected .*without credentials/,
      /:11:\d+: kamailio\.nodes\[3\]: expected a mapping/,
      /:13:\d+: kamailio\.htables\[0\]\.name: expected an htable name/,
      /kamailio\.htables\[1\]: missing required key `group`/,
      /:15:\d+: kamailio\.htables\[2\]\.key: expected text with \{user\}, \{domain\} placeholders/,
      /:16:\d+: kamailio\.htables\[3\]\.key: expected/,
      /:17:\d+: kamailio\.htables\[4\]\.key: expected/,
      /:18:\d+: kamailio\.htables\[5\]\.lookup: expected "group" or "credentials"/,
      /kamailio\.rpc_clients\[0\]: expected an IPv4 or IPv6 address/,
    ];
    for (const expected of expectations) expect(found.some((line) => expected.test(line)), `${expected}\n${found.join('\n')}`).toBe(true);
    expect(found).toHaveLength(expectations.length);
  });

  it('warns about tables without nodes', () => {
    expect(config(...TABLES).warnings).toEqual([expect.stringMatching(/kamailio\.htables: htables are listed but no nodes/)]);
  });
});

describe('authring kamailio --mode htable', () => {
  it('generates the htable, the route keyed by the folded name and the RPC listener of the node', () => {
    const cfg = kamailioHtableConfig(config(...NODES, ...TABLES), { node: 'k1' });
    expect(cfg).toContain('modparam("htable", "htable", "ipauth=>size=12;autoexpire=300;")');
    expect(cfg).not.toContain('"classic=>');
    expect(cfg).toContain('route[AUTHRING_HT_IPAUTH] {');
    expect(cfg).toContain('$var(authring_htkey) = $(fU{s.toupper}) + "::ipauth";');
    expect(cfg).toContain('$shtex(ipauth=>$var(authring_htkey)) = 60;');
    expect(cfg).toContain('listen=tcp:127.0.0.1:5071');
    expect(cfg).toContain('if ($Rp != 5071 || $Ri != "127.0.0.1") {');
    expect(cfg).toContain('if (!($si == "127.0.0.1")) {');
    expect(cfg).toContain('if ($hu == "/RPC") {');

    const fifo = kamailioHtableConfig(config(...NODES, ...TABLES), { node: 'k2', caseFolding: 'none' });
    expect(fifo).toContain('modparam("jsonrpcs", "fifo_name", "/run/kamailio/kamailio_rpc.fifo")');
    expect(fifo).toContain('modparam("jsonrpcs", "fifo_reply_dir", "/run/authring/")');
    expect(fifo).toContain('$var(authring_htkey) = $fU + "::ipauth";');
    expect(fifo).not.toContain('xhttp');

    const withDomain = kamailioHtableConfig(config(NODES[0] ?? '', NODES[1] ?? '', '  htables:', '    - { name: g, lookup: group, group: Ops, key: "{user}@{domain}:{group}", names: folded }'));
    expect(withDomain).toContain('$var(authring_htkey) = $(fU{s.toupper}) + "@" + $(fd{s.toupper}) + ":" + "OPS";');
    expect(withDomain).toContain('is_user_in("From", "Ops");');
  });

  it('refuses what it cannot generate', () => {
    const code = (fn: () => unknown, field: string): void => {
      expect(fn).toThrow(KamailioConfigError);
      try {
        fn();
      } catch (error) {
        expect((error as KamailioConfigError).field).toBe(field);
      }
    };
    code(() => kamailioHtableConfig(config(...NODES, ...TABLES)), 'node');
    code(() => kamailioHtableConfig(config(...NODES, ...TABLES), { node: 'k9' }), 'node');
    code(() => kamailioHtableConfig(config(...TABLES)), 'kamailio.nodes');
    code(() => kamailioHtableConfig(config(...NODES, '  htables:', '    - { name: c, lookup: group, group: g, key: "{user}" }'), { node: 'k1' }), 'kamailio.htables');
    code(() => kamailioHtableConfig(config('  nodes:', '    - { name: h, rpc: "http://kamailio.example:5071/RPC" }', ...TABLES)), 'kamailio.nodes[h].rpc');
    code(() => kamailioHtableConfig(config('  nodes:', '    - { name: h, rpc: "http://0.0.0.0:5071/RPC" }', ...TABLES)), 'kamailio.nodes[h].rpc');
  });

  it('adds the RPC listener to the shared-ring fragment on request', () => {
    const ring = kamailioConfig(config(...NODES), { twemproxyListen: '127.0.0.1:22121', groups: ['ipauth'], rpcListener: { node: 'k1' } });
    expect(ring).toContain('listen=tcp:127.0.0.1:5071');
    expect(ring).toContain('route[AUTHRING_IS_USER_IN]');
  });

  const kamailioReady = needKamailio() && ['db_mysql', 'htable', 'xhttp', 'jsonrpcs', 'permissions'].every((m) => needKamailioModule(m, 'kamailio'));
  describe.skipIf(!kamailioReady)('kamailio -c', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'authring-htable-check-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    it.each(['k1', 'k2'])('accepts the fragment for node %s in a full cfg, and rejects a broken one', async (node) => {
      const check = async (fragment: string): Promise<{ status: number | null; output: string }> => {
        const fragmentPath = path.join(dir, `fragment-${node}.cfg`);
        await writeFile(fragmentPath, fragment, 'utf8');
        const cfgPath = path.join(dir, `kamailio-${node}.cfg`);
        await writeFile(cfgPath, renderCfg(htableTemplate(fragmentPath), { DEBUG: '2', PORT: '25060', DB_URL: 'mysql://authring:authring@127.0.0.1:3306/authring_check_only', GROUP_USE_DOMAIN: '0' }), 'utf8');
        const run = spawnSync(findBinary('kamailio') ?? 'kamailio', ['-c', '-f', cfgPath], { encoding: 'utf8', timeout: 20_000 });
        return { status: run.status, output: `${run.stdout}${run.stderr}` };
      };
      const fragment = kamailioHtableConfig(config(...NODES, ...TABLES), { node });
      const good = await check(fragment);
      expect(good.output).toContain('config file ok');
      expect(good.status, good.output).toBe(0);
      const broken = await check(fragment.replace('return($var(authring_rc));', 'return($var(authring_rc);'));
      expect(broken.status).not.toBe(0);
    });
  });
});

const plannerReady = needBinary('memcached') && (await needKamailioDatabase());

describe.skipIf(!plannerReady)('what a change means for the htables (the database’s collation)', () => {
  let db: KamailioDatabase;
  let memcached: MemcachedProcess;
  let auth: AuthCache;
  let planner: KamailioPlanner;

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    memcached = await MemcachedProcess.start();
    auth = await AuthCache.create({ memcached: { servers: [memcached.address] }, mysql: { uri: db.url } });
    planner = await KamailioPlanner.create(auth, config(...NODES, ...TABLES).kamailio);
  });
  afterAll(async () => {
    await auth?.close();
    await memcached?.stop();
    await db?.drop();
  });

  it('deletes the one folded key where the table keys folded names, flushes where it keys them as written', async () => {
    expect(await planner.plan({ kind: 'group', user: 'Alice ', domain: 'example.com', group: 'IPAUTH ' })).toEqual([{ kind: 'delete', table: 'ipauth', key: 'ALICE::ipauth' }]);
    expect(await planner.plan({ kind: 'group', user: 'josé', domain: 'example.com', group: 'ipauth' })).toEqual([{ kind: 'delete', table: 'ipauth', key: 'JOSE::ipauth' }]);
    // A name no From user in the cached classes can equal is never cached under any key.
    expect(await planner.plan({ kind: 'group', user: 'a b', domain: 'example.com', group: 'ipauth' })).toEqual([]);
    expect(await planner.plan({ kind: 'group', user: 'bob', domain: 'example.com', group: 'VoiceMail' })).toEqual([{ kind: 'flush', table: 'classic' }]);
    expect(await planner.plan({ kind: 'group', user: 'bob', domain: 'example.com', group: 'ops' })).toEqual([]);
    expect(await planner.plan({ kind: 'credentials', user: 'Carol ', domain: 'example.com' })).toEqual([{ kind: 'delete', table: 'auth', key: 'CAROL' }]);
    expect(await planner.plan({ kind: 'user', user: 'erin', domain: 'example.com' })).toEqual([
      { kind: 'delete', table: 'auth', key: 'ERIN' },
      { kind: 'delete', table: 'ipauth', key: 'ERIN::ipauth' },
      { kind: 'flush', table: 'classic' },
    ]);
    expect(await planner.plan({ kind: 'addresses' })).toEqual([{ kind: 'address-reload' }]);
    expect(await planner.plan({ kind: 'everything' })).toEqual([
      { kind: 'flush', table: 'ipauth' },
      { kind: 'flush', table: 'classic' },
      { kind: 'flush', table: 'auth' },
      { kind: 'address-reload' },
    ]);
  });
});
