/**
 * Differential test: authring's AuthCache must give exactly the answers a real Kamailio 5.6
 * gives (group: is_user_in; address: allow_address; credentials: auth_db's auth_check on a
 * digest-authenticated REGISTER) on the same MariaDB tables, for every combination of the
 * group and auth_db `use_domain` settings.
 *
 * Every question goes to Kamailio once (through sipp, in batches) and to authring twice:
 * the first round loads from MySQL (cache misses), the second must be answered from
 * memcached (cache hits); both rounds must equal Kamailio's answer.
 *
 * Questions cover every fixture user/domain/group with case, accent and trailing-space variants,
 * unknown users and groups, empty user and group names, IPv4/IPv6 addresses inside and
 * outside each subnet with each port case, and every user/realm/password combination.
 * Not asked, because SIP cannot carry them to Kamailio: an empty or space-padded domain
 * (no URI has an empty or padded host), and credentials with an empty or non-URI-safe
 * user or domain.
 *
 * For credentials authring "accepts" when getCredentials(user, domain) returns a row whose
 * ha1 equals md5(`user:domain:password`) in lowercase hex: auth_db compares the digest
 * response computed from the stored ha1 with the realm, and the realm is the From domain.
 * Beyond accept/reject, getCredentials must return a row exactly when auth_db found one
 * (auth_check's -3, "unknown user", is the only answer with no row), so a lookup that
 * finds the wrong row or skips an unusable one (empty or uppercase ha1) is caught too.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/index.js';
import {
  FIXTURES,
  digestHa1,
  fixturePasswords,
  needKamailioDatabase,
  type KamailioDatabase,
} from '../helpers/kamailio-db.js';
import { useKamailioDatabase } from '../helpers/services-fixture.js';
import { KamailioProcess, needKamailio } from '../helpers/kamailio.js';
import { DEMO_MEMCACHED, needTcp } from '../helpers/services.js';
import {
  askKamailio,
  needSipp,
  type AddressQuestion,
  type Answer,
  type CredentialsQuestion,
  type GroupQuestion,
  type Question,
} from '../helpers/sipp.js';

const firstMemcached = DEMO_MEMCACHED[0] ?? '127.0.0.1:11311';
const [memcachedHost = '127.0.0.1', memcachedPort = '11311'] = firstMemcached.split(':');

const ready =
  (await needKamailioDatabase()) &&
  needKamailio() &&
  needSipp() &&
  (await needTcp(memcachedHost, Number(memcachedPort), 'memcached (scripts/services.sh)'));

// ---------------------------------------------------------------------------------------
// Questions
// ---------------------------------------------------------------------------------------

/** Fixture names, their case and whitespace variants, and names that exist nowhere. */
const GROUP_USERS = [
  ...new Set([
    ...FIXTURES.groups.map((g) => g.username),
    ...FIXTURES.subscribers.map((s) => s.username),
    'ALICE',
    'alice ',
    ' alice',
    'BOB',
    'carol',
    'CAROL ',
    'zed',
    'jose',
    'JOSÉ',
    'alicé',
    'strase',
    'STRASSE',
    '',
  ]),
];
/** Hosts only: SIP URIs have no empty or space-padded host. */
const GROUP_DOMAINS = ['example.com', 'EXAMPLE.COM', 'example.org', 'Example.Org', 'example.net'];
const GROUP_NAMES = [
  ...new Set([
    ...FIXTURES.groups.map((g) => g.grp),
    'IPAUTH',
    'Ipauth',
    'ipauth ',
    'VoiceMail',
    'OPS',
    'ops ',
    'INTL',
    'nosuch',
    '',
  ]),
];

const GROUP_QUESTIONS: GroupQuestion[] = GROUP_USERS.flatMap((user) =>
  GROUP_DOMAINS.flatMap((domain) => GROUP_NAMES.map((group): GroupQuestion => ({ kind: 'group', user, domain, group }))),
);

