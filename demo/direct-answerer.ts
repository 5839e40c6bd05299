/**
 * Phase A, "without authring": every question goes to MySQL as Kamailio's modules send it, one
 * query per question: the group module's `is_user_in` and auth_db's subscriber lookup run a
 * SELECT per SIP request. The permissions module, like Kamailio's, reads the whole `address`
 * table once at start-up and answers `allow_address` from memory (matched with authring's
 * exported {@link AddressTable}, which implements Kamailio 5.6's matching rules).
 */
import { createPool, type Pool, type RowDataPacket } from 'mysql2/promise';
import { AddressTable, type AddressRow, type AuthringConfig } from '../src/index.js';
import type { Answerer, DemoCredentials } from './answerer.js';

const quote = (name: string): string => `\`${name}\``;

/** Answers every question with its own SQL query on a mysql2 pool, as Kamailio does. */
export class DirectAnswerer implements Answerer {
  private queries = 0;

  private constructor(
    private readonly pool: Pool,
    private readonly groupSql: string,
    private readonly groupUsesDomain: boolean,
    private readonly credentialsSql: string,
    private readonly credentialsUseDomain: boolean,
    private readonly addresses: AddressTable,
  ) {}

  /**
   * Opens the pool (the config's size) and loads the address table: one SELECT, as Kamailio's
   * permissions module does at start-up.
   */
  static async start(config: AuthringConfig): Promise<DirectAnswerer> {
    const { mysql, lookups } = config;
    const pool = createPool({
      host: mysql.host,
      port: mysql.port,
      user: mysql.user,
      password: mysql.password,
      database: mysql.database,
      connectionLimit: mysql.poolSize,
      connectTimeout: mysql.connectTimeoutMs,
      charset: 'utf8mb4',
    });
    const g = lookups.group;
    const groupWhere = [`${quote(g.userColumn)} = ?`, ...(g.useDomain ? [`${quote(g.domainColumn)} = ?`] : []), `${quote(g.groupColumn)} = ?`];
    const groupSql = `SELECT ${quote(g.groupColumn)} FROM ${quote(g.table)} WHERE ${groupWhere.join(' AND ')}`;
    const c = lookups.credentials;
    const credentialsWhere = [`${quote(c.userColumn)} = ?`, ...(c.useDomain ? [`${quote(c.domainColumn)} = ?`] : [])];
    const credentialsSql =
      `SELECT ${quote(c.passwordColumn)} AS ha1, ${quote(c.passwordColumn2)} AS ha1b FROM ${quote(c.table)} ` +
      `WHERE ${credentialsWhere.join(' AND ')}`;
    const a = lookups.address;
    try {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT ${quote(a.groupColumn)} AS grp, ${quote(a.ipColumn)} AS ip, ${quote(a.maskColumn)} AS mask, ` +
          `${quote(a.portColumn)} AS port, ${quote(a.tagColumn)} AS tag FROM ${quote(a.table)}`,
      );
      const table = new AddressTable(
        rows.map((row): AddressRow => ({
          group: Number(row['grp']),
          ip: String(row['ip']),
          mask: Number(row['mask']),
          port: Number(row['port']),
          tag: row['tag'] === null ? null : String(row['tag']),
        })),
      );
      return new DirectAnswerer(pool, groupSql, g.useDomain, credentialsSql, c.useDomain, table);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async isUserInGroup(user: string, domain: string, group: string): Promise<boolean> {
    const params = this.groupUsesDomain ? [user, domain, group] : [user, group];
    this.queries += 1;
    const [rows] = await this.pool.query<RowDataPacket[]>(this.groupSql, params);
    return rows.length > 0;
  }

  async getCredentials(user: string, domain: string): Promise<DemoCredentials | undefined> {
    const params = this.credentialsUseDomain ? [user, domain] : [user];
    this.queries += 1;
    const [rows] = await this.pool.query<RowDataPacket[]>(this.credentialsSql, params);
    const row = rows[0];
    return row === undefined ? undefined : { ha1: String(row['ha1'] ?? ''), ha1b: String(row['ha1b'] ?? '') };
  }

  allowAddress(ip: string, group: number, port: number): Promise<boolean> {
    return Promise.resolve(this.addresses.allows(ip, group, port));
  }

  workloadQueries(): number {
    return this.queries;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
