import type { RowDataPacket } from 'mysql2/promise';
import type { SqlClient } from '../sql.js';
import type { CollationFacts, Repertoire, WeightSource } from './collation-facts.js';
import { deBruijn } from './de-bruijn.js';

/** A character set and collation name as information_schema gives them: plain identifiers only. */
const PLAIN = /^[A-Za-z0-9_]{1,64}$/;

/** Unicode character sets by what they hold; others are asked name by name. */
const UNICODE_REPERTOIRE: Readonly<Record<string, Repertoire>> = {
  utf8mb4: 'all',
  utf16: 'all',
  utf16le: 'all',
  utf32: 'all',
  utf8mb3: 'bmp',
  utf8: 'bmp',
  ucs2: 'bmp',
};

/**
 * MariaDB's `*_general_ci` collations give every character exactly one 16-bit weight, and only
 * U+0020 the weight of a space (test/auth/general-ci-weights.test.ts checks this over the whole
 * BMP, so an upgrade that changes it fails there). This cannot be probed character by character
 * at start-up, so it is the one fact taken from the collation's name.
 */
const ONE_UNIT_UNICODE = /^(utf8mb4|utf8mb3|utf8)_general_(nopad_)?ci$/;

/** Characters whose code-point weights prove a `_bin` collation weighs by code point. */
const CODEPOINT_SAMPLE = ['A', 'z', '\u00e9', '\u00ff', '\u0100', '\u4e2d', '\ufffd', '\u{1f600}', '\u{10ffff}'];

/**
 * Reads a collation's facts from MySQL (two queries); `eightBit` when its character set has one
 * byte per character. Throws the driver's error.
 *
 * - For an 8-bit character set, every one of its 256 characters is weighed; if each weighs one
 *   unit (or nothing) and no pair of them forms a contraction, all names are keyed locally.
 * - For a Unicode `_bin` collation whose weights are the code points, all names are keyed locally.
 * - Otherwise the ASCII characters that pass the same checks are keyed locally, and a name with
 *   any other character asks MySQL for its weight string.
 */
