/**
 * Throwaway MariaDB databases holding Kamailio's real tables (`version`, `grp`, `re_grp`,
 * `subscriber`, `trusted`, `address`), loaded from the SQL files the Debian package
 * kamailio-mysql-modules installs, plus a fixture population full of the cases where a
 * cache could answer differently from Kamailio.
 *
 * ## Collation, and what it means for lookups
 *
 * Kamailio's create scripts name no character set or collation, so every table takes the
 * database default, which is the server default. On the MariaDB 10.11 that Debian 12 ships
 * (and that scripts/services.sh installs) that is `utf8mb4_general_ci`;
 * {@link KamailioDatabase.collations} reports what the columns really got. For every
 * `WHERE col = 'value'` that Kamailio's group and auth_db modules send, that collation means:
 *
 * - **case-insensitive**: `'ALICE'` finds `'alice'`, `'IPAUTH'` finds `'ipauth'`,
 *   `'EXAMPLE.COM'` finds `'example.com'`;
 * - **trailing spaces ignored** (PAD SPACE): `'carol'` finds `'carol '` and `'alice '` finds
 *   `'alice'`; leading spaces do count;
 * - **accent-insensitive for many letters**: general_ci folds `é` to `e` (`'jose'` finds
 *   `'josé'`) and `ß` to `s` (`'strase'` finds `'straße'`, `'strasse'` does not); Kamailio's
 *   db_mysql connection sends UTF-8, so this reaches Kamailio's answers too;
 * - the UNIQUE keys use the same comparison, so `('Alice','example.com')` and
 *   `('alice','example.com')` cannot both be subscribers; case variants of a user therefore
 *   live in different domains here.
 *
 * Queries carry no ORDER BY. When several rows match (auth_db with use_domain=0 and the
 * same username in two domains), Kamailio uses the first row MariaDB returns, which for
 * these tables and this data is the lowest `id`, i.e. the row inserted first; the fixture
 * inserts rows in array order so that order is deterministic.
 *
 * Outside CI a test whose MariaDB or schema files are missing is skipped
 * ({@link needKamailioDatabase}); with `CI=true` it fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import mysql, { type Pool, type QueryResult, type RowDataPacket } from 'mysql2/promise';
import {
  findKamailioSchemaFiles,
  KAMAILIO_SCHEMA_FILES,
  KAMAILIO_SCHEMA_PACKAGE as SCHEMA_PACKAGE,
  loadKamailioSchema,
} from '../../tools/kamailio-schema.js';
import { IN_CI, mysqlUrl, needTcp } from './services.js';

export { findKamailioSchemaFiles, KAMAILIO_SCHEMA_FILES };

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]|::1)$/;

/** Host and port of the MariaDB {@link mysqlUrl} points at; throws unless it is loopback. */
function mysqlEndpoint(): { host: string; port: number } {
  const url = new URL(mysqlUrl());
  if (!LOOPBACK_HOST.test(url.hostname)) {
    throw new Error(`the test MariaDB must be on a loopback address, not "${url.hostname}" (${url.protocol}//…)`);
  }
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: url.port === '' ? 3306 : Number(url.port) };
}

/**
 * Gate for tests that need {@link createKamailioDatabase}:
 * `describe.skipIf(!(await needKamailioDatabase()))(...)`.
 *
 * @returns true when MariaDB answers and Kamailio's schema files are installed; false
 *   outside CI when either is missing (skip).
 * @throws Error when either is missing and `CI=true`.
 */
export async function needKamailioDatabase(): Promise<boolean> {
  const { host, port } = mysqlEndpoint();
  if (!(await needTcp(host, port, 'MariaDB'))) return false;
  if (findKamailioSchemaFiles() !== undefined) return true;
  if (!IN_CI) return false;
  throw new Error(
    `Kamailio's MySQL schema files (${KAMAILIO_SCHEMA_FILES.join(', ')}) are not installed ` +
      `(CI=true, so this fails instead of skipping). Install the Debian package "${SCHEMA_PACKAGE}": ` +
      '`bash scripts/services.sh --interop` installs it (npm test runs that as its pretest step).',
  );
}

