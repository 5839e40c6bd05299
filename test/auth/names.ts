/**
 * Generators of hostile user names for the property tests, and the seed they run with (fixed, or
 * `AUTHRING_PROPERTY_SEED` to replay a failure; every test prints the seed it used).
 */
import fc from 'fast-check';

/** The seed of this run's property tests. */
export function propertySeed(): number {
  const given = Number(process.env['AUTHRING_PROPERTY_SEED']);
  return Number.isInteger(given) ? given : 20_251_111;
}

/**
 * One character a SIP client could put in a name: mostly ASCII letters and Latin-1, also control
 * characters, spaces, any BMP character (lone surrogate halves included), astral characters,
 * and the characters keys are built from (`~`, `%`, `:`, `@`, hex digits).
 */
export function charArbitrary(): fc.Arbitrary<string> {
  const codePoint = (min: number, max: number): fc.Arbitrary<string> => fc.integer({ min, max }).map((c) => String.fromCodePoint(c));
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'aAbBeEsSxXzZ019') },
    { weight: 3, arbitrary: codePoint(0x20, 0x7e) },
    { weight: 2, arbitrary: fc.constantFrom('~', '%', ':', '@', 'w', 'W', ' ') },
    { weight: 2, arbitrary: codePoint(0xa0, 0xff) },
    { weight: 1, arbitrary: codePoint(0, 0x1f) },
    { weight: 1, arbitrary: codePoint(0x100, 0xffff) },
    { weight: 1, arbitrary: codePoint(0x10000, 0x10ffff) },
    { weight: 1, arbitrary: fc.constantFrom('é', 'É', 'ß', 'ä', 'Ä', 'ø', '中', '😀', '\uFFFD', '\u00A0', '\u0301') },
  );
}

/** A name of 0 to `maxChars` characters (the column holds 64). */
export function nameArbitrary(maxChars: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(charArbitrary(), { maxLength: 12 }).map((chars) => chars.join('')) },
    { weight: 1, arbitrary: fc.array(charArbitrary(), { minLength: 50, maxLength: maxChars }).map((chars) => chars.join('')) },
  );
}