export async function probeCollation(sql: SqlClient, charset: string, collation: string, eightBit: boolean, timeoutMs: number): Promise<CollationFacts> {
  if (!PLAIN.test(charset) || !PLAIN.test(collation)) throw new Error(`unexpected collation name ${JSON.stringify(`${charset}/${collation}`)}`);
  const typed = (expression: string): string => `CONVERT(${expression} USING ${charset}) COLLATE ${collation}`;

  // Each candidate character and its weight.
  const candidates: { char: string; literal: string }[] = eightBit
    ? Array.from({ length: 256 }, (_, byte) => ({ char: '', literal: `X'${byte.toString(16).padStart(2, '0')}'` }))
    : Array.from({ length: 128 }, (_, code) => ({ char: String.fromCharCode(code), literal: '?' }));
  const sample = eightBit ? [] : CODEPOINT_SAMPLE;
  const columns = [
    ...candidates.map((c) => `HEX(WEIGHT_STRING(${typed(c.literal)}))`),
    ...(eightBit ? candidates.map((c) => `HEX(CONVERT(CONVERT(${c.literal} USING ${charset}) USING utf8mb4))`) : []),
    ...sample.map(() => `HEX(WEIGHT_STRING(${typed('?')}))`),
    `${typed("'a '")} = ${typed("'a'")}`,
  ];
  const params = [...candidates.filter((c) => c.literal === '?').map((c) => c.char), ...sample];
  const row = await firstRow(sql, `SELECT ${columns.join(', ')}`, params, timeoutMs);
  const weightOf = new Map<string, string>();
  candidates.forEach((candidate, i) => {
    const char = eightBit ? Buffer.from(String(row[candidates.length + i] ?? ''), 'hex').toString('utf8') : candidate.char;
    // A byte the character set does not define converts to '?' (or nothing): leave it out.
    if ([...char].length !== 1 || (char === '?' && i !== 0x3f) || weightOf.has(char)) return;
    weightOf.set(char, String(row[i] ?? ''));
  });
  const sampleWeights = sample.map((_, i) => String(row[candidates.length * (eightBit ? 2 : 1) + i] ?? ''));
  const padSpace = Number(row[row.length - 1]) === 1;

  const unitHex = weightOf.get('A')?.length ?? 0;
  const spaceUnit = weightOf.get(' ') ?? '';
  if (unitHex === 0 || spaceUnit.length !== unitHex) {
    // Weights not made of one unit per letter (multi-level collations such as latin2_czech_cs):
    // every name is weighed by MySQL and keyed on its whole weight string.
    const repertoire = eightBit ? 'ask' : (UNICODE_REPERTOIRE[charset] ?? 'ask');
    return { charset, collation, padSpace, unitHex: 0, spaceUnit, weights: 'ask', repertoire, chars: {}, oneUnitPerChar: false };
  }
  // Characters of at most one unit, then only those that also weigh the same in every pair.
  let local = [...weightOf].filter(([, weight]) => weight.length === 0 || weight.length === unitHex);
  const sequence = deBruijn(local.map(([char]) => char));
  const expected = [...sequence].map((char) => weightOf.get(char) ?? '').join('');
  const [joined] = await firstRow(
    sql,
    `SELECT HEX(WEIGHT_STRING(${typed(eightBit ? 'UNHEX(?)' : '?')}))`,
    [eightBit ? encodeEightBit(sequence, row, candidates.length) : sequence],
    timeoutMs,
  );
  if (String(joined ?? '') !== expected) local = [];
  const chars = Object.fromEntries(local);

  const allLocal = eightBit && local.length === weightOf.size;
  const codepoint =
    !eightBit &&
    /_bin$/.test(collation) &&
    UNICODE_REPERTOIRE[charset] !== undefined &&
    sample.every((char, i) => UNICODE_REPERTOIRE[charset] === 'bmp' && char.codePointAt(0)! > 0xffff ? true : sampleWeights[i] === codepointWeight(char, unitHex));
  const weights: WeightSource = allLocal ? 'table' : codepoint ? 'codepoint' : 'ask';
  const repertoire: Repertoire = eightBit ? (allLocal ? 'table' : 'ask') : (UNICODE_REPERTOIRE[charset] ?? 'ask');
  const oneUnit = (weight: string): boolean => weight.length === unitHex;
  const oneUnitPerChar =
    weights === 'table'
      ? local.every(([char, weight]) => oneUnit(weight) && (weight !== spaceUnit || char === ' '))
      : weights === 'codepoint' || (ONE_UNIT_UNICODE.test(collation) && repertoire !== 'ask');
  return { charset, collation, padSpace, unitHex, spaceUnit, weights, repertoire, chars, oneUnitPerChar };
}

/** The weight a code-point collation gives a character, in hex. */
export function codepointWeight(char: string, unitHex: number): string {
  return char.codePointAt(0)!.toString(16).toUpperCase().padStart(unitHex, '0');
}

/** The bytes of an 8-bit character sequence, in hex, from the probe's byte → character mapping. */
function encodeEightBit(sequence: string, row: readonly unknown[], count: number): string {
  const byteOf = new Map<string, number>();
  for (let byte = 0; byte < count; byte++) {
    const char = Buffer.from(String(row[count + byte] ?? ''), 'hex').toString('utf8');
    if (!byteOf.has(char)) byteOf.set(char, byte);
  }
  return Buffer.from([...sequence].map((char) => byteOf.get(char) ?? 0x3f)).toString('hex');
}

/** The first row of a query, as an array of column values. */
export async function firstRow(client: SqlClient, sql: string, params: string[], timeoutMs: number): Promise<unknown[]> {
  const rows = await client.select<RowDataPacket>({ sql, rowsAsArray: true }, params, timeoutMs);
  return (rows[0] as unknown as unknown[] | undefined) ?? [];
}
