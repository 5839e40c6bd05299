/**
 * Cache keys must be injective on what the database distinguishes, whatever the column's
 * collation and character set: two names MySQL tells apart never share an entry, so one can never
 * get the other's answer. Each test asks authring (real memcached and MariaDB) and MySQL itself
 * the same questions and compares, under utf8mb4_general_ci, utf8mb4_bin and latin1_swedish_ci.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { digestHa1, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { createCollationDatabase, mysqlHa1, mysqlIsUserInGroup, TEST_COLLATIONS } from './collation-db.js';
import { nameArbitrary, propertySeed } from './names.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

/** Stored users: each a member of `ipauth` and a subscriber whose ha1 names them. */
const STORED = [
  'é',
  '?',
  'alice',
  'josé',
  'ä',
  'straße',
  'a b',
  'tab\there',
  'ctrl\u0001x',
  'nul\u0000x',
  '😀',
  'Ω',
  '中',
  'x'.repeat(64),
  '~wFFFD',
];

/** Names that collided with a stored name under some collation before keys were made injective. */
const ADVERSARIAL = [
  '~w0000E9',
  '~W0000E9',
  '~w0045',
  '~w3F',
  '~wFFFD',
  '%7Ew0000E9',
  '中',
  '?',
  '😃',
  '\uFFFD',
  '\uD800',
  'ALICE ',
  'x'.repeat(65),
  `${'x'.repeat(64)} `,
  'é ',
  'E',
  'e',
  'A',
  'strase',
  'STRASSE',
  'a  b',
  'tab\tHERE',
  'CTRL\u0001X',
  'nul\u0000X',
  'ω',
  '',
];

describe.skipIf(!ready).each(TEST_COLLATIONS)('cache keys under $collation columns', (column) => {
  let db: KamailioDatabase;
  let server: MemcachedProcess;
  let cluster: MemcacheCluster;
  let namespace = 0;
  const stored: string[] = [];

  async function authCache(): Promise<AuthCache> {
    namespace += 1;
    return AuthCache.create({
      memcached: cluster,
      mysql: { uri: db.url, poolSize: 4 },
      cache: { keyPrefix: `k${process.pid}${column.collation}n${namespace}:`, deadlineMs: 5000 },
      queryTimeoutMs: 5000,
    });
  }

  beforeAll(async () => {
    db = await createCollationDatabase(column);
    for (const name of [...STORED, ...fc.sample(nameArbitrary(70), { numRuns: 30, seed: propertySeed() })]) {
      try {
        await db.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [name, 'example.com', 'ipauth']);
        await db.query('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)', [
          name,
          'example.com',
          '',
          digestHa1(name, 'example.com', 'pw'),
          '',
        ]);
        stored.push(name);
      } catch {
        // The column cannot hold it, or the collation finds it equal to a stored name: skip.
      }
    }
    server = await MemcachedProcess.start();
    cluster = new MemcacheCluster({ servers: [server.address], timeoutMs: 1000 });
  });

  afterAll(async () => {
    cluster?.close();
    await server?.stop();
    await db?.drop();
  });

  /** Asks authring twice (a miss, then what the cache holds) and MySQL once; all must agree. */
  async function expectAgreement(auth: AuthCache, name: string): Promise<void> {
    const member = await mysqlIsUserInGroup(db, name, 'ipauth');
    const ha1 = await mysqlHa1(db, name);
    for (let round = 0; round < 2; round++) {
      expect([name, round, await auth.isUserInGroup(name, 'example.com', 'ipauth')]).toEqual([name, round, member]);
      expect([name, round, (await auth.getCredentials(name, 'example.com'))?.ha1]).toEqual([name, round, ha1]);
    }
  }

  it('never gives a name the answer of another name the database tells apart', async () => {
    const auth = await authCache();
    try {
      // Stored names first, so a colliding name asked later would find their entries.
      for (const name of [...STORED, ...ADVERSARIAL]) await expectAgreement(auth, name);
    } finally {
      await auth.close();
    }
  });

  it('agrees with MySQL on generated names (any Unicode, control characters, up to past the column length)', async () => {
    const auth = await authCache();
    const seed = propertySeed();
    console.log(`keys property under ${column.collation}: fast-check seed ${seed}`);
    try {
      const question = fc.oneof(nameArbitrary(70), fc.constantFrom(...stored).chain((name) => mutatedName(name)));
      await fc.assert(
        fc.asyncProperty(fc.array(question, { minLength: 1, maxLength: 6 }), async (names) => {
          for (const name of names) await expectAgreement(auth, name);
        }),
        { seed, numRuns: 40 },
      );
    } finally {
      await auth.close();
    }
  });
});

/** A spelling of a stored name the collation may or may not find equal. */
function mutatedName(name: string): fc.Arbitrary<string> {
  return fc.constantFrom(
    name.toUpperCase(),
    name.toLowerCase(),
    `${name} `,
    `${name}  `,
    ` ${name}`,
    `${name}\t`,
    name.normalize('NFD'),
    name.slice(0, -1),
    `${name}x`,
  );
}
