import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** What a cache entry holds: a value, or `null` for a cached "no such row". */
export type CachedValue = string | null;

/** The result of reading an entry back. */
export type Decoded =
  | { readonly kind: 'value'; readonly value: CachedValue; readonly expiresAt: number | undefined }
  | { readonly kind: 'forged' };

/** Turns values into memcached bytes and back. */
export interface ValueCodec {
  /** `plain` or `signed`. */
  readonly name: string;
  /** Encodes `value` for `key`, logically valid until `expiresAt` (ms since the epoch). */
  encode(key: string, value: CachedValue, expiresAt: number): string;
  /** Decodes what `encode` wrote; anything else is `forged` for `signed`. */
  decode(key: string, stored: string): Decoded;
  /**
   * The authentication tag of a lease marker's text at `key` (base64url), for codecs with a
   * secret; absent for codecs that cannot authenticate (plain), whose markers carry no tag.
   */
  markerTag?(key: string, text: string): string;
}

/**
 * True when the base64url tag `given` equals `expected`, compared in constant time. Only the
 * canonical spelling counts: base64url's last character carries unused bits, and a tag
 * differing in them decodes to the same bytes.
 */
export function sameTag(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The bytes of base64url `text`, or undefined unless `text` is their canonical spelling. */
export function canonicalBase64url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Prefix of the MAC input of lease markers: no cache key starts with NUL, so no marker MAC is a value MAC. */
export const MARKER_DOMAIN = '\u0000lease\n';

/**
 * The value itself, as text: what Kamailio's `$mct()` reads. A negative entry is written as
 * `negative`; it and the empty string read back as negative, so neither can be a real value. No
 * expiry is stored, so refresh-ahead and stale serving are unavailable; nothing can be verified
 * either.
 */
export function plainCodecWith(negative: string): ValueCodec {
  return {
    name: 'plain',
    encode: (_key, value) => value ?? negative,
    decode: (_key, stored) => ({ kind: 'value', value: stored === '' || stored === negative ? null : stored, expiresAt: undefined }),
  };
}

/** {@link plainCodecWith} with the empty string as the negative entry. */
export const plainCodec: ValueCodec = plainCodecWith('');

/**
 * The plain codec AuthCache uses: negative entries are `0`, because Kamailio's memcached module
 * reads an empty value as `$null` (no entry), while `0` is an answer it can use ("not a member").
 * No cached auth value is ever the text `0` (memberships are `1`, the rest JSON).
 */
export const authPlainCodec: ValueCodec = plainCodecWith('0');

const SIGNED_PREFIX = 's1';

/**
 * `s1:<expiry seconds>:<HMAC-SHA256 base64url>:<n | v<value>>`. The MAC covers the key, the
 * expiry and the payload under the cluster secret, so an entry moved to another key, extended
 * or altered on a server reads as `forged` (a miss, counted).
 */
export function signedCodec(secret: string | Buffer): ValueCodec {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (key.length < 16) throw new InvalidArgumentError('the signing secret must be at least 16 bytes');
  const mac = (cacheKey: string, expiry: string, payload: string): Buffer =>
    createHmac('sha256', key).update(`${cacheKey}\n${expiry}\n${payload}`, 'utf8').digest();
  const markerMac = (cacheKey: string, text: string): Buffer =>
    createHmac('sha256', key).update(`${MARKER_DOMAIN}${cacheKey}\n${text}`, 'utf8').digest();
  return {
    name: 'signed',
    encode(cacheKey, value, expiresAt) {
      const expiry = String(Math.ceil(expiresAt / 1000));
      const payload = value === null ? 'n' : `v${value}`;
      return `${SIGNED_PREFIX}:${expiry}:${mac(cacheKey, expiry, payload).toString('base64url')}:${payload}`;
    },
    decode(cacheKey, stored) {
      const parts = /^s1:(\d{1,12}):([A-Za-z0-9_-]{43}):(n|v[\s\S]*)$/.exec(stored);
      if (!parts) return { kind: 'forged' };
      const [, expiry = '', signature = '', payload = ''] = parts;
      if (!sameTag(signature, mac(cacheKey, expiry, payload).toString('base64url'))) return { kind: 'forged' };
      return {
        kind: 'value',
        value: payload === 'n' ? null : payload.slice(1),
        expiresAt: Number(expiry) * 1000,
      };
    },
    markerTag: (cacheKey, text) => markerMac(cacheKey, text).toString('base64url'),
  };
}
