/**
 * The credentials entry format shared with Kamailio's route (src/auth/credentials-format.ts), on
 * the Node side: what authring writes, and that it reads every form a writer produces (the
 * compact form Kamailio writes, JSON from rows the compact form cannot carry and from authring
 * versions before it). test/kamailio/credentials.test.ts proves the Kamailio side.
 */
import { describe, expect, it } from 'vitest';
import { CREDENTIALS_COMPACT_FIELD, decodeCredentials, encodeCredentials } from '../../src/auth/credentials-format.js';
import { generateCredentialsRoutes } from '../../src/kamailio/credentials-route.js';
import { parseConfig } from '../../src/config/index.js';

const HA1 = '5f4dcc3b5aa765d61d8327deb882cf99';
const HA1B = '0123456789ABCDEFabcdef0123456789';

describe('credentials entry format', () => {
  it('writes c1:<ha1>:<ha1b> when both columns are letters and digits (up to 128) and no password is cached', () => {
    expect(encodeCredentials({ ha1: HA1, ha1b: HA1B })).toBe(`c1:${HA1}:${HA1B}`);
    expect(encodeCredentials({ ha1: '', ha1b: '' })).toBe('c1::');
    expect(encodeCredentials({ ha1: 'a'.repeat(128), ha1b: '' })).toBe(`c1:${'a'.repeat(128)}:`);
  });

  it('writes JSON for values the compact form cannot carry, or with a plain-text password', () => {
    for (const credentials of [
      { ha1: 'a'.repeat(129), ha1b: '' },
      { ha1: 'has:colon', ha1b: '' },
      { ha1: HA1, ha1b: 'with space' },
      { ha1: 'é', ha1b: '' },
      { ha1: HA1, ha1b: HA1B, password: 'secret' },
      { ha1: HA1, ha1b: HA1B, password: '' },
    ]) {
      const text = encodeCredentials(credentials);
      expect(text.startsWith('{')).toBe(true);
      expect(JSON.parse(text)).toEqual(credentials);
    }
  });

  it('reads back everything it writes, and JSON written before the compact form existed', () => {
    for (const credentials of [
      { ha1: HA1, ha1b: HA1B },
      { ha1: '', ha1b: HA1B },
      { ha1: HA1, ha1b: '' },
      { ha1: 'x:y', ha1b: '"' },
      { ha1: HA1, ha1b: HA1B, password: 'p:w "x"' },
    ]) {
      expect(decodeCredentials(encodeCredentials(credentials))).toEqual(credentials);
    }
    expect(decodeCredentials(JSON.stringify({ ha1: HA1, ha1b: HA1B }))).toEqual({ ha1: HA1, ha1b: HA1B });
  });

  it('reads nothing from text no writer produces', () => {
    for (const text of ['', '0', '1', 'c1:', `c1:${HA1}`, `c1:${HA1}:${HA1B}:x`, 'c1:a b:', 'c2:a:b', '{', '[]', 'null', '{"ha1":1,"ha1b":""}', '{"ha1":""}', '~lease']) {
      expect(decodeCredentials(text), text).toBeUndefined();
    }
  });

  it('reads the compact form exactly as the pattern Kamailio checks accepts it', () => {
    // The reader is hand-written for speed; the pattern is the contract. Fields at and past the
    // 128-character bound, every separator and a non-ASCII letter, in many combinations.
    const pattern = new RegExp(`^c1:(${CREDENTIALS_COMPACT_FIELD}):(${CREDENTIALS_COMPACT_FIELD})$`);
    const fields = ['', 'a', 'Z9', 'a'.repeat(128), 'b'.repeat(129), 'a-b', 'a:b', 'é', 'a\n', ' a', 'a '];
    let compared = 0;
    for (const head of ['c1:', 'c1', 'C1:', 'xc1:'])
      for (const first of fields)
        for (const sep of [':', '', '::'])
          for (const second of fields) {
            const text = `${head}${first}${sep}${second}`;
            const match = pattern.exec(text);
            const decoded = decodeCredentials(text);
            expect(decoded, text).toEqual(match ? { ha1: match[1], ha1b: match[2] } : undefined);
            compared += 1;
          }
    expect(compared).toBe(4 * fields.length * 3 * fields.length);
  });

  it("is the form the generated Kamailio route checks and splits", () => {
    const config = parseConfig('memcached:\n  servers: [127.0.0.1:11311]\nmysql:\n  user: a\n  database: b\n', 'authring.yaml', {});
    const route = generateCredentialsRoutes(config, { caseFolding: 'upper', sqlConnection: 'authring' }).join('\n');
    expect(route).toContain(`"^c1:${CREDENTIALS_COMPACT_FIELD}:${CREDENTIALS_COMPACT_FIELD}$"`);
    expect(route).toContain('{s.select,1,:}');
    expect(route).toContain('{s.select,2,:}');
    expect(route).toContain('"c1:" + $vn(authring_dbha1) + ":" + $vn(authring_dbha1b)');
  });
});
