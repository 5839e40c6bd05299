/**
 * Proves the Kamailio harness (kamailio-db.ts, kamailio.ts, sipp.ts) against hand-computed
 * answers on the fixture population, for use_domain 0 and 1. These expectations are also
 * the record of the Kamailio 5.6 semantics authring must reproduce:
 *
 * - MariaDB's utf8mb4_general_ci makes user, domain and group matching case-insensitive,
 *   blind to trailing spaces in both directions (asked 'alice ' finds 'alice', asked
 *   'carol' finds 'carol '), and accent-folding ('JOSE' finds 'josé', 'strase' finds
 *   'straße'; 'strasse' does not).
 * - group use_domain=0 ignores the domain entirely (frank with domain '' is in ipauth when
 *   asked as frank@example.com); use_domain=1 matches it (case-insensitively).
 * - auth_db compares the digest response computed from the STORED ha1; lookup is
 *   case-insensitive but the HA1 the client computes is not, so 'ALICE' or realm
 *   'EXAMPLE.COM' fail with -2 (wrong password), not -3.
 * - auth_db use_domain=0 looks the user up by username alone and takes the FIRST row, so
 *   bob@example.org is checked against bob@example.com's ha1 and always fails.
 * - allow_address: port 0 in a row matches any port; a question with port 0 matches only
 *   port-0 rows; mask 0 means a host match (/32 or /128), not "everything"; host bits of a
 *   subnet row are ignored; IPv4 never matches an IPv4-mapped IPv6 row or vice versa;
 *   IPv6 is compared as an address (0:0:0:0:0:0:0:1 = ::1, hex case ignored).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES,
  needKamailioDatabase,
  type KamailioDatabase,
} from './kamailio-db.js';
import { useKamailioDatabase } from './services-fixture.js';
import { KamailioProcess, needKamailio } from './kamailio.js';
import { askKamailio, needSipp, type Answer, type Question } from './sipp.js';

const ready = (await needKamailioDatabase()) && needKamailio() && needSipp();

/** A question with the status and X-Result Kamailio must give for use_domain 0 and 1. */
interface Expectation {
  readonly question: Question;
  /** [status, X-Result] with use_domain=0. */
  readonly off: readonly [number, number];
  /** [status, X-Result] with use_domain=1; same as off when omitted. */
  readonly on?: readonly [number, number];
}

const YES: readonly [number, number] = [200, 1];
const NOT_MEMBER: readonly [number, number] = [404, -6];
const NO_USER_OR_BAD_URI: readonly [number, number] = [404, -1];
const ADDRESS_NO: readonly [number, number] = [404, -1];
const WRONG_PASSWORD: readonly [number, number] = [403, -2];
const UNKNOWN_USER: readonly [number, number] = [403, -3];

function group(user: string, domain: string, grp: string, off: readonly [number, number], on?: readonly [number, number]): Expectation {
  return { question: { kind: 'group', user, domain, group: grp }, off, ...(on ? { on } : {}) };
}

function address(grp: number, ip: string, port: number, yes: boolean): Expectation {
  return { question: { kind: 'address', ip, group: grp, port }, off: yes ? YES : ADDRESS_NO };
}

function credentials(
  user: string,
  domain: string,
  password: string,
  off: readonly [number, number],
  on?: readonly [number, number],
): Expectation {
  return { question: { kind: 'credentials', user, domain, password }, off, ...(on ? { on } : {}) };
}

