/**
 * Text pieces every generated Kamailio cfg shares: quoting, the name classes a route may key on,
 * case folding, TTL statements and listen addresses.
 */
import { escapePart } from '../auth/cache-key.js';
import { KamailioConfigError } from '../errors.js';

/**
 * How the database folds ASCII names, which a Kamailio route must reproduce to build authring's
 * keys: `upper` for case-insensitive collations (`utf8mb4_general_ci`, the default of Kamailio's
 * tables on MariaDB, `_unicode_ci`, `latin1_swedish_ci`: `alice` and `ALICE` are one name, keyed
 * `ALICE`), `none` for binary collations (`_bin`: names are keyed as written).
 */
export type KamailioCaseFolding = 'upper' | 'none';

/**
 * SIP user characters (RFC 3261 unreserved and user-unreserved, without `$`) that authring's keys
 * carry verbatim and whose only folding in the supported collations is ASCII case. Anything else
 * (`%` escapes, non-ASCII, `:`, `@`) would need percent-encoding or the database's weights, so
 * such names skip the cache.
 */
export const KAMAILIO_USER_CLASS = "^[-A-Za-z0-9_.!~*'()&=+,;?/]+$";

/** Host names and IPv4 addresses; IPv6 references (`[::1]`) skip the cache. */
export const KAMAILIO_DOMAIN_CLASS = '^[-A-Za-z0-9.]+$';

/** The same classes, for checks on the Node side. */
export const USER_CLASS = new RegExp(KAMAILIO_USER_CLASS);
/** @see KAMAILIO_DOMAIN_CLASS */
export const DOMAIN_CLASS = new RegExp(KAMAILIO_DOMAIN_CLASS);

/** Printable ASCII a Kamailio string literal carries as it is (no `"`, `\`, nor `$`). */
const CFG_LITERAL = /^[\x20\x21\x23\x25-\x5b\x5d-\x7e]+$/;

const LISTEN = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** @throws KamailioConfigError unless `folding` is `upper` or `none`. */
export function checkFolding(folding: string): KamailioCaseFolding {
  if (folding !== 'upper' && folding !== 'none') {
    throw new KamailioConfigError('caseFolding', `must be "upper" or "none", not ${JSON.stringify(folding)}`);
  }
  return folding;
}

/** A name folded as the route folds it. */
export function foldName(name: string, folding: KamailioCaseFolding): string {
  return folding === 'upper' ? name.toUpperCase() : name;
}

/** The cfg expression of a pseudo-variable folded as the database folds names (`$fU` → `$(fU{s.toupper})`). */
export function foldedPv(pv: string, folding: KamailioCaseFolding): string {
  if (folding === 'none') return pv;
  const inner = pv.startsWith('$(') ? pv.slice(2, -1) : pv.slice(1);
  return `$(${inner}{s.toupper})`;
}

/** A fixed name's key part as authring builds it from an ASCII name: percent-encoded where needed. */
export function keyPart(folded: string): string {
  return escapePart(folded);
}

/**
 * Checks a name that goes into the cfg as a string literal (a group, a table name).
 * @throws KamailioConfigError naming `field`.
 */
export function checkCfgName(field: string, name: string, why: string): void {
  if (!CFG_LITERAL.test(name)) {
    throw new KamailioConfigError(field, `${JSON.stringify(name)} must be non-empty printable ASCII without ", \\ or $ (${why})`);
  }
  if (name.endsWith(' ')) {
    throw new KamailioConfigError(field, `${JSON.stringify(name)} ends in a space, which the database ignores; drop it`);
  }
}

/** `$var(authring_ttl) = …`: the TTL minus up to `jitter` of it, as authring's engine does. */
export function ttlStatement(ttl: number, jitter: number): string {
  const span = Math.floor(ttl * jitter);
  // $TV(u) (the microseconds of the current second) stands in for a random number: the pv module
  // has no $RANDOM (that is cfgutils'), and only the spread matters.
  return span > 1 ? `$var(authring_ttl) = ${ttl} - ($TV(u) mod ${span});` : `$var(authring_ttl) = ${ttl};`;
}

/** `host:port` with an IPv4 address or host name. */
export function parseListen(field: string, value: string): { host: string; port: number } {
  const match = LISTEN.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new KamailioConfigError(
      field,
      `${JSON.stringify(value)} is not host:port with an IPv4 address or host name (Kamailio's memcached module splits at the first ":")`,
    );
  }
  return { host: match[1] ?? '', port };
}

/** `value` inside a Kamailio double-quoted string literal. */
export function cfgString(value: string): string {
  return value.replace(/[\\"]/g, (char) => `\\${char}`);
}

/** Text safe on a `#` comment line. */
export function cfgComment(value: string): string {
  return value.replace(/[\x00-\x1f\x7f]/g, '?');
}

/** The cluster config file's name for a header comment. */
export function describeFile(file: string): string {
  return file === '' ? 'the cluster config' : cfgComment(file);
}
