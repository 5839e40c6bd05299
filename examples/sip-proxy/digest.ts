/**
 * Digest authentication (RFC 2617, MD5, qop "auth" or none) the way Kamailio's auth + auth_db
 * modules do it, on credentials from authring's `getCredentials`:
 *
 * - the credentials header whose realm is ours is used; none means "challenge";
 * - the nonce must be ours (HMAC-signed timestamp) and younger than `nonceExpireS`, else the
 *   client is challenged again (`stale=true` when it was ours but too old);
 * - a digest username `user@domain` selects the `ha1b` column (HA1 of `user@domain:realm:pw`)
 *   and looks the subscriber up by `user`; a plain `user` selects `ha1` and the realm as domain;
 * - the response is recomputed from that HA1 and compared byte for byte.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthHeader, Request } from 'sip';
import digest from 'sip/digest.js';
import type { Credentials } from '../../src/index.js';

/** Why a request is not authenticated; every outcome but `ok` is answered with a new challenge. */
export type DigestOutcome =
  | { readonly kind: 'ok'; readonly user: string; readonly header: AuthHeader }
  | { readonly kind: 'no-credentials' | 'stale-nonce' | 'bad-nonce' | 'bad-credentials' | 'unknown-user' | 'wrong-password' };

/** Looks a subscriber up (authring's `getCredentials`). */
export type CredentialsSource = (user: string, domain: string) => Promise<Credentials | undefined>;

/** The digest username split as auth_db splits it. */
interface Username {
  readonly whole: string;
  readonly user: string;
  /** The part after `@`, or undefined. */
  readonly domain: string | undefined;
}

/** Issues and checks nonces, builds challenges, verifies credentials. */
export class DigestAuth {
  private readonly secret: Buffer;

  constructor(
    /** Seconds a nonce stays valid (Kamailio's `nonce_expire`). @default 300 */
    private readonly nonceExpireS = 300,
    /** Key of the nonce signatures; share it between nodes that should accept each other's nonces. */
    secret: Buffer = randomBytes(32),
    private readonly now: () => number = Date.now,
  ) {
    this.secret = secret;
  }

  /** A `WWW-Authenticate` / `Proxy-Authenticate` value for `realm`. */
  challenge(realm: string, stale = false): AuthHeader {
    return {
      scheme: 'Digest',
      realm: quote(realm),
      nonce: quote(this.nonce()),
      qop: '"auth"',
      algorithm: 'MD5',
      ...(stale ? { stale: 'true' } : {}),
    };
  }

  /**
   * Verifies the request's credentials for `realm` in `Authorization` (REGISTER) or
   * `Proxy-Authorization` (everything else).
   */
  async verify(request: Request, realm: string, lookup: CredentialsSource): Promise<DigestOutcome> {
    const headers = request.method === 'REGISTER' ? request.headers.authorization : request.headers['proxy-authorization'];
    const header = headers?.find((h) => h.scheme.toLowerCase() === 'digest' && unquote(h['realm'] ?? '').toLowerCase() === realm.toLowerCase());
    if (!header) return { kind: 'no-credentials' };

    const username = splitUsername(unquote(header['username'] ?? ''));
    const nonce = unquote(header['nonce'] ?? '');
    const response = unquote(header['response'] ?? '');
    const uri = unquote(header['uri'] ?? '');
    const qop = header['qop'] === undefined ? undefined : unquote(header['qop']).toLowerCase();
    const algorithm = unquote(header['algorithm'] ?? 'MD5');
    if (username.whole === '' || uri === '' || algorithm.toUpperCase() !== 'MD5') return { kind: 'bad-credentials' };
    if (qop !== undefined && (qop !== 'auth' || header['nc'] === undefined || header['cnonce'] === undefined)) return { kind: 'bad-credentials' };

    const age = this.nonceAge(nonce);
    if (age === undefined) return { kind: 'bad-nonce' };
    if (age > this.nonceExpireS * 1000) return { kind: 'stale-nonce' };
    if (response.length !== 32) return { kind: 'bad-credentials' };

    const credentials = await lookup(username.user, username.domain ?? realm);
    if (!credentials) return { kind: 'unknown-user' };
    const ha1 = this.ha1(credentials, username, realm);
    const expected = digest.calculateDigest({
      ha1,
      nonce,
      method: request.method,
      uri,
      ...(qop === undefined ? {} : { qop, nc: unquote(header['nc'] ?? ''), cnonce: unquote(header['cnonce'] ?? '') }),
    });
    return expected === response ? { kind: 'ok', user: username.user, header } : { kind: 'wrong-password' };
  }

  /** auth_db's HA1 choice: `ha1b` for `user@domain`, `ha1` otherwise, or computed with calculate_ha1. */
  private ha1(credentials: Credentials, username: Username, realm: string): string {
    if (credentials.password !== undefined) return md5(`${username.whole}:${realm}:${credentials.password}`);
    return username.domain === undefined ? credentials.ha1 : credentials.ha1b;
  }

  /** `base64url(issued-at ms, 8 bytes | HMAC-SHA256 truncated to 16 bytes)`. */
  private nonce(): string {
    const issued = Buffer.alloc(8);
    issued.writeBigUInt64BE(BigInt(this.now()));
    return Buffer.concat([issued, this.sign(issued)]).toString('base64url');
  }

  /** Milliseconds since the nonce was issued, or undefined when it is not one of ours. */
  private nonceAge(nonce: string): number | undefined {
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== 24 || bytes.toString('base64url') !== nonce) return undefined;
    const issued = bytes.subarray(0, 8);
    if (!timingSafeEqual(bytes.subarray(8), this.sign(issued))) return undefined;
    return this.now() - Number(issued.readBigUInt64BE());
  }

  private sign(issued: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(issued).digest().subarray(0, 16);
  }
}

/** Splits `user@domain` at the first `@`, as Kamailio's digest parser does. */
function splitUsername(whole: string): Username {
  const at = whole.indexOf('@');
  return at < 0 ? { whole, user: whole, domain: undefined } : { whole, user: whole.slice(0, at), domain: whole.slice(at + 1) };
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** A quoted-string's content (the parser keeps the quotes). */
export function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
