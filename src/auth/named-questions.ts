import type { LookupStatus } from '../cache/engine.js';
import type { KeyedKind, KeySpace } from './key-space.js';
import type { LookupDeadline } from './lookup-deadline.js';
import { isKeyed, NO_ROW_PART } from './names/key-part.js';
import type { IdentifiedColumn } from './names/learn.js';
import type { NameKeys } from './names/name-keys.js';

/**
 * A kind of question about names compared with `=` in a table's columns (credentials: user and,
 * with `use_domain`, domain; group membership: the same and the group). A question's names are
 * also its query's parameters, in the same order.
 */
export interface NamedKind<T> extends KeyedKind<T, string[]> {
  /** The name columns, in the order of a question's names. */
  readonly columns: readonly IdentifiedColumn[];
  /** The answer when a name can equal no row: known without a query or a cache entry. */
  readonly none: T;
}

/**
 * Asks questions of {@link NamedKind}s: keys the names (one key per class of spellings the
 * database treats as equal, `alice`, `ALICE` and `alice ` alike under `_ci`) and looks the key up.
 */
export class NamedQuestions {
  constructor(
    private readonly space: KeySpace,
    private readonly names: NameKeys,
    /** Milliseconds a weight-string query (for a name not keyed locally) may take. */
    private readonly queryTimeoutMs: number,
  ) {}

  /** The cache key of a question; a name no row can equal gets {@link NO_ROW_PART}. */
  async key(kind: NamedKind<unknown>, names: readonly string[]): Promise<string> {
    const parts = await this.names.partsSoon(kind.columns, names, this.queryTimeoutMs, 'key');
    return this.space.key(kind.name, parts.map((part) => part ?? NO_ROW_PART));
  }

  /**
   * The answer to a question about `names`. Not async: when the names are keyed at once (most
   * lookups), a hit is one callback on the engine's read. A question asked lately by the same
   * names (as spelt) in the same generation gets its key from the key space's memo without
   * keying them again.
   */
  ask<T>(kind: NamedKind<T>, names: string[], deadline: LookupDeadline, status?: LookupStatus): Promise<T> {
    const recent = this.space.recentAsOf(deadline);
    const version = this.names.version;
    const known = recent?.asked(kind.name, names, version);
    if (known !== undefined) return this.space.lookupKey(kind, known, names, deadline, status);
    let parts: (string | undefined)[] | Promise<(string | undefined)[]>;
    try {
      parts = this.names.partsSoon(kind.columns, names, this.queryTimeoutMs, deadline);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!Array.isArray(parts)) return parts.then((keyed) => this.keyed(kind, keyed, names, deadline, status));
    // Only keyed names are remembered: a name no row can equal is counted each time it is asked.
    if (recent === undefined || !isKeyed(parts)) return this.keyed(kind, parts, names, deadline, status);
    const key = recent.key(kind.name, parts);
    recent.remember(kind.name, names, version, key);
    return this.space.lookupKey(kind, key, names, deadline, status);
  }

  /** {@link ask} once the names are keyed. */
  private keyed<T>(kind: NamedKind<T>, parts: (string | undefined)[], names: string[], deadline: LookupDeadline, status?: LookupStatus): Promise<T> {
    if (!isKeyed(parts)) return Promise.resolve(kind.none);
    return this.space.lookup(kind, parts, names, deadline, status);
  }
}
