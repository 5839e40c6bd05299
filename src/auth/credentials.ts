import type { RowDataPacket } from 'mysql2/promise';
import type { ReadThroughCache, LookupStatus } from '../cache/engine.js';
import type { KeySpace } from './key-space.js';
import type { LookupDeadline } from './lookup-deadline.js';
import { isKeyed, NO_ROW_PART } from './names/key-part.js';
import type { NameKeys } from './names/name-keys.js';
import { identified, type IdentifiedColumn } from './names/learn.js';
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
  /**
   * The last entry text the validator accepted and what it decoded to: a hit's answer is that
   * text, so it is decoded once, not again for the answer. Compared by value, so a lookup that
   * another one's validation overtook decodes its own text afresh.
   */
  private validatedText: string | undefined;
  private validated: Credentials | undefined;
  /** The engine's validator: decodes, and keeps the result for the answer. */
  private readonly accepts = (text: string): boolean => {
    const credentials = decodeCredentials(text);
    if (credentials === undefined) return false;
    this.validatedText = text;
    this.validated = credentials;
    return true;
  };

  private constructor(
    private readonly engine: ReadThroughCache,
    private readonly db: SqlClient,
    private readonly table: CredentialsTable,
    private readonly space: KeySpace,
    private readonly queryTimeoutMs: number,
    private readonly names: NameKeys,
    private readonly sql: string,
    /** The user and domain columns, identified once rather than per lookup. */
    private readonly columns: { readonly user: IdentifiedColumn; readonly domain: IdentifiedColumn },
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
    const nameColumns = {
      user: identified({ table: table.table, column: table.userColumn }),
      domain: identified({ table: table.table, column: table.domainColumn }),
    };
    return new CredentialsLookup(engine, db, table, space, queryTimeoutMs, names, sql, nameColumns);
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

  /**
   * The subscriber's credentials, or undefined when there is none. Not async: when the names are
   * keyed at once (most lookups), a hit is one callback on the engine's answer.
   */
  getCredentials(user: string, domain: string, deadline: LookupDeadline, status?: LookupStatus): Promise<Credentials | undefined> {
    const { names, columns, queryTimeoutMs } = this;
    let first: string | undefined | Promise<string | undefined>;
    let second: string | undefined | Promise<string | undefined>;
    try {
      first = names.partSoon(columns.user, user, queryTimeoutMs, deadline);
      // The domain is keyed after the user, as before, when the user's part must be awaited.
      if (typeof first === 'object') return this.keyingFirst(user, domain, first, deadline, status);
      if (this.table.useDomain) second = names.partSoon(columns.domain, domain, queryTimeoutMs, deadline);
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof second === 'object') return second.then((part) => this.answer(user, domain, [first, part], deadline, status));
    return this.answer(user, domain, this.table.useDomain ? [first, second] : [first], deadline, status);
  }

  /** {@link getCredentials} when the user's part must be awaited (MySQL weighs the name). */
  private async keyingFirst(user: string, domain: string, first: Promise<string | undefined>, deadline: LookupDeadline, status?: LookupStatus): Promise<Credentials | undefined> {
    const parts = [await first];
    if (this.table.useDomain) parts.push(await this.names.partSoon(this.columns.domain, domain, this.queryTimeoutMs, deadline));
    return this.answer(user, domain, parts, deadline, status);
  }

  /** The answer once the names are keyed. */
  private answer(user: string, domain: string, parts: (string | undefined)[], deadline: LookupDeadline, status?: LookupStatus): Promise<Credentials | undefined> {
    if (!isKeyed(parts)) return Promise.resolve(undefined);
    return this.lookup(user, domain, parts, deadline, status).then(this.credentialsOf);
  }

  /**
   * The credentials in an answer: a hit's text was decoded by the validator just now; a loaded
   * value (never validated) is decoded here. The engine served nothing decodeCredentials refuses
   * (such an entry is a counted miss, replaced).
   */
  private readonly credentialsOf = (value: string | null): Credentials | undefined => {
    if (value === null) return undefined;
    return value === this.validatedText ? this.validated : decodeCredentials(value);
  };

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
      this.accepts,
    );
  }
}

