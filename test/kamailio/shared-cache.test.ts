/**
 * Kamailio and authring share one cache, proven with real processes: MariaDB holding Kamailio's
 * schema, three memcached servers, one nutcracker started from the `nutcracker.yml` that
 * `authring kamailio` wrote, Kamailio 5.6 running the fragment it wrote (memcached module →
 * that nutcracker, `route(AUTHRING_IS_USER_IN)` on the From URI), sipp asking it, and an
 * authring `AuthCache` on the same servers with the same key prefix.
 *
 * "Decided by the cache" is shown by making the cache and MySQL disagree: an entry cached while
 * a grp row existed, then the row deleted (or the other way round); whoever reads it must give
 * the cached answer, and after an invalidation the database's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_FLAGS, LEASE_VALUE } from '../../src/cache/lease.js';
import { AuthCache, Invalidator, MemcacheCluster, createAuthCache, parseConfig, type AuthringConfig, type LookupStatus } from '../../src/index.js';
import { kamailioConfig, nutcrackerConfig } from '../../src/kamailio/index.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKamailioDatabase, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needKamailio } from '../helpers/kamailio.js';
import {
  askCachedGroup,
  needKamailioModule,
  startSharedCacheKamailio,
  type CachedGroupAnswer,
  type CachedGroupQuestion,
  type SharedCacheKamailio,
} from '../helpers/kamailio-memcached.js';
import { MemcachedProcess, NutcrackerProcess, freePort, needBinary } from '../helpers/services.js';
import { clusterFileText } from '../helpers/cluster-file.js';
import { needSipp } from '../helpers/sipp.js';
import { rawGet, rawTtl } from '../helpers/text-protocol.js';

const ready =
  (await needKamailioDatabase()) &&
  needKamailio() &&
  needKamailioModule('memcached', 'kamailio-memcached-modules') &&
  needKamailioModule('db_mysql', 'kamailio-mysql-modules') &&
  needSipp() &&
  needBinary('memcached') &&
  needBinary('nutcracker');

const DOMAIN = 'example.com';
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const GROUPS = ['ipauth', 'voicemail'];

/** One Kamailio + one AuthCache sharing a key prefix (one per group `use_domain` setting). */
interface SharedNode {
  readonly config: AuthringConfig;
  readonly prefix: string;
  readonly kamailio: SharedCacheKamailio;
  readonly auth: AuthCache;
  readonly invalidator: Invalidator;
}

