/**
 * Digest credentials through the shared cache, with real processes on loopback: MariaDB with
 * Kamailio's schema, three memcached servers, one nutcracker from the `nutcracker.yml` that
 * `authring kamailio` wrote, Kamailio 5.6 running the fragment the same command wrote with
 * `--credentials` (auth, auth_db and sqlops loaded), sipp and a small SIP client asking it, and
 * an authring `AuthCache` on the same servers and key prefix.
 *
 * - Case by case against auth_db: every request is checked by `www_authorize`/`proxy_authorize`
 *   and by the route twice, right after its cache key was deleted (the miss: MySQL, then written
 *   back) and again (the hit: the entry); the three codes must be equal.
 * - Cost: a Kamailio whose MySQL login is its own, so MariaDB's per-user SELECT count
 *   (`information_schema.USER_STATISTICS`, the per-user Com_select) is Kamailio's alone.
 * - Sharing and invalidation between Kamailio and authring, and a password change enforced
 *   within the bound with the change-log watcher running.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache, ChangeWatcher, Invalidator, createAuthCache, installTriggers, parseConfig, type AuthringConfig, type LookupStatus } from '../../src/index.js';
import { DOMAIN_CLASS, USER_CLASS } from '../../src/kamailio/cfg-text.js';
import { nutcrackerConfig } from '../../src/kamailio/index.js';
import { createKamailioDatabase, digestHa1, FIXTURES, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needKamailio } from '../helpers/kamailio.js';
import { askCompare, credentialsTemplate, SQL_CONNECTION, type CompareAnswer, type CompareQuestion } from '../helpers/kamailio-credentials.js';
import { needKamailioModule, startSharedCacheKamailio, type SharedCacheKamailio } from '../helpers/kamailio-memcached.js';
import { clusterFileText } from '../helpers/cluster-file.js';
import { SipClient, type SipResponse } from '../helpers/kamailio-sip.js';
import { MemcachedProcess, NutcrackerProcess, freePort, mysqlUrl, needBinary } from '../helpers/services.js';
import { needSipp } from '../helpers/sipp.js';

const ready =
  (await needKamailioDatabase()) &&
  needKamailio() &&
  ['memcached', 'db_mysql', 'auth', 'auth_db', 'sqlops'].every((m) => needKamailioModule(m, m === 'memcached' ? 'kamailio-memcached-modules' : m === 'db_mysql' ? 'kamailio-mysql-modules' : 'kamailio')) &&
  needSipp() &&
  needBinary('memcached') &&
  needBinary('nutcracker');

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Subscribers beyond the fixtures: names the route must leave to auth_db, and one needing SQL escaping. */
const EXTRA_SUBSCRIBERS = [
  { username: 'pe%41', domain: 'example.com', secret: 'pe-pw' },
  { username: 'josé', domain: 'example.com', secret: 'jose-pw' },
  { username: "o'neil", domain: 'example.com', secret: 'oneil-pw' },
];

/**
 * The bound asserted for a password change (commit → Kamailio enforcing it): the watcher polls
 * every 50 ms and the next REGISTER misses; the assertion leaves room for a loaded machine.
 */
const PASSWORD_BOUND_MS = 2000;

const USABLE_HA1 = /^[0-9A-Za-z]{32,128}$/;
const COMPACT_FIELD = /^[0-9A-Za-z]{0,128}$/;

