/**
 * Builds cache keys from name parts. Parts are joined with `:`; each part is a name's class as
 * `names/key-part.ts` writes it, in which `%`, `:`, `@`, spaces and control characters are
 * percent-encoded, so no two different part lists give the same key. ASCII names without those
 * characters appear verbatim, which keeps keys readable and lets Kamailio's configuration build
 * the same keys (see docs/kamailio.md).
 */
export function cacheKey(prefix: string, kind: string, ...parts: readonly string[]): string {
  return `${prefix}${kind}:${parts.join(':')}`;
}

/** Percent-encodes (`%XX`, upper-case hex of the UTF-8 bytes) what a key part cannot hold verbatim. */
export function escapePart(part: string): string {
  return part.replace(/[%:@\s\u0000-\u001f\u007f]/g, (char) =>
    [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
