import type { RowDataPacket } from 'mysql2/promise';
import type { ReadThroughCache, LookupStatus } from '../cache/engine.js';
import type { KeySpace } from './key-space.js';
import type { LookupDeadline } from './lookup-deadline.js';
import { isKeyed, NO_ROW_PART } from './names/key-part.js';
import type { NameKeys } from './names/name-keys.js';
import { identifier, type SqlClient } from './sql.js';
import type { CredentialsTable } from './tables.js';
import { decodeCredentials, encodeCredentials, type Credentials } from './credentials-format.js';

export type { Credentials } from './credentials-format.js';

/**
 * auth_db's credential lookup: the first `subscriber` row for the user (and domain, with
 * `use_domain`), as the module takes the first row the database returns. Cached per
 * (user, [domain]) in the form Kamailio's route reads too (./credentials-format.ts); a missing
 * subscriber is a negative entry.
 */
export class CredentialsLookup {
  private constructor(
    private readonly engine: ReadThroughCache,
    private readonly db: SqlClient,
    private readonly table: CredentialsTable,
    private readonly space: KeySpace,
    private readonly queryTimeoutMs: number,
    private readonly names: NameKeys,
    private readonly sql: string,
  ) {}

  /** Prepares the query; names are keyed through `names`. */
  static create(engine: ReadThroughCache, db: SqlClient, table: CredentialsTable, space: KeySpace, queryTimeoutMs: number, names: NameKeys): CredentialsLookup {
    const columns = [
      `${identifier(table.passwordColumn)} AS ha1`,
      `${identifier(table.passwordColumn2)} AS ha1b`,
      ...(table.calculateHa1 ? [`${identifier(table.plainPasswordColumn)} AS password`] : []),
    ];
    const where = [`${identifier(table.userColumn)} = ?`];
    if (table.useDomain) where.push(`${identifier(table.domainColumn)} = ?`);
    const sql = `SELECT ${columns.join(', ')} FROM ${identifier(table.table)} WHERE ${where.join(' AND ')}`;
    return new CredentialsLookup(engine, db, table, space, queryTimeoutMs, names, sql);
  }

  /** The cache key of a subscriber: one per class of spellings the database treats as equal. */
  async key(user: string, domain: string): Promise<string> {
    return this.space.key('cred', (await this.parts(user, domain, 'key')).map((part) => part ?? NO_ROW_PART));
  }

  /** The key parts of the question's names; an undefined part is a name no row can equal. */
  private async parts(user: string, domain: string, deadline: 'key'): Promise<(string | undefined)[]> {
    const { table, userColumn, domainColumn } = this.table;
    const parts = [await this.names.part({ table, column: userColumn }, user, this.queryTimeoutMs, deadline)];
    if (this.table.useDomain) parts.push(await this.names.part({ table, column: domainColumn }, domain, this.queryTimeoutMs, deadline));
    return parts;
  }

  /** The subscriber's credentials, or undefined when there is none. */
  async getCredentials(user: string, domain: string, deadline: LookupDeadline, status?: LookupStatus): Promise<Credentials | undefined> {
    const { table, userColumn, domainColumn } = this.table;
    // Names are mostly keyed at once: only a part MySQL must weigh is awaited.
    const first = this.names.partSoon({ table, column: userColumn }, user, this.queryTimeoutMs, deadline);
    const parts = [typeof first === 'object' ? await first : first];
    if (this.table.useDomain) {
      const second = this.names.partSoon({ table, column: domainColumn }, domain, this.queryTimeoutMs, deadline);
      parts.push(typeof second === 'object' ? await second : second);
    }
    if (!isKeyed(parts)) return undefined;
    const value = await this.lookup(user, domain, parts, deadline, status);
    // The engine served nothing decodeCredentials refuses (such an entry is a counted miss, replaced).
    return value === null ? undefined : decodeCredentials(value);
  }

  private lookup(user: string, domain: string, parts: string[], deadline: LookupDeadline, status?: LookupStatus): Promise<string | null> {
    const params = this.table.useDomain ? [user, domain] : [user];
    return this.space.lookup(
      this.engine,
      'cred',
      parts,
      // The query may outlive the caller's deadline (which fails with DeadlineError, never with
      // the query's own timeout) and then fills the cache for the next caller.
      async () => {
        const [row] = await this.db.select<RowDataPacket>(this.sql, params, this.queryTimeoutMs);
        if (!row) return null;
        return encodeCredentials({
          ha1: String(row['ha1'] ?? ''),
          ha1b: String(row['ha1b'] ?? ''),
          ...(this.table.calculateHa1 ? { password: String(row['password'] ?? '') } : {}),
        });
      },
      deadline,
      status,
      // Corrupted or foreign entries (no writer produces them) are misses, replaced.
      (text) => decodeCredentials(text) !== undefined,
    );
  }
}