const EXPECTATIONS: readonly Expectation[] = [
  // --- group (is_user_in) ---
  group('alice', 'example.com', 'ipauth', YES),
  group('bob', 'example.com', 'ipauth', NOT_MEMBER),
  group('bob', 'example.com', 'voicemail', YES),
  group('ALICE', 'EXAMPLE.COM', 'IPAUTH', YES), // case-insensitive everywhere
  group('alice', 'example.org', 'ipauth', YES), // off: alice@example.com's row; on: Alice@example.org IPAUTH
  group('alice ', 'example.com', 'ipauth ', YES), // trailing spaces ignored
  group('carol', 'example.com', 'ipauth', YES), // stored 'carol '
  group('dave', 'example.com', 'ipauth', YES), // stored group 'ipauth '
  group('erin', 'example.com', 'OPS', YES),
  group('trent', 'example.com', 'ipauth', YES, NOT_MEMBER), // ipauth only in example.org
  group('trent', 'example.org', 'intl', YES, NOT_MEMBER), // intl only in example.com
  group('frank', 'example.com', 'ipauth', YES, NOT_MEMBER), // row has domain ''
  group('zed', 'example.com', 'ipauth', NOT_MEMBER),
  group('JOSE', 'example.com', 'ipauth', YES), // stored 'josé': general_ci folds accents
  group('strase', 'example.org', 'voicemail', YES), // stored 'straße': ß = s
  group('strasse', 'example.org', 'voicemail', NOT_MEMBER), // ...and not ss
  group('alice', 'example.com', 'nosuch', NOT_MEMBER),
  group('', 'example.com', 'ipauth', NO_USER_OR_BAD_URI), // no username
  group('alice', 'example.com', '', NO_USER_OR_BAD_URI), // no group
  group('frank', '', 'ipauth', NO_USER_OR_BAD_URI), // "sip:frank@" is not a URI, whatever use_domain
  // --- address (allow_address) ---
  address(1, '127.0.0.1', 5060, true),
  address(1, '127.0.0.1', 5061, false),
  address(1, '127.0.0.1', 0, false), // asking port 0 matches only rows with port 0
  address(1, '192.0.2.1', 5060, false),
  address(2, '192.0.2.1', 5060, true),
  address(2, '192.0.2.1', 5061, false),
  address(1, '127.0.0.2', 12345, true), // row port 0 = any port
  address(1, '127.0.0.2', 0, true),
  address(1, '127.10.200.3', 1, true), // /16
  address(1, '127.11.0.1', 1, false),
  address(1, '127.20.30.99', 5080, true), // /24 with a port
  address(1, '127.20.30.99', 5060, false),
  address(1, '127.20.31.1', 5080, false),
  address(2, '127.255.255.254', 9, true), // /8
  address(2, '127.40.50.1', 9, true), // /24 row written as 127.40.50.60
  address(3, '127.0.0.1', 5060, false), // no such group
  address(1, '::1', 5060, true),
  address(1, '0:0:0:0:0:0:0:1', 1, true),
  address(1, '::2', 1, false),
  address(2, '::1', 5060, true),
  address(2, '::1', 5061, false),
  address(7, '127.0.0.7', 5070, true),
  address(7, '127.0.0.7', 5071, true),
  address(7, '127.0.0.7', 5072, false),
  address(7, '0.0.0.0', 1, true), // mask 0 = host match...
  address(7, '0.0.0.1', 1, false), // ...not /0
  address(7, '127.30.0.0', 1, true),
  address(7, '127.30.0.1', 1, false),
  address(7, '2001:db8:ffff::1', 1, true), // IPv6 mask 0 = /128
  address(7, '2001:db8:ffff::2', 1, false),
  address(7, '127.0.0.1', 1, false), // the row is ::ffff:127.0.0.1
  address(7, '::ffff:127.0.0.1', 1, true),
  address(2, '::ffff:127.0.0.1', 1, false), // not in 127.0.0.0/8
  address(7, '2001:db8:1:2::5', 1, true), // /64
  address(7, '2001:DB8:1:2:0:0:0:FFFF', 1, true),
  address(7, '2001:db8:1:3::5', 1, false),
  // --- credentials (auth_check on a REGISTER) ---
  credentials('alice', 'example.com', 'alice-pw', YES),
  credentials('alice', 'example.com', 'wrong-pw', WRONG_PASSWORD),
  credentials('zed', 'example.com', 'alice-pw', UNKNOWN_USER),
  credentials('bob', 'example.com', 'bob-com-pw', YES),
  credentials('bob', 'example.org', 'bob-org-pw', WRONG_PASSWORD, YES), // off: first row is bob@example.com
  credentials('ALICE', 'example.com', 'alice-pw', WRONG_PASSWORD), // found, but HA1 is of "alice"
  credentials('alice', 'EXAMPLE.COM', 'alice-pw', WRONG_PASSWORD), // realm differs from the ha1's
  credentials('Alice', 'example.org', 'Alice-org-pw', WRONG_PASSWORD, YES), // off: first row is alice@example.com
  credentials('carol', 'example.com', 'carol-pw', YES), // stored 'carol '
  credentials('dave', 'example.com', 'dave-pw', WRONG_PASSWORD), // empty ha1
  credentials('erin', 'example.com', 'erin-pw', YES), // empty password column, ha1 set
  credentials('frank', 'example.com', 'frank-pw', YES, UNKNOWN_USER), // stored domain ''
  credentials('grace', 'example.com', 'grace-pw', WRONG_PASSWORD), // uppercase ha1
  credentials('heidi', 'example.com', 'heidi-pw', YES), // stored domain 'Example.COM'
  credentials('heidi', 'Example.COM', 'heidi-pw', WRONG_PASSWORD),
];

