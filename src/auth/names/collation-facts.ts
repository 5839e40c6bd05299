/**
 * What authring must know about a column's collation to build keys that follow the database's
 * equality: learnt from MySQL itself (`WEIGHT_STRING()` of probe characters), never assumed from
 * a collation's name alone, and small enough to be kept in memcached for a node that starts while
 * MySQL is down.
 */

/** How the weights of a name's characters are found. */
export type WeightSource =
  /** Every character the column can hold is in `chars` (8-bit character sets): no query, ever. */
  | 'table'
  /** The weight is the code point (the `_bin` collations of Unicode character sets): no query. */
  | 'codepoint'
  /** Characters in `chars` locally; a name with any other character asks MySQL once (memoized). */
  | 'ask';

/** Which characters the column's character set can hold. */
export type Repertoire =
  /** Every Unicode character (utf8mb4, utf16, utf32). */
  | 'all'
  /** The Basic Multilingual Plane (utf8mb3, ucs2). */
  | 'bmp'
  /** Exactly the characters in `chars` (8-bit character sets). */
  | 'table'
  /** Unknown: MySQL is asked whether a name converts without loss. */
  | 'ask';

/** The facts of one collation. Plain JSON, so they can be kept in memcached. */
export interface CollationFacts {
  /** Character set, e.g. `utf8mb4`. */
  readonly charset: string;
  /** Collation, e.g. `utf8mb4_general_ci`. */
  readonly collation: string;
  /** Trailing characters that weigh like a space are ignored when comparing (PAD SPACE). */
  readonly padSpace: boolean;
  /** Hex digits of one weight unit (the weight of `A`); 0 when weights are not made of units. */
  readonly unitHex: number;
  /** The weight of a space, in hex. */
  readonly spaceUnit: string;
  /** Where weights come from. */
  readonly weights: WeightSource;
  /** What the column can hold. */
  readonly repertoire: Repertoire;
  /**
   * Characters whose weight is known locally (checked one by one, and in every ordered pair, so no
   * contraction joins two of them): character → weight in hex, `''` for an ignored character.
   */
  readonly chars: Readonly<Record<string, string>>;
  /**
   * Every character weighs exactly one unit and only a space weighs like a space, so a name with
   * more characters than the column holds (after trailing spaces under PAD SPACE) matches no row.
   */
  readonly oneUnitPerChar: boolean;
}

/** The facts of one name column. */
export interface ColumnFacts {
  /** `table.column`. */
  readonly id: string;
  /** Most characters a value can have (`CHARACTER_MAXIMUM_LENGTH`); undefined when unknown. */
  readonly maxChars: number | undefined;
  /** The column's collation. */
  readonly collation: CollationFacts;
}

const FACTS_VERSION = 1;

/** Serializes facts for memcached. */
export function encodeColumnFacts(facts: ColumnFacts): string {
  return JSON.stringify({ v: FACTS_VERSION, ...facts });
}

/**
 * Reads facts written by {@link encodeColumnFacts}; undefined for anything malformed (an entry
 * from another version, or written by someone else), which is then treated as absent.
 */
export function decodeColumnFacts(text: string, id: string): ColumnFacts | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value['v'] !== FACTS_VERSION || value['id'] !== id) return undefined;
  const maxChars = value['maxChars'];
  if (maxChars !== undefined && !(Number.isSafeInteger(maxChars) && (maxChars as number) >= 0)) return undefined;
  const collation = decodeCollation(value['collation']);
  if (!collation) return undefined;
  return { id, maxChars: maxChars as number | undefined, collation };
}

function decodeCollation(value: unknown): CollationFacts | undefined {
  if (!isRecord(value)) return undefined;
  const { charset, collation, padSpace, unitHex, spaceUnit, weights, repertoire, chars, oneUnitPerChar } = value;
  const hex = (s: unknown): s is string => typeof s === 'string' && /^[0-9A-F]*$/.test(s);
  if (typeof charset !== 'string' || typeof collation !== 'string') return undefined;
  if (typeof padSpace !== 'boolean' || typeof oneUnitPerChar !== 'boolean') return undefined;
  if (!Number.isSafeInteger(unitHex) || (unitHex as number) < 0 || !hex(spaceUnit)) return undefined;
  if (weights !== 'table' && weights !== 'codepoint' && weights !== 'ask') return undefined;
  if (repertoire !== 'all' && repertoire !== 'bmp' && repertoire !== 'table' && repertoire !== 'ask') return undefined;
  if (!isRecord(chars) || !Object.values(chars).every(hex)) return undefined;
  return {
    charset,
    collation,
    padSpace,
    unitHex: unitHex as number,
    spaceUnit,
    weights,
    repertoire,
    chars: chars as Record<string, string>,
    oneUnitPerChar,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
