import { SourceUnavailableError } from '../../errors.js';
import { LookupDeadline } from '../lookup-deadline.js';
import type { SqlClient } from '../sql.js';
import type { ColumnFacts } from './collation-facts.js';
import { ASK_MYSQL, ColumnKeys, type NameCounters } from './column-keys.js';
import { KeyMemo } from './key-memo.js';
import { columnId, type IdentifiedColumn, type NameColumn } from './learn.js';
import { firstRow } from './probe.js';

/** Default of {@link NameKeys}' memo budget: 1 MiB. */
export const DEFAULT_KEY_MEMO_BYTES = 1 << 20;

/**
 * The key parts of every name column of the lookups: one {@link ColumnKeys} per column, sharing
 * one byte-bounded memo and one set of counters.
 */
export class NameKeys {
  /** How names were keyed, since creation. */
  readonly counters: NameCounters = { weightQueries: 0, noRowAnswers: 0 };
  /**
   * Changes whenever facts are put in force: a name's part (and so a key built from it) is
   * valid only at the version it was keyed under, so memos of keys by names compare it.
   */
  version = 0;
  private readonly memo: KeyMemo;
  private readonly columns = new Map<string, ColumnKeys>();

  constructor(
    private readonly sql: SqlClient,
    memoBytes = DEFAULT_KEY_MEMO_BYTES,
  ) {
    this.memo = new KeyMemo(memoBytes);
  }

  /** Puts facts in force (replacing older ones of the same columns). */
  use(facts: Iterable<ColumnFacts>): void {
    for (const column of facts) {
      const current = this.columns.get(column.id);
      if (current && JSON.stringify(current.facts) === JSON.stringify(column)) continue;
      if (current) this.memo.clear();
      this.columns.set(column.id, new ColumnKeys(column, this.memo, this.counters));
      this.version += 1;
    }
  }

  /** The facts in force for a column, if known. */
  factsOf(column: NameColumn): ColumnFacts | undefined {
    return this.columns.get(columnId(column))?.facts;
  }

  /**
   * The key part of `name` in `column`, or undefined when no row can equal it. A weight-string
   * query, when one is needed, may take `timeoutMs`; the caller waits no longer than what is left
   * of the lookup's `deadline`. With `key` instead of a deadline (for `keysFor`), a name longer
   * than the column still gets the part it is keyed by, if that needs no query.
   * @throws SourceUnavailableError when the column's facts are unknown or MySQL fails;
   *   DeadlineError when the deadline passes first.
   */
  async part(column: NameColumn, name: string, timeoutMs: number, deadline: LookupDeadline | 'key'): Promise<string | undefined> {
    const id = columnId(column);
    const keys = this.keysOf(id);
    // Like a lookup's load, the query is not cut at the caller's deadline (which then fails with
    // DeadlineError, never with the query's own timeout): it runs on and fills the memo.
    const ask = (sql: string, params: string[]): Promise<unknown[]> => firstRow(this.sql, sql, params, timeoutMs);
    const label = `${id} = ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)}`;
    if (deadline !== 'key') return deadline.run(label, () => keys.part(name, ask));
    return new LookupDeadline(timeoutMs).run(label, () => keys.part(name, ask, true));
  }

  /**
   * {@link part} without a wait when a lookup can have it at once: the part itself when the name
   * is keyed locally or remembered (most names, every time), a promise only when MySQL must weigh
   * it (or for `key`, which keys long names too).
   * @throws SourceUnavailableError when the column's facts are unknown.
   */
  partSoon(column: IdentifiedColumn, name: string, timeoutMs: number, deadline: LookupDeadline | 'key'): string | undefined | Promise<string | undefined> {
    if (deadline === 'key') return this.part(column, name, timeoutMs, deadline);
    const known = this.keysOf(column.id).partAtOnce(name);
    return known === ASK_MYSQL ? this.part(column, name, timeoutMs, deadline) : known;
  }

  /**
   * The key parts of a question's names, `names[i]` in `columns[i]`, keyed in order as
   * {@link partSoon} keys each: the parts themselves when every name is keyed at once (a hit's
   * usual case), else a promise, which awaits each name MySQL must weigh before keying the next.
   * @throws SourceUnavailableError when a column's facts are unknown (before any name needed MySQL).
   */
  partsSoon(
    columns: readonly IdentifiedColumn[],
    names: readonly string[],
    timeoutMs: number,
    deadline: LookupDeadline | 'key',
  ): (string | undefined)[] | Promise<(string | undefined)[]> {
    const parts: (string | undefined)[] = [];
    for (let i = 0; i < columns.length; i++) {
      const part = this.partSoon(columns[i] as IdentifiedColumn, names[i] as string, timeoutMs, deadline);
      if (typeof part === 'object') return this.partsAfter(columns, names, timeoutMs, deadline, parts, part);
      parts.push(part);
    }
    return parts;
  }

  /** {@link partsSoon} once a name must be awaited: that part, then the rest in order. */
  private async partsAfter(
    columns: readonly IdentifiedColumn[],
    names: readonly string[],
    timeoutMs: number,
    deadline: LookupDeadline | 'key',
    parts: (string | undefined)[],
    waiting: Promise<string | undefined>,
  ): Promise<(string | undefined)[]> {
    parts.push(await waiting);
    for (let i = parts.length; i < columns.length; i++) parts.push(await this.partSoon(columns[i] as IdentifiedColumn, names[i] as string, timeoutMs, deadline));
    return parts;
  }

  private keysOf(id: string): ColumnKeys {
    const keys = this.columns.get(id);
    if (!keys) throw new SourceUnavailableError(id, new Error(`the collation of ${id} is not known yet (MySQL has not answered since start-up)`));
    return keys;
  }

  /** The memo's size. */
  memoStats(): { readonly entries: number; readonly bytes: number } {
    return this.memo.stats();
  }
}