const GROUP_NAMES = [
  ...new Set(EXPECTATIONS.flatMap((e) => (e.question.kind === 'group' ? [e.question.group] : []))),
];

function describeMismatch(e: Expectation, answer: Answer, useDomain: boolean): string | undefined {
  const [status, result] = (useDomain ? e.on : undefined) ?? e.off;
  if (answer.status === status && answer.result === result) return undefined;
  return `${JSON.stringify(e.question)}: expected ${status} (X-Result ${result}), got ${answer.status} (X-Result ${String(answer.result)})`;
}

describe.skipIf(!ready)('Kamailio harness', () => {
  const database = useKamailioDatabase();
  let db: KamailioDatabase;

  beforeAll(() => {
    db = database.db;
  });

  it('loads Kamailio\'s real schema into a case- and trailing-space-insensitive database', async () => {
    expect(db.name).toMatch(/^authring_t_[0-9a-f]{12}$/);
    const versions = await db.query('SELECT table_name AS t, table_version AS v FROM version ORDER BY table_name');
    expect(versions.map((row) => `${String(row.t)}=${String(row.v)}`)).toEqual(
      expect.arrayContaining(['address=6', 'grp=2', 'subscriber=7', 'version=1']),
    );
    for (const column of ['subscriber.username', 'subscriber.domain', 'grp.username', 'grp.domain', 'grp.grp']) {
      expect(db.collations.get(column), column).toMatch(/_ci$/);
    }
    const found = await db.query(
      "SELECT username FROM subscriber WHERE username = 'CAROL' AND domain = 'example.com' ORDER BY id",
    );
    expect(found.map((row) => row.username)).toEqual(['carol ']);
    expect(await db.query('SELECT COUNT(*) AS n FROM address')).toEqual([{ n: FIXTURES.addresses.length }]);
  });

  describe.each([false, true])('use_domain=%s', (useDomain) => {
    let kamailio: KamailioProcess;

    beforeAll(async () => {
      kamailio = await KamailioProcess.start({
        dbUrl: db.url,
        useDomainGroup: useDomain,
        useDomainAuth: useDomain,
        groups: GROUP_NAMES,
      });
    });

    afterAll(async () => {
      await kamailio?.stop();
    });

    it.each(['group', 'address', 'credentials'] as const)('answers %s questions as computed by hand', async (kind) => {
      const expectations = EXPECTATIONS.filter((e) => e.question.kind === kind);
      const answers = await askKamailio(
        kamailio,
        expectations.map((e) => e.question),
      );
      const mismatches = expectations.flatMap((e, i) => {
        const answer = answers[i];
        if (answer === undefined) return [`no answer for ${JSON.stringify(e.question)}`];
        const mismatch = describeMismatch(e, answer, useDomain);
        return mismatch === undefined ? [] : [mismatch];
      });
      expect(mismatches, `${mismatches.join('\n')}\n--- kamailio log (tail) ---\n${kamailio.logTail(80)}`).toEqual([]);
      if (kind === 'credentials') {
        // Every first REGISTER was challenged because it carried no credentials.
        expect(answers.map((a) => a.challengeResult)).toEqual(answers.map(() => -5));
      }
    });

    it('refuses a group it has no branch for', async () => {
      await expect(
        askKamailio(kamailio, [{ kind: 'group', user: 'alice', domain: 'example.com', group: 'not-configured' }]),
      ).rejects.toThrow(/not-configured/);
    });
  });
});