describe.skipIf(!ready)('Kamailio credentials through the shared cache', () => {
  let db: KamailioDatabase;
  const memcached: MemcachedProcess[] = [];
  let nutcracker: NutcrackerProcess;
  const closers: Array<() => Promise<void>> = [];

  const yamlText = (prefix: string, useDomain: boolean): string =>
    clusterFileText({ servers: memcached.map((m) => m.address), dbUrl: db.url, password: 'uri', keyPrefix: prefix, lookups: ['credentials:', `  use_domain: ${useDomain}`] });

  /** Runs the real `authring kamailio --credentials --out` and returns the fragment it wrote. */
  function authringKamailio(prefix: string, useDomain: boolean): string {
    const dir = mkdtempSync(join(tmpdir(), 'authring-kamailio-cred-'));
    try {
      writeFileSync(join(dir, 'authring.yaml'), yamlText(prefix, useDomain));
      const args = ['--import', 'tsx', CLI, 'kamailio', '-c', join(dir, 'authring.yaml'), '--listen', nutcracker.address, '--credentials', '--sql-connection', SQL_CONNECTION, '--out', dir];
      const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
      if (run.status !== 0) throw new Error(`authring kamailio failed: ${run.stderr}`);
      return readFileSync(join(dir, 'kamailio-authring.cfg'), 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** A Kamailio with the credentials fragment, and an AuthCache sharing its key prefix. */
  async function startNode(useDomain: boolean, dbUrl = db.url): Promise<{ kamailio: SharedCacheKamailio; auth: AuthCache; config: AuthringConfig }> {
    const prefix = `kc${randomBytes(4).toString('hex')}:`;
    const fragment = authringKamailio(prefix, useDomain);
    const kamailio = await startSharedCacheKamailio({ dbUrl, fragment, useDomainGroup: false, useDomainAuth: useDomain, template: credentialsTemplate });
    closers.push(() => kamailio.stop());
    const config = parseConfig(yamlText(prefix, useDomain), 'authring.yaml', {});
    const auth = await createAuthCache(config);
    closers.push(() => auth.close());
    // Kamailio caches nothing until an authring node has created the namespace generation.
    await auth.namespaceGeneration();
    return { kamailio, auth, config };
  }

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    for (const s of EXTRA_SUBSCRIBERS) {
      await db.query('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)', [s.username, s.domain, s.secret, digestHa1(s.username, s.domain, s.secret), '']);
    }
    for (let i = 0; i < 3; i++) memcached.push(await MemcachedProcess.start());
    nutcracker = await NutcrackerProcess.start(nutcrackerConfig(parseConfig(yamlText('unused:', false), 'authring.yaml', {}), { listen: `127.0.0.1:${await freePort()}` }));
  }, 120_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await nutcracker?.stop();
    for (const server of memcached) await server.stop();
    await db?.drop();
  });

  describe.each([false, true])('auth_db use_domain=%s', (useDomain) => {
    let node: { kamailio: SharedCacheKamailio; auth: AuthCache };

    beforeAll(async () => {
      node = await startNode(useDomain);
    }, 120_000);

    it('answers every request exactly as auth_db does, on a miss and on the hit', async () => {
      const questions = await buildQuestions(node.auth);
      const answers = await askCompare(node.kamailio.kamailio, questions);
      const wrong: string[] = [];
      for (const answer of answers) {
        const expectedHit = await expectedHitSource(db, answer.question, useDomain);
        const fine = answer.miss === answer.ref && answer.hit === answer.ref && answer.missSource === 'db' && answer.hitSource === expectedHit;
        if (!fine) wrong.push(`${JSON.stringify(answer.question)}: auth_db ${answer.ref}, miss ${answer.miss} (${answer.missSource}), hit ${answer.hit} (${answer.hitSource}, expected ${expectedHit})`);
      }
      expect(wrong, `${wrong.length} of ${answers.length} differ:\n${wrong.slice(0, 40).join('\n')}\n${node.kamailio.kamailio.logTail(40)}`).toEqual([]);
      // The questions reach every answer auth_db gives here, through both routes and both sources.
      const seen = (method: string): number[] => [...new Set(answers.filter((a) => a.question.method === method).map((a) => a.ref))].sort((a, b) => a - b);
      expect(seen('REGISTER')).toEqual([-5, -3, -2, 1]);
      expect(seen('OPTIONS')).toEqual([-5, -3, -2, 1]);
      const hits = (code: number): CompareAnswer[] => answers.filter((a) => a.ref === code && a.hitSource === 'cache');
      for (const code of [1, -2, -3]) expect(hits(code).length, `code ${code} from the cache`).toBeGreaterThan(10);
      expect(answers.filter((a) => a.hitSource === 'db').length).toBeGreaterThan(10);
    }, 300_000);

    it('a non-ASCII digest username (which sipp cannot send) goes to auth_db, with the same answers', async () => {
      const sip = await SipClient.open(node.kamailio.kamailio);
      try {
        for (const [password, expected] of [['jose-pw', 1], ['wrong-pw', -2]] as const) {
          const answer = await sip.send({
            method: 'REGISTER',
            user: 'u',
            domain: 'example.com',
            headers: ['X-Check: compare', 'X-Challenge-Realm: example.com', `X-Del: ${(await node.auth.keysFor({ user: 'josé', domain: 'example.com' })).credentials ?? ''}`],
            credentials: { username: 'josé', password },
          });
          const h = (name: string): string | undefined => answer.headers.get(name);
          expect([answer.status, h('x-ref'), h('x-miss'), h('x-miss-source'), h('x-hit'), h('x-hit-source')]).toEqual([200, String(expected), String(expected), 'db', String(expected), 'db']);
        }
      } finally {
        await sip.close();
      }
    });
  });

  describe('one entry for Kamailio and authring', () => {
    let kamailio: SharedCacheKamailio;
    let auth: AuthCache;
    let sip: SipClient;
    const kamailioUser = `ak${randomBytes(4).toString('hex')}`;
    const kamailioPassword = randomBytes(9).toString('hex');

    /** MariaDB's count of SELECTs run by Kamailio's own login. */
    const kamailioSelects = async (): Promise<number> => {
      const rows = await db.query<RowDataPacket[]>('SELECT SELECT_COMMANDS AS n FROM information_schema.USER_STATISTICS WHERE USER = ?', [kamailioUser]);
      return Number(rows[0]?.['n'] ?? 0);
    };
    const register = (user: string, password: string, domain = 'example.com'): Promise<SipResponse> =>
      sip.send({ method: 'REGISTER', user, domain, headers: ['X-Check: cached'], credentials: { username: user, password } });
    const summary = (response: SipResponse): string => `${response.status} ${response.headers.get('x-result') ?? '?'} ${response.headers.get('x-source') ?? '?'}`;
    const credKey = async (user: string, domain = 'example.com'): Promise<string> => (await auth.keysFor({ user, domain })).credentials ?? '';

    beforeAll(async () => {
      // Kamailio logs in as its own MySQL user, so the server counts its SELECTs apart from every
      // other client's. USER_STATISTICS needs userstat (off by default; switching it on only
      // starts the counting).
      await db.query(`CREATE USER '${kamailioUser}'@'127.0.0.1' IDENTIFIED BY '${kamailioPassword}'`);
      await db.query(`GRANT SELECT ON \`${db.name}\`.* TO '${kamailioUser}'@'127.0.0.1'`);
      closers.push(async () => {
        await db.query(`DROP USER IF EXISTS '${kamailioUser}'@'127.0.0.1'`);
      });
      // Left on afterwards. The server is shared by test runs that overlap (a suite run, other
      // sessions' tests, bench:sip): a run that switched it back off when it ended stopped the
      // counting under another run's measurement, whose SELECTs then counted 0. Left on, it
      // only keeps statistics.
      await db.query('SET GLOBAL userstat = ON');
      const url = new URL(mysqlUrl(db.name));
      url.username = kamailioUser;
      url.password = kamailioPassword;
      ({ kamailio, auth } = await startNode(false, url.toString()));
      sip = await SipClient.open(kamailio.kamailio);
      closers.push(() => sip.close());
    }, 120_000);

    it('a miss costs Kamailio one SELECT; a cached REGISTER costs it none (per-user Com_select)', async () => {
      await auth.cluster.delete(await credKey('alice'));
      await auth.cluster.delete(await credKey('nobody'));
      const counts = [await kamailioSelects()];
      const answers: string[] = [];
      for (const [user, password] of [['alice', 'alice-pw'], ['alice', 'alice-pw'], ['alice', 'wrong-pw'], ['nobody', 'x-pw'], ['nobody', 'x-pw']] as const) {
        answers.push(summary(await register(user, password)));
        counts.push(await kamailioSelects());
      }
      expect(answers).toEqual(['200 1 db', '200 1 cache', '403 -2 cache', '403 -3 db', '403 -3 cache']);
      expect(counts.slice(1).map((n, i) => n - (counts[i] ?? 0))).toEqual([1, 0, 0, 1, 0]);
      // A name the route cannot cache goes to auth_db every time: one SELECT each.
      const before = await kamailioSelects();
      expect(summary(await sip.send({ method: 'REGISTER', user: 'pe%41', domain: 'example.com', headers: ['X-Check: cached'], credentials: { username: 'pe%41', password: 'pe-pw' } }))).toBe('200 1 db');
      expect((await kamailioSelects()) - before).toBe(1);
    });

    it('each side reads the entry the other wrote, even where MySQL now disagrees', async () => {
      // authring writes erin's entry; then MySQL changes without anyone invalidating it.
      const loaded: LookupStatus = {};
      expect((await auth.getCredentials('erin', 'example.com', loaded))?.ha1).toBe(digestHa1('erin', 'example.com', 'erin-pw'));
      expect(loaded.source).toBe('source');
      // Answered before its store landed: Kamailio is asked once the entry is there.
      await auth.settled();
      expect((await auth.cluster.get(await credKey('erin')))?.value.toString()).toBe(`c1:${digestHa1('erin', 'example.com', 'erin-pw')}:`);
      await db.query('UPDATE subscriber SET ha1 = ? WHERE username = ?', [digestHa1('erin', 'example.com', 'erin-new'), 'erin']);
      expect(summary(await register('erin', 'erin-pw'))).toBe('200 1 cache');
      expect(summary(await register('ERIN', 'erin-pw'))).toBe('403 -2 cache');

      // Kamailio writes heidi's entry (ha1 and ha1b); authring reads it, without MySQL.
      await auth.cluster.delete(await credKey('heidi'));
      expect(summary(await register('heidi', 'heidi-pw'))).toBe('200 1 db');
      const heidi = FIXTURES.subscribers.find((s) => s.username === 'heidi');
      expect((await auth.cluster.get(await credKey('heidi')))?.value.toString()).toBe(`c1:${heidi?.ha1}:${heidi?.ha1b}`);
      await db.query("UPDATE subscriber SET ha1 = 'changed', ha1b = 'changed' WHERE username = 'heidi'");
      const loadsBefore = auth.stats().cache.loads;
      const read: LookupStatus = {};
      expect(await auth.getCredentials('HEIDI', 'elsewhere.example', read)).toEqual({ ha1: heidi?.ha1, ha1b: heidi?.ha1b });
      expect(read.source).toBe('cache');
      expect(auth.stats().cache.loads).toBe(loadsBefore);

      // A name no subscriber has: both read the other's negative entry.
      expect(await auth.getCredentials('ghost', 'example.com')).toBeUndefined();
      await auth.settled();
      await db.query('INSERT INTO subscriber (username, domain, ha1, ha1b) VALUES (?, ?, ?, ?)', ['ghost', 'example.com', digestHa1('ghost', 'example.com', 'g-pw'), '']);
      expect(summary(await register('ghost', 'g-pw'))).toBe('403 -3 cache');
    });

    it('an invalidation through authring reaches both sides', async () => {
      const invalidator = new Invalidator(auth);
      await invalidator.invalidateUser('ERIN', 'example.com');
      expect(summary(await register('erin', 'erin-pw'))).toBe('403 -2 db');
      expect(summary(await register('erin', 'erin-new'))).toBe('200 1 cache');
      const status: LookupStatus = {};
      expect((await auth.getCredentials('erin', 'example.com', status))?.ha1).toBe(digestHa1('erin', 'example.com', 'erin-new'));
      expect(status.source).toBe('cache');

      await invalidator.invalidateUser('ghost', 'example.com');
      expect(summary(await register('ghost', 'g-pw'))).toBe('200 1 db');
      await invalidator.invalidateNamespace();
      expect(summary(await register('heidi', 'heidi-pw'))).toBe('403 -2 db');
    });

    it('a password changed in MySQL is enforced within the bound while the watcher runs', async () => {
      await installTriggers(auth.database);
      const watcher = await ChangeWatcher.start(auth, { watcherId: `kcred${process.pid}`, intervalMs: 50 });
      const delays: number[] = [];
      try {
        let password = 'carol-pw';
        for (let round = 1; round <= 4; round++) {
          expect(summary(await register('carol', password))).toMatch(/^200 1 (cache|db)$/);
          expect(summary(await register('carol', password))).toBe('200 1 cache');
          const next = `carol-pw-${round}`;
          await db.query('UPDATE subscriber SET ha1 = ? WHERE username = ?', [digestHa1('carol', 'example.com', next), 'carol ']);
          const committed = Date.now();
          // The next REGISTER with the new password, asked until it is accepted.
          for (;;) {
            const answer = await register('carol', next);
            if (answer.status === 200) break;
            if (Date.now() - committed > PASSWORD_BOUND_MS + 5000) throw new Error(`carol's new password still refused: ${summary(answer)}`);
          }
          delays.push(Date.now() - committed);
          expect(summary(await register('carol', password))).toBe('403 -2 cache');
          password = next;
        }
      } finally {
        await watcher.stop();
      }
      console.log(`password change enforced by Kamailio after (ms): ${JSON.stringify(delays)}`);
      for (const delay of delays) expect(delay).toBeLessThanOrEqual(PASSWORD_BOUND_MS);
    }, 120_000);
  });
});