/** A database created by {@link createKamailioDatabase}. */
export interface KamailioDatabase {
  /** Database name, `authring_t_<random hex>`. */
  readonly name: string;
  /** `mysql://authring:authring@127.0.0.1:3306/<name>`: for Kamailio's db_url and for authring. */
  readonly url: string;
  /** A mysql2 pool on this database (`multipleStatements` on). */
  readonly pool: Pool;
  /**
   * The collation of every text column of the Kamailio tables, as `table.column` →
   * collation name (from information_schema), e.g. `subscriber.username` →
   * `utf8mb4_general_ci`.
   */
  readonly collations: ReadonlyMap<string, string>;
  /**
   * Runs one statement (or several, `;`-separated) on the pool.
   *
   * @param sql SQL text with `?` placeholders.
   * @param values the placeholders' values.
   * @returns the result: rows for a SELECT, a ResultSetHeader for other statements.
   */
  query<T extends QueryResult = RowDataPacket[]>(sql: string, values?: readonly unknown[]): Promise<T>;
  /** Closes the pool and drops this database (only this one). Safe to call twice. */
  drop(): Promise<void>;
}

const DATABASE_NAME = /^authring_t_[0-9a-f]{12}$/;

/**
 * Creates a fresh database with a unique name and loads Kamailio's real schema into it
 * from the files {@link findKamailioSchemaFiles} finds (never a hand-copied schema).
 *
 * @throws Error when MariaDB is unreachable or the schema files are not installed.
 */
