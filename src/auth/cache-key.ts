/**
 * Builds cache keys from name parts. Parts are joined with `:` after percent-encoding `%`, `:`,
 * `@` and control/space characters, so no two different part lists give the same key. ASCII
 * names without those characters appear verbatim, which keeps keys readable and lets Kamailio's
 * configuration build the same keys (see docs/kamailio.md).
 */
export function cacheKey(prefix: string, kind: string, ...parts: readonly string[]): string {
  return `${prefix}${kind}:${parts.map(escapePart).join(':')}`;
}

function escapePart(part: string): string {
  return part.replace(/[%:@\s\u0000-\u001f\u007f]/g, (char) =>
    [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