/** Users and passwords worth asking: every fixture and extra subscriber, spellings the collation equates, and strangers. */
async function buildQuestions(auth: AuthCache): Promise<CompareQuestion[]> {
  // Not "josé": sipp cuts a digest username at its first non-ASCII byte (asked without sipp below).
  const users = ['alice', 'Alice', 'ALICE', 'bob', 'Bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'trent', 'zed', 'pe%41', 'jose', "o'neil"];
  const domains = ['example.com', 'EXAMPLE.COM', 'example.org', 'example.net'];
  const secrets = new Map<string, string[]>();
  for (const s of [...FIXTURES.subscribers.map((f) => ({ username: f.username.trim(), secret: f.secret })), ...EXTRA_SUBSCRIBERS]) {
    const key = s.username.toLowerCase();
    if (s.secret !== '') secrets.set(key, [...(secrets.get(key) ?? []), s.secret]);
  }
  secrets.set('jose', secrets.get('josé') ?? []);
  const uriSafe = /^[A-Za-z0-9._~'%-]+$/;
  const questions: CompareQuestion[] = [];
  const add = async (method: CompareQuestion['method'], authUser: string, domain: string, password: string, challengeRealm = domain): Promise<void> => {
    const at = authUser.indexOf('@');
    const user = at < 0 ? authUser : authUser.slice(0, at);
    const userDomain = at < 0 ? '' : authUser.slice(at + 1);
    const deleteKey = (await auth.keysFor({ user, domain: userDomain === '' ? domain : userDomain })).credentials ?? '';
    questions.push({ method, user: uriSafe.test(user) ? user : 'u', domain, authUser, password, deleteKey, challengeRealm });
  };
  for (const method of ['REGISTER', 'OPTIONS'] as const) {
    for (const user of users) {
      for (const domain of domains) {
        for (const password of [...(secrets.get(user.toLowerCase()) ?? []), 'wrong-pw']) await add(method, user, domain, password);
      }
    }
    // The second HA1 column: a domain in the digest username (right and wrong spellings of it).
    for (const s of FIXTURES.subscribers.filter((f) => f.ha1b !== '')) {
      for (const authDomain of ['example.com', 'EXAMPLE.COM', 'example.org']) {
        for (const password of [s.secret, 'wrong-pw']) await add(method, `${s.username}@${authDomain}`, 'example.com', password);
      }
    }
    await add(method, 'bob@example.org', 'example.com', 'bob-org-pw');
    await add(method, 'zed@example.com', 'example.com', 'x-pw');
    // Credentials for another realm than the one checked: no credentials (-5) for both.
    await add(method, 'alice', 'example.com', 'alice-pw', 'elsewhere.example');
    await add(method, 'zed', 'example.com', 'x-pw', 'elsewhere.example');
  }
  return questions;
}

/**
 * Where the route's second check must find its HA1: the cache when the name is one the route
 * keys and the row auth_db finds (if any) has a usable HA1 the entry can carry; auth_db otherwise.
 */
async function expectedHitSource(db: KamailioDatabase, q: CompareQuestion, useDomain: boolean): Promise<string> {
  const at = q.authUser.indexOf('@');
  const user = at < 0 ? q.authUser : q.authUser.slice(0, at);
  const userDomain = at < 0 ? '' : q.authUser.slice(at + 1);
  const domain = userDomain === '' ? q.domain : userDomain;
  if (q.challengeRealm.toLowerCase() !== q.domain.toLowerCase()) return 'db';
  if (!USER_CLASS.test(user) || (useDomain && !DOMAIN_CLASS.test(domain))) return 'db';
  const rows = await db.query<RowDataPacket[]>(`SELECT ha1, ha1b FROM subscriber WHERE username = ?${useDomain ? ' AND domain = ?' : ''}`, useDomain ? [user, domain] : [user]);
  const row = rows[0];
  if (row === undefined) return 'cache';
  const chosen = String(userDomain === '' ? row['ha1'] : row['ha1b']);
  return USABLE_HA1.test(chosen) && COMPACT_FIELD.test(String(row['ha1'])) && COMPACT_FIELD.test(String(row['ha1b'])) ? 'cache' : 'db';
}
