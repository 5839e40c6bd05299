/**
 * How a subscriber's credentials are written in a cache entry, so that Kamailio's cfg can read
 * and write the same entries as authring (docs/kamailio.md, "Credentials on the shared ring").
 *
 * - `c1:<ha1>:<ha1b>`: the two HA1 columns, each 0..128 ASCII letters or digits (hex digests are).
 *   Kamailio splits it with `{s.select,N,:}` and writes it by concatenation; authring writes it
 *   whenever both values fit and no plain-text password is cached.
 * - A JSON object `{"ha1":…,"ha1b":…[,"password":…]}` for anything else (a column holding other
 *   characters or longer values, `calculate_ha1` caching the password). Kamailio's route treats
 *   it as a miss and never overwrites it with an entry of its own (such a row does not fit `c1`).
 *   Entries written by authring before the `c1` form existed are JSON too and read the same.
 *
 * The negative entry ("no such subscriber") is the plain codec's, not this format's.
 */

/** A subscriber's secrets as auth_db reads them. */
export interface Credentials {
  /** `password_column` (HA1 of `user:realm:password`). */
  readonly ha1: string;
  /** `password_column_2` (HA1 of `user@domain:realm:password`). */
  readonly ha1b: string;
  /** The plain-text password, read only with `calculateHa1`. */
  readonly password?: string;
}

/** Prefix of the compact form. */
export const CREDENTIALS_COMPACT_PREFIX = 'c1:';

/** A value the compact form can carry: what Kamailio's route checks with `=~` before it splits. */
export const CREDENTIALS_COMPACT_FIELD = '[0-9A-Za-z]{0,128}';

const FIELD = new RegExp(`^${CREDENTIALS_COMPACT_FIELD}$`);
/** Longest value of a compact field, as {@link CREDENTIALS_COMPACT_FIELD} bounds it. */
const COMPACT_FIELD_MAX = 128;

/** The entry text for `credentials`: the compact form when it can carry them, JSON otherwise. */
export function encodeCredentials(credentials: Credentials): string {
  if (credentials.password === undefined && FIELD.test(credentials.ha1) && FIELD.test(credentials.ha1b)) {
    return `${CREDENTIALS_COMPACT_PREFIX}${credentials.ha1}:${credentials.ha1b}`;
  }
  return JSON.stringify(credentials);
}

/**
 * Reads what {@link encodeCredentials} (or Kamailio's route) wrote; undefined for any other text,
 * which no writer produces (a corrupted or foreign entry).
 */
export function decodeCredentials(text: string): Credentials | undefined {
  const compact = decodeCompact(text);
  if (compact !== undefined) return compact;
  if (!text.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { ha1, ha1b, password } = parsed as Record<string, unknown>;
  if (typeof ha1 !== 'string' || typeof ha1b !== 'string') return undefined;
  if (password !== undefined && typeof password !== 'string') return undefined;
  return password === undefined ? { ha1, ha1b } : { ha1, ha1b, password };
}

/** 1 for each ASCII code a compact field may not hold (as {@link FIELD} says of it alone), 0 otherwise. */
const NOT_FIELD = new Uint8Array(128).map((_, code) => (FIELD.test(String.fromCharCode(code)) ? 0 : 1));

/**
 * The compact form `c1:<ha1>:<ha1b>`, read on every cache hit. Accepts exactly what
 * `^c1:(F):(F)$` with F = {@link CREDENTIALS_COMPACT_FIELD} accepts: the prefix, the first `:`
 * after it (a field holds none) ending the first field, each field's length, and every field
 * character a letter or digit. Checked without a branch per character: HA1 values are random hex,
 * so a per-character test of digit-or-letter (a regular expression's too) mispredicts on about
 * every other character, which cost more than the rest of a hit's decoding.
 */
function decodeCompact(text: string): Credentials | undefined {
  if (!text.startsWith(CREDENTIALS_COMPACT_PREFIX)) return undefined;
  const start = CREDENTIALS_COMPACT_PREFIX.length;
  const colon = text.indexOf(':', start);
  const end = text.length;
  if (colon < 0 || colon - start > COMPACT_FIELD_MAX || end - colon - 1 > COMPACT_FIELD_MAX) return undefined;
  // The colon between the fields is skipped: it is the one character the fields are allowed around.
  const bad = notFieldChars(text, start, colon) | notFieldChars(text, colon + 1, end);
  return bad === 0 ? { ha1: text.slice(start, colon), ha1b: text.slice(colon + 1) } : undefined;
}

/** Non-zero when `text[from..to)` holds a character a compact field may not, checked without a branch per character. */
function notFieldChars(text: string, from: number, to: number): number {
  let bad = 0;
  // `code >>> 7` is non-zero past ASCII; below it, the table says.
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    bad |= (NOT_FIELD[code & 0x7f] as number) | (code >>> 7);
  }
  return bad;
}
