import type { RowDataPacket } from 'mysql2/promise';
import type { LookupStatus } from '../cache/engine.js';
import type { LookupDeadline } from './lookup-deadline.js';
import type { NamedKind, NamedQuestions } from './named-questions.js';
import { identified } from './names/learn.js';
import { identifier, type SqlClient } from './sql.js';
import type { CredentialsTable } from './tables.js';
import { decodeCredentials, encodeCredentials, type Credentials } from './credentials-format.js';
import { MemoBound } from './memo-bound.js';

export type { Credentials } from './credentials-format.js';

/**
 * auth_db's credential lookup: the first `subscriber` row for the user (and domain, with
 * `use_domain`), as the module takes the first row the database returns. Cached per
 * (user, [domain]) in the form Kamailio's route reads too (./credentials-format.ts); a missing
 * subscriber is a negative entry.
 */
export class CredentialsLookup {
  private constructor(
    private readonly questions: NamedQuestions,
    private readonly useDomain: boolean,
    /** What the engine loads and reads, made once: a hit decodes its entry once, in the read's callback. */
    private readonly kind: NamedKind<Credentials | undefined>,
  ) {}

  /** Prepares the query; names are keyed through `questions`. */
  static create(db: SqlClient, table: CredentialsTable, questions: NamedQuestions, queryTimeoutMs: number): CredentialsLookup {
    const columns = [
      `${identifier(table.passwordColumn)} AS ha1`,
      `${identifier(table.passwordColumn2)} AS ha1b`,
      ...(table.calculateHa1 ? [`${identifier(table.plainPasswordColumn)} AS password`] : []),
    ];
    const where = [`${identifier(table.userColumn)} = ?`];
    if (table.useDomain) where.push(`${identifier(table.domainColumn)} = ?`);
    const sql = `SELECT ${columns.join(', ')} FROM ${identifier(table.table)} WHERE ${where.join(' AND ')}`;
    const entries = new DecodedEntries();
    const user = identified({ table: table.table, column: table.userColumn });
    const domain = identified({ table: table.table, column: table.domainColumn });
    return new CredentialsLookup(questions, table.useDomain, {
      name: 'cred',
      columns: table.useDomain ? [user, domain] : [user],
      none: undefined,
      // The query may outlive the caller's deadline (which fails with DeadlineError, never with
      // the query's own timeout) and then fills the cache for the next caller.
      load: async (params) => {
        const [row] = await db.select<RowDataPacket>(sql, params, queryTimeoutMs);
        if (!row) return null;
        return encodeCredentials({
          ha1: String(row['ha1'] ?? ''),
          ha1b: String(row['ha1b'] ?? ''),
          ...(table.calculateHa1 ? { password: String(row['password'] ?? '') } : {}),
        });
      },
      // Corrupted or foreign entries (no writer produces them) are misses, replaced.
      read: (text, key) => entries.read(text, key),
      answer: (value) => (value === null ? undefined : decodeCredentials(value)),
    });
  }

  /** The cache key of a subscriber: one per class of spellings the database treats as equal. */
  key(user: string, domain: string): Promise<string> {
    return this.questions.key(this.kind, this.names(user, domain));
  }

  /**
   * The subscriber's credentials, or undefined when there is none. Hits of an unchanged entry
   * share one (read-only) object.
   */
  getCredentials(user: string, domain: string, deadline: LookupDeadline, status?: LookupStatus): Promise<Credentials | undefined> {
    return this.questions.ask(this.kind, this.names(user, domain), deadline, status);
  }

  /** The question's names, as the kind's columns and the query's parameters list them. */
  private names(user: string, domain: string): string[] {
    return this.useDomain ? [user, domain] : [user];
  }
}

/** Entries {@link DecodedEntries} holds before it starts afresh. */
const DECODED_ENTRIES = 4096;

/**
 * The credentials each cache key's entry decoded to lately: a hit whose entry text is unchanged
 * (one comparison of the text) gets them without decoding again; any other text is decoded (and
 * checked) afresh. Bounded: started afresh when full, with no per-hit bookkeeping, and resting
 * when it did not pay (see {@link MemoBound}).
 */
class DecodedEntries {
  private readonly byKey = new Map<string, { readonly text: string; readonly credentials: Credentials }>();
  private readonly bound = new MemoBound(DECODED_ENTRIES);

  /** The credentials `text` at `key` holds, or undefined when it is malformed. */
  read(text: string, key: string): Credentials | undefined {
    const last = this.byKey.get(key);
    if (last !== undefined && last.text === text) {
      this.bound.hit();
      return last.credentials;
    }
    const credentials = decodeCredentials(text);
    if (credentials !== undefined && this.bound.admit(this.byKey.size, this.byKey)) this.byKey.set(key, { text, credentials });
    return credentials;
  }
}