describe.skipIf(!ready)('Kamailio and authring share one cache through nutcracker', () => {
  let db: KamailioDatabase;
  const memcached: MemcachedProcess[] = [];
  let nutcracker: NutcrackerProcess;
  let cluster: MemcacheCluster;
  const nodes: SharedNode[] = [];

  const yamlText = (prefix: string, useDomain: boolean): string =>
    clusterFileText({ servers: memcached.map((m) => m.address), dbUrl: db.url, password: 'uri', keyPrefix: prefix, lookups: ['group:', `  use_domain: ${useDomain}`] });

  function yamlConfig(prefix: string, useDomain: boolean): AuthringConfig {
    return parseConfig(yamlText(prefix, useDomain), 'authring.yaml', {});
  }

  /** The two files exactly as `authring kamailio --out` writes them for this cluster file. */
  async function authringKamailio(prefix: string, useDomain: boolean, listen: string): Promise<{ cfg: string; yml: string; config: AuthringConfig }> {
    const dir = mkdtempSync(join(tmpdir(), 'authring-kamailio-'));
    try {
      writeFileSync(join(dir, 'authring.yaml'), yamlText(prefix, useDomain));
      const args = ['--import', 'tsx', CLI, 'kamailio', '-c', join(dir, 'authring.yaml'), '--listen', listen, '--out', dir];
      for (const group of GROUPS) args.push('--group', group);
      const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
      if (run.status !== 0) throw new Error(`authring kamailio failed: ${run.stderr}`);
      return {
        cfg: readFileSync(join(dir, 'kamailio-authring.cfg'), 'utf8'),
        yml: readFileSync(join(dir, 'nutcracker.yml'), 'utf8'),
        // The same file as the library reads it (the generators name it in their headers).
        config: parseConfig(yamlText(prefix, useDomain), join(dir, 'authring.yaml'), {}),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function startNode(useDomain: boolean): Promise<SharedNode> {
    const prefix = `kt${randomBytes(4).toString('hex')}:`;
    const config = yamlConfig(prefix, useDomain);
    const { cfg: fragment, config: asRead } = await authringKamailio(prefix, useDomain, nutcracker.address);
    // The command prints what the library generates.
    expect(fragment).toBe(kamailioConfig(asRead, { twemproxyListen: nutcracker.address, groups: GROUPS }));
    const kamailio = await startSharedCacheKamailio({ dbUrl: db.url, fragment, useDomainGroup: useDomain });
    let auth: AuthCache;
    try {
      auth = await createAuthCache(config);
    } catch (error) {
      await kamailio.stop();
      throw error;
    }
    const node = { config, prefix, kamailio, auth, invalidator: new Invalidator(auth) };
    nodes.push(node);
    return node;
  }

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    // The route folds names with {s.toupper}: right for the case-insensitive default collation.
    expect(db.collations.get('grp.username')).toMatch(/_ci$/);
    for (let i = 0; i < 3; i++) memcached.push(await MemcachedProcess.start());
    const listen = `127.0.0.1:${await freePort()}`;
    const { yml, config: asRead } = await authringKamailio('unused:', false, listen);
    expect(yml).toBe(nutcrackerConfig(asRead, { listen }));
    nutcracker = await NutcrackerProcess.start(yml);
    cluster = new MemcacheCluster({ servers: memcached.map((m) => m.address) });
  });

  afterAll(async () => {
    for (const node of nodes) {
      await node.auth.close();
      await node.kamailio.stop();
    }
    cluster?.close();
    await nutcracker?.stop();
    for (const server of memcached) await server.stop();
    await db?.drop();
  });

  const grpRow = async (user: string, group: string, present: boolean, domain = DOMAIN): Promise<void> => {
    if (present) await db.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [user, domain, group]);
    else await db.query('DELETE FROM grp WHERE username = ? AND domain = ? AND grp = ?', [user, domain, group]);
  };
  const inMysql = async (user: string, group: string): Promise<boolean> =>
    (await db.query('SELECT id FROM grp WHERE username = ? AND grp = ?', [user, group])).length > 0;
  const ask = async (node: SharedNode, ...questions: [string, string, string?][]): Promise<CachedGroupAnswer[]> => {
    const answers = await askCachedGroup(
      node.kamailio.kamailio,
      questions.map(([user, group, domain = DOMAIN]): CachedGroupQuestion => ({ user, group, domain })),
    );
    // `if (route(AUTHRING_IS_USER_IN))` is true exactly when the route's code is 1.
    for (const answer of answers) expect(answer.status === 200, JSON.stringify(answer)).toBe(answer.result === 1);
    return answers;
  };
  const summary = (answers: readonly CachedGroupAnswer[]): string[] => answers.map((a) => `${a.status} ${a.source ?? '?'}`);
  const groupKey = async (node: SharedNode, user: string, group: string, domain = DOMAIN): Promise<string> => {
    const { group: key } = await node.auth.keysFor({ user, domain, group });
    if (key === undefined) throw new Error('keysFor returned no group key');
    return key;
  };
  const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));
  /** The entry on each memcached server, in server order (read with the text protocol). */
  const everywhere = async (key: string): Promise<({ value: string; flags: number } | undefined)[]> =>
    Promise.all(memcached.map((m) => rawGet(m.port, key)));

  describe('use_domain off (Kamailio default)', () => {
    let node: SharedNode;
    beforeAll(async () => {
      node = await startNode(false);
    }, 60_000);

    it('without a namespace generation, Kamailio answers from MySQL and caches nothing', async () => {
      // authring created the generation when it started, with the current time in ms, as a
      // decimal counter (flags 0).
      const created = await cluster.get(`${node.prefix}ns`);
      expect(created?.flags).toBe(0);
      expect(Number(created?.value.toString())).toBeGreaterThan(Date.now() - 120_000);
      // As if the counter's server had restarted empty: Kamailio never creates it.
      await cluster.delete(`${node.prefix}ns`);
      const answers = await ask(node, ['alice', 'ipauth'], ['bob', 'ipauth'], ['alice', 'ipauth']);
      expect(summary(answers)).toEqual(['200 db', '404 db', '200 db']);
      expect(await cluster.get(`${node.prefix}ns`)).toBeUndefined();
      // authring recreates it on its next read, never smaller than before.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const generation = await node.auth.namespaceGeneration();
      expect(generation).toBeGreaterThanOrEqual(BigInt(created?.value.toString() ?? '0'));
      expect((await cluster.get(`${node.prefix}ns`))?.value.toString()).toBe(String(generation));
    });

    it('Kamailio answers from the entries authring cached, even where MySQL now disagrees', async () => {
      // pos1: authring caches "member" while the row exists; then the row goes.
      await grpRow('pos1', 'ipauth', true);
      const loaded: LookupStatus = {};
      expect(await node.auth.isUserInGroup('pos1', DOMAIN, 'ipauth', loaded)).toBe(true);
      expect(loaded.source).toBe('source');
      // Answered before its store landed: the entry is read once it is there.
      await node.auth.settled();
      await grpRow('pos1', 'ipauth', false);
      expect(await inMysql('pos1', 'ipauth')).toBe(false);
      const key = await groupKey(node, 'pos1', 'ipauth');
      expect(key).toBe(`${node.prefix}${await node.auth.namespaceGeneration()}:grp:POS1:IPAUTH`);
      const item = await cluster.get(key);
      expect({ value: item?.value.toString(), flags: item?.flags }).toEqual({ value: '1', flags: 1 });

      // neg1: in the group in MySQL, "not a member" in the cache (written at the exact key authring uses).
      await grpRow('neg1', 'ipauth', true);
      await node.auth.cluster.set(await groupKey(node, 'neg1', 'ipauth'), '0', { ttl: 60 });

      const answers = await ask(node, ['pos1', 'ipauth'], ['POS1', 'ipauth'], ['Pos1', 'ipauth'], ['neg1', 'ipauth'], ['NEG1', 'ipauth'], ['pos1', 'voicemail']);
      expect(summary(answers)).toEqual(['200 cache', '200 cache', '200 cache', '404 cache', '404 cache', '404 db']);
      expect(answers.map((a) => a.result)).toEqual([1, 1, 1, -6, -6, -6]);

      // authring gives the same answers from the same entries.
      const status: LookupStatus = {};
      expect(await node.auth.isUserInGroup('NEG1', 'elsewhere.example', 'ipauth', status)).toBe(false);
      expect(status.source).toBe('cache');
    });

    it("authring's negative entry (0) is a cache hit for Kamailio: not a member, without MySQL", async () => {
      const loaded: LookupStatus = {};
      expect(await node.auth.isUserInGroup('neg2', DOMAIN, 'ipauth', loaded)).toBe(false);
      expect(loaded.source).toBe('source');
      await node.auth.settled();
      const key = await groupKey(node, 'neg2', 'ipauth');
      const item = await cluster.get(key);
      expect({ value: item?.value.toString(), flags: item?.flags }).toEqual({ value: '0', flags: 1 });

      // MySQL now says neg2 is a member; Kamailio still answers from authring's entry.
      await grpRow('neg2', 'ipauth', true);
      const answers = await ask(node, ['neg2', 'ipauth']);
      expect(summary(answers)).toEqual(['404 cache']);
      await grpRow('neg2', 'ipauth', false);
    });

    it('authring reads the entries Kamailio writes, placed where its ring looks, with the cache TTLs', async () => {
      await grpRow('kw1', 'ipauth', true);
      const first = await ask(node, ['kw1', 'ipauth'], ['kw1', 'ipauth'], ['kw2', 'ipauth'], ['kw2', 'ipauth']);
      expect(summary(first)).toEqual(['200 db', '200 cache', '404 db', '404 cache']);

      const positive = await groupKey(node, 'kw1', 'ipauth');
      const negative = await groupKey(node, 'kw2', 'ipauth');
      for (const [key, value, ttl] of [
        [positive, '1', node.config.cache.ttlSeconds],
        [negative, '0', node.config.cache.negativeTtlSeconds],
      ] as const) {
        // Through nutcracker, on exactly the server authring's ring names.
        const owner = cluster.serverFor(key);
        expect(await everywhere(key)).toEqual(memcached.map((m) => (m.address === owner ? { value, flags: 1 } : undefined)));
        const item = await cluster.get(key);
        expect({ value: item?.value.toString(), flags: item?.flags }).toEqual({ value, flags: 1 });
        const left = await rawTtl(portOf(owner), key);
        expect(left).toBeLessThanOrEqual(ttl);
        expect(left).toBeGreaterThanOrEqual(Math.floor(ttl * (1 - node.config.cache.jitter)) - 2);
      }

      // MySQL now disagrees with both entries; authring answers from Kamailio's entries.
      await grpRow('kw1', 'ipauth', false);
      await grpRow('kw2', 'ipauth', true);
      const loadsBefore = node.auth.stats().cache.loads;
      const yes: LookupStatus = {};
      const no: LookupStatus = {};
      expect(await node.auth.isUserInGroup('kw1', DOMAIN, 'ipauth', yes)).toBe(true);
      expect(await node.auth.isUserInGroup('Kw2', DOMAIN, 'ipauth', no)).toBe(false);
      expect([yes.source, no.source]).toEqual(['cache', 'cache']);
      expect(node.auth.stats().cache.loads).toBe(loadsBefore);
    });

    it('Kamailio treats a lease marker or any other value as a miss, and never caches names authring percent-encodes', async () => {
      await grpRow('lm1', 'ipauth', true);
      await node.auth.cluster.set(await groupKey(node, 'lm1', 'ipauth'), LEASE_VALUE, { flags: LEASE_FLAGS, ttl: 30 });
      await node.auth.cluster.set(await groupKey(node, 'lm2', 'ipauth'), 'yes', { ttl: 30 });
      await grpRow('pe%41', 'ipauth', true);
      const answers = await ask(node, ['lm1', 'ipauth'], ['lm2', 'ipauth'], ['pe%41', 'ipauth'], ['pe%41', 'ipauth']);
      expect(summary(answers)).toEqual(['200 db', '404 db', '200 db', '200 db']);
      // The miss was answered by MySQL and written back over the marker and the junk.
      expect((await cluster.get(await groupKey(node, 'lm1', 'ipauth')))?.value.toString()).toBe('1');
      expect((await cluster.get(await groupKey(node, 'lm2', 'ipauth')))?.value.toString()).toBe('0');
      // "pe%41" is keyed PE%2541 by authring; Kamailio wrote neither that nor a naive PE%41 key.
      const generation = await node.auth.namespaceGeneration();
      expect(await groupKey(node, 'pe%41', 'ipauth')).toBe(`${node.prefix}${generation}:grp:PE%2541:IPAUTH`);
      expect(await cluster.get(await groupKey(node, 'pe%41', 'ipauth'))).toBeUndefined();
      expect(await cluster.get(`${node.prefix}${generation}:grp:PE%41:IPAUTH`)).toBeUndefined();
    });

    it('keys of 250 bytes or more meet under their MD5 on both sides', async () => {
      const user = `long${'x'.repeat(236)}`;
      const key = await groupKey(node, user, 'ipauth');
      expect(key.length).toBeGreaterThanOrEqual(250);
      expect(summary(await ask(node, [user, 'ipauth'], [user.toUpperCase(), 'ipauth']))).toEqual(['404 db', '404 cache']);
      const wireKey = createHash('md5').update(key, 'utf8').digest('hex');
      const owner = cluster.serverFor(key);
      expect(await everywhere(wireKey)).toEqual(memcached.map((m) => (m.address === owner ? { value: '0', flags: 1 } : undefined)));
      // authring builds the same key (above) but needs no entry: the name is longer than
      // grp.username (VARCHAR(64)) can hold, so no row can match and it answers without asking.
      const status: LookupStatus = {};
      expect(await node.auth.isUserInGroup(user, DOMAIN, 'ipauth', status)).toBe(false);
      expect(node.auth.stats().names.noRowAnswers).toBeGreaterThan(0);
    });

    it("after authring's invalidateGroup, Kamailio answers from MySQL again", async () => {
      await grpRow('inv1', 'ipauth', true);
      expect(summary(await ask(node, ['inv1', 'ipauth']))).toEqual(['200 db']);
      await grpRow('inv1', 'ipauth', false);
      expect(summary(await ask(node, ['inv1', 'ipauth']))).toEqual(['200 cache']);

      await node.invalidator.invalidateGroup('INV1', 'any.example', 'ipauth');
      expect(await cluster.get(await groupKey(node, 'inv1', 'ipauth'))).toBeUndefined();
      expect(summary(await ask(node, ['inv1', 'ipauth'], ['Inv1', 'ipauth']))).toEqual(['404 db', '404 cache']);
      const status: LookupStatus = {};
      expect(await node.auth.isUserInGroup('inv1', DOMAIN, 'ipauth', status)).toBe(false);
      expect(status.source).toBe('cache');
    });

    it("after authring's invalidateNamespace, Kamailio uses the new generation and answers from MySQL again", async () => {
      await grpRow('ns2', 'voicemail', true);
      expect(summary(await ask(node, ['ns1', 'voicemail'], ['ns2', 'voicemail']))).toEqual(['404 db', '200 db']);
      await grpRow('ns1', 'voicemail', true);
      await grpRow('ns2', 'voicemail', false);
      expect(summary(await ask(node, ['ns1', 'voicemail'], ['ns2', 'voicemail']))).toEqual(['404 cache', '200 cache']);
      const oldKeys = [await groupKey(node, 'ns1', 'voicemail'), await groupKey(node, 'ns2', 'voicemail')];

      const before = await node.auth.namespaceGeneration();
      const after = await node.invalidator.invalidateNamespace();
      expect(after).toBeGreaterThan(before);
      expect((await cluster.get(`${node.prefix}ns`))?.value.toString()).toBe(String(after));

      expect(summary(await ask(node, ['ns1', 'voicemail'], ['ns2', 'voicemail'], ['ns1', 'voicemail']))).toEqual(['200 db', '404 db', '200 cache']);
      const newKey = await groupKey(node, 'ns1', 'voicemail');
      expect(newKey).toBe(`${node.prefix}${after}:grp:NS1:VOICEMAIL`);
      expect((await cluster.get(newKey))?.value.toString()).toBe('1');
      // The old entries are left to expire; nobody reads them any more.
      expect((await cluster.get(oldKeys[0] ?? ''))?.value.toString()).toBe('0');
      const status: LookupStatus = {};
      expect(await node.auth.isUserInGroup('NS1', DOMAIN, 'voicemail', status)).toBe(true);
      expect(status.source).toBe('cache');
    });

    it("with memcached not answering, Kamailio answers from MySQL after nutcracker's timeout, and caches again after", async () => {
      await grpRow('to1', 'ipauth', true);
      // SIGSTOP: the servers accept connections but never answer. Only nutcracker's `timeout`
      // (memcached.timeout_ms) bounds the wait: the module's own read timeout is libmemcached's 5 s.
      for (const server of memcached) await server.pause();
      let elapsed: number;
      let answers: CachedGroupAnswer[];
      try {
        const started = Date.now();
        answers = await ask(node, ['to1', 'ipauth'], ['bob', 'ipauth']);
        elapsed = Date.now() - started;
      } finally {
        for (const server of memcached) await server.resume();
      }
      expect(summary(answers)).toEqual(['200 db', '404 db']);
      expect(elapsed).toBeLessThan(4000);
      expect(summary(await ask(node, ['to1', 'ipauth'], ['to1', 'ipauth']))).toEqual(['200 db', '200 cache']);
    });
  });

  describe('use_domain on', () => {
    let node: SharedNode;
    beforeAll(async () => {
      node = await startNode(true);
      await node.auth.namespaceGeneration();
    }, 60_000);

    it('both sides key the domain too, folded the same way', async () => {
      await grpRow('dom1', 'ipauth', true, 'example.org');
      await grpRow('dom2', 'ipauth', true, 'example.org');
      // dom1: Kamailio writes; dom2: authring writes; then MySQL forgets both.
      expect(summary(await ask(node, ['dom1', 'ipauth', 'Example.ORG'], ['dom1', 'ipauth', 'example.com']))).toEqual(['200 db', '404 db']);
      expect(await node.auth.isUserInGroup('dom2', 'example.org', 'ipauth')).toBe(true);
      await node.auth.settled();
      await grpRow('dom1', 'ipauth', false, 'example.org');
      await grpRow('dom2', 'ipauth', false, 'example.org');

      const key = await groupKey(node, 'dom1', 'ipauth', 'example.org');
      expect(key).toBe(`${node.prefix}${await node.auth.namespaceGeneration()}:grp:DOM1:EXAMPLE.ORG:IPAUTH`);
      const status: LookupStatus = {};
      expect(await node.auth.isUserInGroup('DOM1', 'EXAMPLE.org', 'ipauth', status)).toBe(true);
      expect(status.source).toBe('cache');

      const answers = await ask(node, ['dom2', 'ipauth', 'example.org'], ['DOM2', 'ipauth', 'EXAMPLE.ORG'], ['dom2', 'ipauth', 'example.com'], ['dom1', 'ipauth', 'example.org']);
      expect(summary(answers)).toEqual(['200 cache', '200 cache', '404 db', '200 cache']);
    });
  });
});
