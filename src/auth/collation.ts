import type { RowDataPacket } from 'mysql2/promise';
import type { SqlClient } from './sql.js';

/**
 * Maps a name to one key per class of names the database compares as equal, so every spelling
 * the database treats as the same user, domain or group shares one cache entry (and one
 * invalidation).
 *
 * Exact by construction: equality is decided by the column's own collation through MySQL's
 * `WEIGHT_STRING()`. At start-up the weights of all printable ASCII characters are read once; if
 * they are one fixed-width weight per character (true of the usual `_bin`, `_general_ci`,
 * `_unicode_ci` and `latin1_swedish_ci` collations), an ASCII name is folded locally, with no
 * query, to the lowest character of each weight class. Other names ask MySQL for their weight
 * string (memoized); a weight string made only of ASCII weights folds to the same ASCII key as the
 * local path, anything else keys on the weights themselves.
 */
export class NameNormalizer {
  private readonly memo = new Map<string, string>();

  private constructor(
    private readonly sql: SqlClient,
    /** `CONVERT(? USING charset) COLLATE collation` for this column. */
    private readonly typedParameter: string,
    /** Character for each ASCII weight (hex), when the fast path is valid. */
    private readonly asciiByWeight: ReadonlyMap<string, string> | undefined,
    /** Representative character for each printable ASCII character. */
    private readonly fold: ReadonlyMap<string, string> | undefined,
    private readonly width: number,
    private readonly padSpace: boolean,
    private readonly memoSize: number,
    private readonly timeoutMs: number,
  ) {}

  /** Reads a column's collation and ASCII weights from the database. */
  static async forColumn(sql: SqlClient, table: string, column: string, timeoutMs: number, memoSize = 10_000): Promise<NameNormalizer> {
    const [info] = await sql.select<RowDataPacket>('SELECT CHARACTER_SET_NAME AS s, COLLATION_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, column],
      timeoutMs,
    );
    const plain = (value: unknown): string | undefined =>
      typeof value === 'string' && /^[A-Za-z0-9_]+$/.test(value) ? value : undefined;
    const charset = plain(info?.['s']) ?? 'binary';
    const collation = plain(info?.['c']) ?? 'binary';
    const typed = (expression: string): string => `CONVERT(${expression} USING ${charset}) COLLATE ${collation}`;
    const chars = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
    const probe = `SELECT ${chars.map(() => `HEX(WEIGHT_STRING(${typed('?')}))`).join(', ')}, ${typed("'a '")} = ${typed("'a'")}`;
    const values = await firstRow(sql, probe, chars, timeoutMs);
    const weights = chars.map((_, i) => String(values[i] ?? ''));
    const padSpace = Number(values[chars.length]) === 1;
    const width = weights[0]?.length ?? 0;
    const fixedWidth = width > 0 && weights.every((w) => w.length === width);
    let asciiByWeight: Map<string, string> | undefined;
    let fold: Map<string, string> | undefined;
    if (fixedWidth) {
      asciiByWeight = new Map();
      fold = new Map();
      chars.forEach((char, i) => {
        const weight = weights[i] ?? '';
        if (!asciiByWeight?.has(weight)) asciiByWeight?.set(weight, char);
        fold?.set(char, asciiByWeight?.get(weight) ?? char);
      });
    }
    return new NameNormalizer(sql, typedExpression(charset, collation), asciiByWeight, fold, width, padSpace, memoSize, timeoutMs);
  }

  /** The key of `name`'s equality class (a local computation for ASCII names). */
  async normalize(name: string): Promise<string> {
    const trimmed = this.padSpace ? name.replace(/ +$/, '') : name;
    const local = this.foldAscii(trimmed);
    if (local !== undefined) return local;
    const memoized = this.memo.get(trimmed);
    if (memoized !== undefined) return memoized;
    const [hex] = await firstRow(this.sql, `SELECT HEX(WEIGHT_STRING(${this.typedParameter}))`, [trimmed], this.timeoutMs);
    const weight = String(hex ?? '');
    const key = this.fromWeights(weight) ?? `~w${weight}`;
    if (this.memo.size >= this.memoSize) this.memo.clear();
    this.memo.set(trimmed, key);
    return key;
  }

  private foldAscii(name: string): string | undefined {
    if (!this.fold) return undefined;
    let out = '';
    for (const char of name) {
      const folded = this.fold.get(char);
      if (folded === undefined) return undefined;
      out += folded;
    }
    return out;
  }

  private fromWeights(weight: string): string | undefined {
    if (!this.asciiByWeight || weight.length % this.width !== 0) return undefined;
    let out = '';
    for (let i = 0; i < weight.length; i += this.width) {
      const char = this.asciiByWeight.get(weight.slice(i, i + this.width));
      if (char === undefined) return undefined;
      out += char;
    }
    return out;
  }
}

function typedExpression(charset: string, collation: string): string {
  return `CONVERT(? USING ${charset}) COLLATE ${collation}`;
}

/** The first row of a query, as an array of column values. */
async function firstRow(client: SqlClient, sql: string, params: string[], timeoutMs: number): Promise<unknown[]> {
  const rows = await client.select<RowDataPacket>({ sql, rowsAsArray: true }, params, timeoutMs);
  return (rows[0] as unknown as unknown[] | undefined) ?? [];
}
