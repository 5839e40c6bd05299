import { createHash } from 'node:crypto';
import { escapePart } from '../cache-key.js';
import type { CollationFacts } from './collation-facts.js';

/**
 * The part `keysFor` gives a name no row can equal (nothing is ever stored under it): percent
 * followed by `!` is none of the three forms below.
 */
export const NO_ROW_PART = '%!';

/** True when every name of a question has a key part (none is a name no row can equal). */
export function isKeyed(parts: readonly (string | undefined)[]): parts is string[] {
  return parts.every((part) => part !== undefined);
}

/** Longest weight string (hex digits) kept verbatim in a key; longer ones are hashed. */
const VERBATIM_WEIGHT_HEX = 64;

/**
 * The key part of a name from its weight units, one per class of names the database finds equal,
 * and different for names it tells apart:
 *
 * - when every unit is the weight of an ASCII character, the part is those characters (the
 *   lowest printable one of each weight class: `alice` → `ALICE` under `_ci`), percent-encoded
 *   (`%XX`) where memcached or the key syntax needs it; this is the form Kamailio's route builds;
 * - otherwise `%~` and the weight string in hex (`é` under `utf8mb4_bin` → `%~0000E9`), or `%#`
 *   and its SHA-256 when longer than 64 hex digits.
 *
 * Percent-encoding writes `%` only before two hex digits, so no name's ASCII form can begin with
 * `%~` or `%#`: the three forms never meet.
 */
export function keyPart(units: readonly string[], representatives: ReadonlyMap<string, string>): string {
  let ascii = '';
  for (const unit of units) {
    const char = representatives.get(unit);
    if (char === undefined) return weightPart(units.join(''));
    ascii += char;
  }
  return escapePart(ascii);
}

/** The part of a weight string that cannot be split into units. */
export function weightPart(hex: string): string {
  return hex.length <= VERBATIM_WEIGHT_HEX ? `%~${hex}` : `%#${createHash('sha256').update(hex, 'latin1').digest('base64url')}`;
}

/**
 * The ASCII character standing for each one-unit weight: the lowest printable one (so keys of
 * URI-safe names stay what they always were), else the lowest other ASCII character.
 */
export function representatives(facts: CollationFacts): Map<string, string> {
  const rank = (char: string): number => {
    const code = char.charCodeAt(0);
    return code >= 0x21 && code <= 0x7e ? code : 0x100 + code;
  };
  const ascii = Object.entries(facts.chars)
    .filter(([char, weight]) => char.length === 1 && char.charCodeAt(0) < 0x80 && weight.length === facts.unitHex)
    .sort(([a], [b]) => rank(a) - rank(b));
  const byUnit = new Map<string, string>();
  for (const [char, weight] of ascii) if (!byUnit.has(weight)) byUnit.set(weight, char);
  return byUnit;
}
