/**
 * The same three questions answered by MySQL directly, one query per question, as Kamailio's
 * group and auth_db modules send them (the permissions module reads the address table once at
 * start, as Kamailio does). `--direct` runs the proxy on these instead of authring, to measure
 * what the cache saves.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { AddressTable, SourceUnavailableError, authCacheOptions, createMysqlPool, type AuthringConfig, type Credentials, type MysqlOptions } from '../../src/index.js';
import type { AuthLookups } from './proxy.js';

const id = (name: string): string => `\`${name}\``;

/** Kamailio's queries on a mysql2 pool. */
export class DirectLookups implements AuthLookups {
  private constructor(
    private readonly pool: Pool,
    private readonly config: AuthringConfig['lookups'],
    private readonly timeoutMs: number,
    private readonly addresses: AddressTable,
  ) {}

  /** Opens the pool and loads the address table. */
  static async start(config: AuthringConfig): Promise<DirectLookups> {
    // The pool authring itself would open from this file, so both modes connect alike.
    const { mysql } = authCacheOptions(config);
    if (!isOptions(mysql)) throw new TypeError('authCacheOptions returned a pool');
    const pool = createMysqlPool(mysql);
    const a = config.lookups.address;
    try {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT ${id(a.groupColumn)} AS grp, ${id(a.ipColumn)} AS ip, ${id(a.maskColumn)} AS mask, ${id(a.portColumn)} AS port, ${id(a.tagColumn)} AS tag FROM ${id(a.table)}`,
      );
      const table = new AddressTable(
        rows.map((row) => ({ group: Number(row['grp']), ip: String(row['ip']), mask: Number(row['mask']), port: Number(row['port']), tag: row['tag'] === null ? null : String(row['tag']) })),
      );
      return new DirectLookups(pool, config.lookups, config.mysql.queryTimeoutMs, table);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async allowAddress(ip: string, group: number, port: number): Promise<boolean> {
    return this.addresses.allows(ip, group, port);
  }

  async getCredentials(user: string, domain: string): Promise<Credentials | undefined> {
    const c = this.config.credentials;
    const where = [`${id(c.userColumn)} = ?`, ...(c.useDomain ? [`${id(c.domainColumn)} = ?`] : [])];
    const columns = [`${id(c.passwordColumn)} AS ha1`, `${id(c.passwordColumn2)} AS ha1b`, ...(c.calculateHa1 ? [`${id(c.plainPasswordColumn)} AS password`] : [])];
    const rows = await this.select(`SELECT ${columns.join(', ')} FROM ${id(c.table)} WHERE ${where.join(' AND ')}`, c.useDomain ? [user, domain] : [user]);
    const row = rows[0];
    if (!row) return undefined;
    return { ha1: String(row['ha1'] ?? ''), ha1b: String(row['ha1b'] ?? ''), ...(c.calculateHa1 ? { password: String(row['password'] ?? '') } : {}) };
  }

  async isUserInGroup(user: string, domain: string, group: string): Promise<boolean> {
    const g = this.config.group;
    const where = [`${id(g.userColumn)} = ?`, ...(g.useDomain ? [`${id(g.domainColumn)} = ?`] : []), `${id(g.groupColumn)} = ?`];
    const rows = await this.select(`SELECT ${id(g.groupColumn)} FROM ${id(g.table)} WHERE ${where.join(' AND ')}`, g.useDomain ? [user, domain, group] : [user, group]);
    return rows.length > 0;
  }

  /** Runs a query; a failure is the typed error authring throws, so the proxy answers 503 either way. */
  private async select(sql: string, values: string[]): Promise<RowDataPacket[]> {
    try {
      const [rows] = await this.pool.query<RowDataPacket[]>({ sql, values, timeout: this.timeoutMs });
      return rows;
    } catch (error) {
      throw new SourceUnavailableError(sql, error);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

function isOptions(value: Pool | MysqlOptions): value is MysqlOptions {
  return !('getConnection' in value);
}
