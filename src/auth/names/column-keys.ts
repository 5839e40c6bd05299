import type { ColumnFacts } from './collation-facts.js';
import type { KeyMemo } from './key-memo.js';
import { keyPart, representatives, weightPart } from './key-part.js';
import { codepointWeight } from './probe.js';

/** Runs one query on MySQL and returns its first row (the caller bounds its time and types its errors). */
export type AskMysql = (sql: string, params: string[]) => Promise<unknown[]>;

/** Counters of how names were keyed. */
export interface NameCounters {
  /** Names keyed by a weight-string query to MySQL (memo misses). */
  weightQueries: number;
  /** Names answered "no row" without MySQL: the column cannot hold them, or they are too long. */
  noRowAnswers: number;
}

/** What {@link ColumnKeys.partAtOnce} answers for a name only MySQL can weigh (not yet memoized). */
export const ASK_MYSQL: unique symbol = Symbol('ask MySQL');

/** Names remembered by {@link ColumnKeys}' hot map before it starts afresh. */
const HOT_NAMES = 2048;
/** Longest name (UTF-16 units) the hot map remembers: real user, domain and group names are short. */
const HOT_NAME_UNITS = 64;

/** `a lone surrogate` → U+FFFD: mysql2 sends UTF-8, so this is the name MySQL compares. */
export function asSent(name: string): string {
  return name.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Maps the names of one column to key parts, one per class of names its collation finds equal
 * (see {@link keyPart}). Most names are keyed locally from the column's facts; a name with a
 * character whose weight is not known locally asks MySQL for its weight string once (memoized
 * in the byte-bounded {@link KeyMemo}). A name no row can equal (one the column's character set
 * cannot hold, or with more characters than the column once trailing spaces are dropped under
 * PAD SPACE) has no key: the lookup answers "no" without MySQL.
 */
export class ColumnKeys {
  private readonly reps: Map<string, string>;
  private readonly askSql: string;
  /**
   * Short names keyed lately, with their parts (null: no row can equal the name). Hot names come
   * back on every request, and keying one costs a regular expression and a walk over its
   * characters; the map is cleared when full, which costs nothing per hit (no LRU bookkeeping).
   */
  private readonly hot = new Map<string, string | null>();

  constructor(
    /** The column's facts. */
    readonly facts: ColumnFacts,
    private readonly memo: KeyMemo,
    private readonly counters: NameCounters,
  ) {
    const { charset, collation, repertoire } = facts.collation;
    this.reps = representatives(facts.collation);
    this.askSql =
      `SELECT HEX(WEIGHT_STRING(CONVERT(? USING ${charset}) COLLATE ${collation}))` +
      // Does the name convert to the column's character set without loss? If not, MySQL refuses
      // to compare it ("Illegal mix of collations"): no row can equal it.
      (repertoire === 'ask' ? `, HEX(CONVERT(CONVERT(? USING ${charset}) USING utf8mb4)) = HEX(CONVERT(? USING utf8mb4))` : '');
  }

  /**
   * The key part of `name`, or undefined when no row can equal it. With `keepLong`, a name longer
   * than the column that is keyed locally still gets its part (the key a Kamailio node builds for
   * it), for callers that want the key rather than the answer.
   */
  async part(name: string, ask: AskMysql, keepLong = false): Promise<string | undefined> {
    if (!keepLong) {
      const known = this.partAtOnce(name);
      if (known !== ASK_MYSQL) return known;
    }
    const sent = asSent(name);
    const local = this.localUnits(sent);
    if (local === 'no-row') return this.noRow();
    if (local !== 'ask') {
      const units = this.trimmed(local);
      return this.tooLong(units.length) && !keepLong ? this.noRow() : keyPart(units, this.reps);
    }
    const id = `${this.facts.id}\n${sent}`;
    const memoized = this.memo.get(id);
    if (memoized !== undefined) return memoized === null ? this.noRow() : memoized;
    const trimmedName = this.facts.collation.padSpace ? sent.replace(/ +$/, '') : sent;
    this.counters.weightQueries += 1;
    const row = await ask(this.askSql, this.facts.collation.repertoire === 'ask' ? [trimmedName, trimmedName, trimmedName] : [trimmedName]);
    const part = row.length > 1 && Number(row[1]) !== 1 ? null : this.fromHex(String(row[0] ?? ''));
    this.memo.set(id, part);
    return part === null ? this.noRow() : part;
  }

  /**
   * The key part of `name` when it needs no query (keyed locally, or memoized), undefined when no
   * row can equal it, or {@link ASK_MYSQL}: then {@link part} asks MySQL.
   */
  partAtOnce(name: string): string | undefined | typeof ASK_MYSQL {
    const hot = this.hot.get(name);
    if (hot !== undefined) return hot === null ? this.noRow() : hot;
    const sent = asSent(name);
    const local = this.localUnits(sent);
    let part: string | null;
    if (local === 'ask') {
      const memoized = this.memo.get(`${this.facts.id}\n${sent}`);
      if (memoized === undefined) return ASK_MYSQL;
      part = memoized;
    } else if (local === 'no-row') part = null;
    else {
      const units = this.trimmed(local);
      part = this.tooLong(units.length) ? null : keyPart(units, this.reps);
    }
    if (name.length <= HOT_NAME_UNITS) {
      if (this.hot.size >= HOT_NAMES) this.hot.clear();
      this.hot.set(name, part);
    }
    return part === null ? this.noRow() : part;
  }

  /** The weight units of a name computed locally, `ask` when MySQL must weigh it, or `no-row`. */
  private localUnits(sent: string): string[] | 'ask' | 'no-row' {
    const { collation, maxChars } = this.facts;
    const { repertoire, weights, chars, unitHex, oneUnitPerChar, padSpace } = collation;
    const units: string[] = [];
    let needsMysql = false;
    let count = 0;
    for (const char of sent) {
      count += 1;
      if (repertoire === 'bmp' && char.length > 1) return 'no-row';
      if (repertoire === 'table' && chars[char] === undefined) return 'no-row';
      if (needsMysql) continue;
      const weight = weights === 'codepoint' ? codepointWeight(char, unitHex) : chars[char];
      if (weight === undefined) needsMysql = true;
      else if (weight.length > 0) units.push(weight);
    }
    if (!needsMysql) return units;
    if (oneUnitPerChar && maxChars !== undefined) {
      // Only the space weighs like a space here, so the characters left once trailing spaces are
      // dropped are the units the database compares.
      const trailing = padSpace ? sent.length - sent.replace(/ +$/, '').length : 0;
      if (count - trailing > maxChars) return 'no-row';
    }
    return 'ask';
  }

  /** Drops trailing space weights under PAD SPACE. */
  private trimmed(units: string[]): string[] {
    const { padSpace, spaceUnit } = this.facts.collation;
    let end = units.length;
    if (padSpace) while (end > 0 && units[end - 1] === spaceUnit) end -= 1;
    return end === units.length ? units : units.slice(0, end);
  }

  private fromHex(hex: string): string | null {
    const { unitHex } = this.facts.collation;
    if (unitHex === 0 || hex.length % unitHex !== 0) return weightPart(hex);
    const units = this.trimmed(Array.from({ length: hex.length / unitHex }, (_, i) => hex.slice(i * unitHex, (i + 1) * unitHex)));
    return this.tooLong(units.length) ? null : keyPart(units, this.reps);
  }

  /** More units than the column has characters, where each character is one unit: no row. */
  private tooLong(units: number): boolean {
    return this.facts.collation.oneUnitPerChar && this.facts.maxChars !== undefined && units > this.facts.maxChars;
  }

  private noRow(): undefined {
    this.counters.noRowAnswers += 1;
    return undefined;
  }
}