/** Loopback and documentation-range strings only; nothing is ever connected to. */
const ADDRESS_IPS = [
  '127.0.0.1',
  '127.0.0.2',
  '127.0.0.3',
  '127.0.0.7',
  '127.10.0.0',
  '127.10.0.1',
  '127.10.255.255',
  '127.11.0.1',
  '127.9.255.255',
  '127.20.30.0',
  '127.20.30.255',
  '127.20.31.1',
  '127.30.0.0',
  '127.30.0.1',
  '127.40.50.1',
  '127.40.50.60',
  '127.40.51.1',
  '127.255.255.255',
  '0.0.0.0',
  '0.0.0.1',
  '192.0.2.0',
  '192.0.2.1',
  '192.0.2.255',
  '::1',
  '0:0:0:0:0:0:0:1',
  '::2',
  '::',
  '::ffff:127.0.0.1',
  '::ffff:127.0.0.2',
  '2001:db8:1:2::',
  '2001:db8:1:2::5',
  '2001:DB8:1:2:FFFF:FFFF:FFFF:FFFF',
  '2001:db8:1:3::5',
  '2001:db8::1',
  '2001:db8:ffff::1',
  '2001:db8:ffff::2',
];
const ADDRESS_GROUPS = [1, 2, 3, 7];
const ADDRESS_PORTS = [0, 1, 5060, 5061, 5070, 5071, 5080];

const ADDRESS_QUESTIONS: AddressQuestion[] = ADDRESS_GROUPS.flatMap((group) =>
  ADDRESS_IPS.flatMap((ip) => ADDRESS_PORTS.map((port): AddressQuestion => ({ kind: 'address', ip, group, port }))),
);

const CREDENTIAL_USERS = [
  ...new Set([...FIXTURES.subscribers.map((s) => s.username.trim()), 'ALICE', 'Bob', 'trent', 'zed']),
];
const CREDENTIAL_DOMAINS = ['example.com', 'EXAMPLE.COM', 'Example.COM', 'example.org', 'example.net'];

const CREDENTIAL_QUESTIONS: CredentialsQuestion[] = CREDENTIAL_USERS.flatMap((user) =>
  CREDENTIAL_DOMAINS.flatMap((domain) =>
    fixturePasswords().map((password): CredentialsQuestion => ({ kind: 'credentials', user, domain, password })),
  ),
);

const QUESTIONS: Question[] = [...GROUP_QUESTIONS, ...ADDRESS_QUESTIONS, ...CREDENTIAL_QUESTIONS];

// ---------------------------------------------------------------------------------------
// authring's answers
// ---------------------------------------------------------------------------------------

type Auth = Awaited<ReturnType<typeof AuthCache.create>>;

/**
 * A comparable answer: 'yes' / 'no' for group and address questions; for credentials
 * 'accept', 'reject' (the user exists but the password does not match) or 'unknown-user'.
 */
type Verdict = 'yes' | 'no' | 'accept' | 'reject' | 'unknown-user';

/** authring's verdict. */
async function authringSays(auth: Auth, question: Question): Promise<Verdict> {
  switch (question.kind) {
    case 'group':
      return (await auth.isUserInGroup(question.user, question.domain, question.group)) ? 'yes' : 'no';
    case 'address':
      return (await auth.allowAddress(question.ip, question.group, question.port)) ? 'yes' : 'no';
    case 'credentials': {
      const row = await auth.getCredentials(question.user, question.domain);
      if (row === undefined) return 'unknown-user';
      return row.ha1 === digestHa1(question.user, question.domain, question.password) ? 'accept' : 'reject';
    }
  }
}

/**
 * Kamailio's verdict. Anything but the expected codes (a 500, a database error, an
 * auth_check -8 or -1) is a harness failure, never a silent "no".
 */