export async function createKamailioDatabase(): Promise<KamailioDatabase> {
  mysqlEndpoint(); // refuses a non-loopback server
  const files = findKamailioSchemaFiles();
  if (files === undefined) {
    throw new Error(`Kamailio's MySQL schema files are not installed; install "${SCHEMA_PACKAGE}"`);
  }
  const name = `authring_t_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: mysqlUrl() });
  try {
    await admin.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await admin.end();
  }

  const url = mysqlUrl(name);
  const pool = mysql.createPool({ uri: url, multipleStatements: true, connectionLimit: 4 });
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await pool.end().catch(() => undefined);
    if (!DATABASE_NAME.test(name)) throw new Error(`refusing to drop unexpected database "${name}"`);
    const conn = await mysql.createConnection({ uri: mysqlUrl() });
    try {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await conn.end();
    }
  };

  try {
    await loadKamailioSchema(pool, files, name);
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLLATION_NAME AS coll FROM information_schema.COLUMNS ' +
        'WHERE TABLE_SCHEMA = ? AND COLLATION_NAME IS NOT NULL ORDER BY TABLE_NAME, ORDINAL_POSITION',
      [name],
    );
    const collations = new Map<string, string>();
    for (const row of rows) collations.set(`${String(row.t)}.${String(row.c)}`, String(row.coll));

    return {
      name,
      url,
      pool,
      collations,
      async query<T extends QueryResult = RowDataPacket[]>(sql: string, values?: readonly unknown[]): Promise<T> {
        const [result] = await pool.query<T>(sql, values === undefined ? undefined : [...values]);
        return result;
      },
      drop,
    };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/** Lowercase hex MD5 of a UTF-8 string. */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Digest HA1 as auth_db stores it in `ha1`: md5(`user:realm:password`), lowercase hex. */
export function digestHa1(user: string, realm: string, password: string): string {
  return md5Hex(`${user}:${realm}:${password}`);
}

/** One `subscriber` row. */
export interface SubscriberFixture {
  readonly username: string;
  readonly domain: string;
  /** The `password` column (plain text; auth_db ignores it with calculate_ha1=0). */
  readonly password: string;
  readonly ha1: string;
  readonly ha1b: string;
  /** The password a user agent must present to be accepted ('' when no password works). */
  readonly secret: string;
  /** Why the row is here. */
  readonly note: string;
}

/** One `grp` row. */
export interface GroupFixture {
  readonly username: string;
  readonly domain: string;
  readonly grp: string;
  readonly note: string;
}

/** One `address` row. */
export interface AddressFixture {
  readonly grp: number;
  readonly ipAddr: string;
  readonly mask: number;
  readonly port: number;
  readonly tag: string | null;
  readonly note: string;
}

/** A population for the `subscriber`, `grp` and `address` tables. */
export interface KamailioFixtures {
  readonly subscribers: readonly SubscriberFixture[];
  readonly groups: readonly GroupFixture[];
  readonly addresses: readonly AddressFixture[];
}

function subscriber(
  username: string,
  domain: string,
  secret: string,
  note: string,
  columns: Partial<Pick<SubscriberFixture, 'password' | 'ha1' | 'ha1b'>> = {},
): SubscriberFixture {
  return {
    username,
    domain,
    password: columns.password ?? secret,
    ha1: columns.ha1 ?? digestHa1(username, domain, secret),
    ha1b: columns.ha1b ?? '',
    secret,
    note,
  };
}

/**
 * The fixture population. Rows are inserted in array order, so ids (and with them the
 * order MariaDB returns several matching rows in) follow the arrays.
 *
 * Addresses use only loopback (127/8, ::1, ::ffff:127.0.0.1) and documentation ranges
 * (192.0.2.0/24, 2001:db8::/32) as inert data that nothing ever connects to.
 */
export const FIXTURES: KamailioFixtures = {
  subscribers: [
    subscriber('alice', 'example.com', 'alice-pw', 'plain user; ha1 and ha1b both set', {
      ha1b: digestHa1('alice@example.com', 'example.com', 'alice-pw'),
    }),
    subscriber('Alice', 'example.org', 'Alice-org-pw', 'case variant of alice, in another domain'),
    subscriber('bob', 'example.com', 'bob-com-pw', 'same username in two domains (inserted first)'),
    subscriber('bob', 'example.org', 'bob-org-pw', 'same username in two domains (inserted second)'),
    subscriber('carol ', 'example.com', 'carol-pw', 'username stored with a trailing space; ha1 of "carol"', {
      ha1: digestHa1('carol', 'example.com', 'carol-pw'),
    }),
    subscriber('dave', 'example.com', '', 'password set but ha1 empty: never accepted (calculate_ha1=0)', {
      password: 'dave-pw',
      ha1: '',
    }),
    subscriber('erin', 'example.com', 'erin-pw', 'ha1 only, empty password column', { password: '' }),
    subscriber('frank', '', 'frank-pw', 'empty domain; ha1 computed with realm example.com', {
      ha1: digestHa1('frank', 'example.com', 'frank-pw'),
    }),
    subscriber('grace', 'example.com', '', 'ha1 in UPPERCASE hex: the digest never matches', {
      password: 'grace-pw',
      ha1: digestHa1('grace', 'example.com', 'grace-pw').toUpperCase(),
    }),
    subscriber('heidi', 'Example.COM', 'heidi-pw', 'domain stored in mixed case; ha1 with realm example.com', {
      ha1: digestHa1('heidi', 'example.com', 'heidi-pw'),
      ha1b: digestHa1('heidi@example.com', 'example.com', 'heidi-pw'),
    }),
  ],
  groups: [
    { username: 'alice', domain: 'example.com', grp: 'ipauth', note: 'alice is in several groups' },
    { username: 'alice', domain: 'example.com', grp: 'voicemail', note: '' },
    { username: 'alice', domain: 'example.com', grp: 'Ops', note: 'group name in mixed case' },
    { username: 'Alice', domain: 'example.org', grp: 'IPAUTH', note: 'case variants of user and group' },
    { username: 'bob', domain: 'example.com', grp: 'voicemail', note: 'bob is never in ipauth' },
    { username: 'trent', domain: 'example.org', grp: 'ipauth', note: 'same user, different groups per domain' },
    { username: 'trent', domain: 'example.com', grp: 'intl', note: '' },
    { username: 'carol ', domain: 'example.com', grp: 'ipauth', note: 'username with a trailing space' },
    { username: 'dave', domain: 'example.com', grp: 'ipauth ', note: 'group name with a trailing space' },
    { username: 'erin', domain: 'example.com', grp: 'ops', note: 'lowercase twin of Ops' },
    { username: 'frank', domain: '', grp: 'ipauth', note: 'empty domain' },
    { username: 'josé', domain: 'example.com', grp: 'ipauth', note: 'non-ASCII: general_ci folds é to e' },
    { username: 'straße', domain: 'example.org', grp: 'voicemail', note: 'general_ci: ß equals s, not ss' },
  ],
  addresses: [
    { grp: 1, ipAddr: '127.0.0.1', mask: 32, port: 5060, tag: 'host-5060', note: '/32, one port' },
    { grp: 1, ipAddr: '127.0.0.2', mask: 32, port: 0, tag: null, note: '/32, any port' },
    { grp: 1, ipAddr: '127.10.0.0', mask: 16, port: 0, tag: 'net16', note: '/16' },
    { grp: 1, ipAddr: '127.20.30.0', mask: 24, port: 5080, tag: null, note: '/24, one port' },
    { grp: 1, ipAddr: '::1', mask: 128, port: 0, tag: 'v6-loopback', note: 'IPv6 /128' },
    { grp: 2, ipAddr: '127.0.0.0', mask: 8, port: 0, tag: null, note: '/8' },
    { grp: 2, ipAddr: '127.40.50.60', mask: 24, port: 0, tag: null, note: '/24 written with host bits set' },
    { grp: 2, ipAddr: '192.0.2.0', mask: 24, port: 5060, tag: null, note: 'TEST-NET-1, inert data' },
    { grp: 2, ipAddr: '::1', mask: 128, port: 5060, tag: null, note: 'IPv6 /128, one port' },
    { grp: 7, ipAddr: '127.0.0.7', mask: 32, port: 5070, tag: null, note: 'same host, two ports' },
    { grp: 7, ipAddr: '127.0.0.7', mask: 32, port: 5071, tag: null, note: 'same host, two ports' },
    { grp: 7, ipAddr: '0.0.0.0', mask: 0, port: 0, tag: null, note: 'mask 0' },
    { grp: 7, ipAddr: '127.30.0.0', mask: 0, port: 0, tag: null, note: 'mask 0 on a non-zero address' },
    { grp: 7, ipAddr: '2001:db8:ffff::1', mask: 0, port: 0, tag: null, note: 'IPv6 mask 0' },
    { grp: 7, ipAddr: '::ffff:127.0.0.1', mask: 128, port: 0, tag: null, note: 'IPv4-mapped IPv6' },
    { grp: 7, ipAddr: '2001:db8:1:2::', mask: 64, port: 0, tag: null, note: 'IPv6 /64, documentation range' },
  ],
};

/**
 * Every password a fixture subscriber accepts or has in its `password` column, plus one
 * that appears nowhere: the passwords worth trying for every user.
 */
export function fixturePasswords(fixtures: KamailioFixtures = FIXTURES): string[] {
  const passwords = fixtures.subscribers.flatMap((s) => [s.secret, s.password]).filter((p) => p !== '');
  return [...new Set([...passwords, 'wrong-pw'])];
}

/**
 * Inserts `fixtures` (default {@link FIXTURES}) into `db`'s `subscriber`, `grp` and
 * `address` tables, in array order.
 */
export async function loadFixtures(db: KamailioDatabase, fixtures: KamailioFixtures = FIXTURES): Promise<void> {
  for (const s of fixtures.subscribers) {
    await db.query('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)', [
      s.username,
      s.domain,
      s.password,
      s.ha1,
      s.ha1b,
    ]);
  }
  for (const g of fixtures.groups) {
    await db.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [g.username, g.domain, g.grp]);
  }
  for (const a of fixtures.addresses) {
    await db.query('INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES (?, ?, ?, ?, ?)', [
      a.grp,
      a.ipAddr,
      a.mask,
      a.port,
      a.tag,
    ]);
  }
}
