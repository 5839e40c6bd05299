/**
 * The benchmark's database: Kamailio's schema (test/helpers/kamailio-db.ts) with a population of
 * subscribers that are all in `ipauth`, a callee, and a MySQL login of its own. MariaDB's
 * per-user statistics (`userstat`) count the SELECTs that login runs, so the figures are the
 * queries the proxies under test sent, whatever else uses the shared server meanwhile.
 */
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { createKamailioDatabase, digestHa1, type KamailioDatabase } from '../../test/helpers/kamailio-db.js';
import { mysqlUrl } from '../../test/helpers/services.js';

/** The domain (and digest realm) of every benchmark user. */
export const DOMAIN = 'bench.example';
/** The user every call calls. */
export const CALLEE = { user: 'callee', password: 'callee-pw' } as const;

/** The password of population user `name`. */
export const passwordOf = (name: string): string => `pw-${name}`;

/** A population database with a counted login. */
export class BenchDatabase {
  private constructor(
    private readonly db: KamailioDatabase,
    private readonly admin: Connection,
    /** The population's user names. */
    readonly users: readonly string[],
    /** `mysql://…` with the counted login. */
    readonly url: string,
    private readonly login: string,
  ) {}

  /** Creates the database, `count` users and the login, and turns per-user statistics on. */
  static async create(count: number): Promise<BenchDatabase> {
    const db = await createKamailioDatabase();
    const admin = await createConnection({ uri: mysqlUrl() });
    const users = Array.from({ length: count }, (_, i) => `u${String(i + 1).padStart(6, '0')}`);
    for (let i = 0; i < users.length; i += 1000) {
      const slice = users.slice(i, i + 1000);
      await db.query(`INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ${slice.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, slice.flatMap((u) => [u, DOMAIN, passwordOf(u), digestHa1(u, DOMAIN, passwordOf(u)), digestHa1(`${u}@${DOMAIN}`, DOMAIN, passwordOf(u))]));
      await db.query(`INSERT INTO grp (username, domain, grp) VALUES ${slice.map(() => '(?, ?, ?)').join(', ')}`, slice.flatMap((u) => [u, DOMAIN, 'ipauth']));
    }
    await db.query('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)', [CALLEE.user, DOMAIN, CALLEE.password, digestHa1(CALLEE.user, DOMAIN, CALLEE.password), '']);
    // Address group 1 holds one host the load never comes from: every call is authenticated.
    await db.query("INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES (1, '127.0.0.254', 32, 0, NULL)");

    const login = `sipbench_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await admin.query(`CREATE USER '${login}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT SELECT ON \`${db.name}\`.* TO '${login}'@'127.0.0.1'`);
    // Left on at the end: switching it back off would stop the counting under a test run or
    // another bench run measuring on the same server meanwhile. On, it only keeps statistics.
    await admin.query('SET GLOBAL userstat = 1');
    const url = new URL(mysqlUrl(db.name));
    url.username = login;
    url.password = password;
    return new BenchDatabase(db, admin, users, url.toString(), login);
  }

  /** SELECTs the counted login has run so far. */
  async selects(): Promise<number> {
    const [rows] = await this.admin.query<RowDataPacket[]>('SELECT SELECT_COMMANDS AS n FROM information_schema.USER_STATISTICS WHERE USER = ?', [this.login]);
    return Number(rows[0]?.['n'] ?? 0);
  }

  /** Drops the login and the database (`userstat` stays on, see {@link create}). */
  async close(): Promise<void> {
    await this.admin.query(`DROP USER IF EXISTS '${this.login}'@'127.0.0.1'`).catch(() => undefined);
    await this.admin.end();
    await this.db.drop();
  }
}
