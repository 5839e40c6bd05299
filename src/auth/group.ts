import type { RowDataPacket } from 'mysql2/promise';
import type { LookupStatus } from '../cache/engine.js';
import type { LookupDeadline } from './lookup-deadline.js';
import type { NamedKind, NamedQuestions } from './named-questions.js';
import { identified } from './names/learn.js';
import { identifier, type SqlClient } from './sql.js';
import type { GroupTable } from './tables.js';

/**
 * `is_user_in` of Kamailio's group module: is there a `grp` row for this user (and domain, with
 * `use_domain`) and group? Cached per (user, [domain,] group) as `1`, or as a negative entry
 * (`0` in the plain codec); Kamailio's `$mct()` reads both (it reads an empty value as no entry).
 */
export class GroupLookup {
  private constructor(
    private readonly questions: NamedQuestions,
    private readonly useDomain: boolean,
    /** What the engine loads and reads, made once. */
    private readonly kind: NamedKind<boolean>,
  ) {}

  /** Prepares the query; names are keyed through `questions`. */
  static create(db: SqlClient, table: GroupTable, questions: NamedQuestions, queryTimeoutMs: number): GroupLookup {
    const where = [`${identifier(table.userColumn)} = ?`];
    if (table.useDomain) where.push(`${identifier(table.domainColumn)} = ?`);
    where.push(`${identifier(table.groupColumn)} = ?`);
    const sql = `SELECT ${identifier(table.groupColumn)} FROM ${identifier(table.table)} WHERE ${where.join(' AND ')} LIMIT 1`;
    const user = identified({ table: table.table, column: table.userColumn });
    const domain = identified({ table: table.table, column: table.domainColumn });
    const group = identified({ table: table.table, column: table.groupColumn });
    return new GroupLookup(questions, table.useDomain, {
      name: 'grp',
      columns: table.useDomain ? [user, domain, group] : [user, group],
      none: false,
      // The query may outlive the caller's deadline (which fails with DeadlineError, never with
      // the query's own timeout) and then fills the cache for the next caller.
      load: async (params) => {
        const rows = await db.select<RowDataPacket>(sql, params, queryTimeoutMs);
        return rows.length > 0 ? '1' : null;
      },
      // A member is `1`; a non-member is a negative entry, never a value.
      read: (text) => (text === '1' ? true : undefined),
      answer: (value) => value === '1',
    });
  }

  /** The cache key of a question: one per class of spellings the database treats as equal. */
  key(user: string, domain: string, group: string): Promise<string> {
    return this.questions.key(this.kind, this.names(user, domain, group));
  }

  /** True when the user is in the group. */
  isUserInGroup(user: string, domain: string, group: string, deadline: LookupDeadline, status?: LookupStatus): Promise<boolean> {
    return this.questions.ask(this.kind, this.names(user, domain, group), deadline, status);
  }

  /** The question's names, as the kind's columns and the query's parameters list them. */
  private names(user: string, domain: string, group: string): string[] {
    return this.useDomain ? [user, domain, group] : [user, group];
  }
}