function kamailioSays(answer: Answer): Verdict | `kamailio error ${string}` {
  const code = `${answer.status}/${String(answer.result)}`;
  switch (answer.question.kind) {
    case 'group':
      if (code === '200/1') return 'yes';
      return code === '404/-6' || code === '404/-1' ? 'no' : `kamailio error ${code}`;
    case 'address':
      if (code === '200/1') return 'yes';
      return code === '404/-1' ? 'no' : `kamailio error ${code}`;
    case 'credentials':
      if (code === '200/1') return 'accept';
      if (code === '403/-2') return 'reject';
      return code === '403/-3' ? 'unknown-user' : `kamailio error ${code}`;
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight, keeping order. */
async function mapLimited<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i] as T;
      results[i] = await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** One line per question where authring and Kamailio disagree. */
function mismatches(answers: readonly Answer[], first: readonly Verdict[], second: readonly Verdict[]): string[] {
  return answers.flatMap((answer, i) => {
    const expected = kamailioSays(answer);
    const miss = first[i];
    const hit = second[i];
    if (miss === expected && hit === expected) return [];
    return [
      `${JSON.stringify(answer.question)}: kamailio ${expected} (${answer.status}, X-Result ${String(answer.result)}), ` +
        `authring ${String(miss)} (miss), ${String(hit)} (hit)`,
    ];
  });
}

// ---------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------

const MODES = [
  { group: false, auth: false },
  { group: true, auth: true },
  { group: true, auth: false },
  { group: false, auth: true },
] as const;

describe.skipIf(!ready)('AuthCache answers exactly like Kamailio 5.6', () => {
  const database = useKamailioDatabase();
  let db: KamailioDatabase;

  beforeAll(() => {
    db = database.db;
  });

  describe.each(MODES)('group use_domain=$group, auth_db use_domain=$auth', (mode) => {
    let kamailio: KamailioProcess;
    let auth: Auth;

    beforeAll(async () => {
      kamailio = await KamailioProcess.start({
        dbUrl: db.url,
        useDomainGroup: mode.group,
        useDomainAuth: mode.auth,
        groups: GROUP_NAMES,
      });
      auth = await AuthCache.create({
        memcached: { servers: DEMO_MEMCACHED },
        mysql: { uri: db.url },
        lookups: { group: { useDomain: mode.group }, credentials: { useDomain: mode.auth } },
        // The answers are the subject, not the latency: a loaded machine must not turn a slow
        // answer into a DeadlineError (the deadline covers building the key, too).
        cache: { keyPrefix: `t${randomBytes(6).toString('hex')}:`, deadlineMs: 20_000 },
        queryTimeoutMs: 20_000,
      });
    });

    afterAll(async () => {
      await auth?.close();
      await kamailio?.stop();
    });

    it.each([
      ['group', GROUP_QUESTIONS],
      ['address', ADDRESS_QUESTIONS],
      ['credentials', CREDENTIAL_QUESTIONS],
    ] as const)('%s questions', async (_kind, questions: readonly Question[]) => {
      const answers = await askKamailio(kamailio, questions);
      const first = await mapLimited(questions, 32, (q) => authringSays(auth, q)); // misses: MySQL
      const second = await mapLimited(questions, 32, (q) => authringSays(auth, q)); // hits: memcached
      const wrong = mismatches(answers, first, second);
      expect(
        wrong,
        `${wrong.length} of ${questions.length} answers differ:\n${wrong.slice(0, 60).join('\n')}\n` +
          `--- kamailio log (tail) ---\n${kamailio.logTail(60)}`,
      ).toEqual([]);
    }, 120_000);
  });

  it('asks a large, varied set of questions', () => {
    expect(GROUP_QUESTIONS.length).toBeGreaterThan(500);
    expect(ADDRESS_QUESTIONS.length).toBeGreaterThan(500);
    expect(CREDENTIAL_QUESTIONS.length).toBeGreaterThan(300);
    expect(QUESTIONS.length).toBe(GROUP_QUESTIONS.length + ADDRESS_QUESTIONS.length + CREDENTIAL_QUESTIONS.length);
  });
});
