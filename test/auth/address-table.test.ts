import { describe, expect, it } from 'vitest';
import { AddressTable } from '../../src/auth/address-table.js';
import { cacheKey, escapePart } from '../../src/auth/cache-key.js';
import { keyPart } from '../../src/auth/names/key-part.js';
import { parseIp } from '../../src/auth/ip.js';

describe('IP parsing', () => {
  it('parses IPv4 and IPv6 forms Kamailio accepts', () => {
    expect(parseIp('127.0.0.1')).toEqual({ family: 4, bits: 0x7f000001n });
    expect(parseIp('::1')).toEqual({ family: 6, bits: 1n });
    expect(parseIp('[::1]')).toEqual({ family: 6, bits: 1n });
    expect(parseIp('2001:db8::1')?.bits).toBe(0x20010db8000000000000000000000001n);
    expect(parseIp('::ffff:127.0.0.1')).toEqual({ family: 6, bits: 0xffff7f000001n });
    expect(parseIp('1:2:3:4:5:6:7:8')?.bits).toBe(0x00010002000300040005000600070008n);
  });

  it('reads IPv4 as Kamailio’s str2ip does: bytes wrap, runs may be empty or zero-padded', () => {
    expect(parseIp('127.0.0.256')?.bits).toBe(0x7f000000n);
    expect(parseIp('0127.0.0.1')?.bits).toBe(0x7f000001n);
    expect(parseIp('127..0.1')?.bits).toBe(0x7f000001n);
  });

  it.each(['', '127.0.0', '127.1', '127.0.0.1 ', '1.2.3.4.5', 'localhost', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::g'])(
    'rejects %j',
    (text) => expect(parseIp(text)).toBeUndefined(),
  );
});

describe('address table matching (Kamailio permissions semantics)', () => {
  const table = new AddressTable([
    { group: 1, ip: '127.0.0.1', mask: 32, port: 0, tag: null },
    { group: 1, ip: '127.0.0.2', mask: 32, port: 5060, tag: 'pbx' },
    { group: 2, ip: '127.10.0.0', mask: 16, port: 0, tag: null },
    { group: 2, ip: '127.20.1.77', mask: 24, port: 5080, tag: null },
    { group: 3, ip: '::1', mask: 128, port: 0, tag: null },
    { group: 3, ip: '2001:db8:1::', mask: 64, port: 0, tag: null },
    { group: 4, ip: '127.0.0.0', mask: 1, port: 0, tag: null },
    { group: 6, ip: '127.0.0.6', mask: 0, port: 0, tag: null },
    { group: 5, ip: 'not-an-ip', mask: 32, port: 0, tag: null },
    { group: 5, ip: '127.0.0.9', mask: 33, port: 0, tag: null },
  ]);

  it('matches hosts exactly and ports as Kamailio does (row port 0 = any)', () => {
    expect(table.allows('127.0.0.1', 1, 5060)).toBe(true);
    expect(table.allows('127.0.0.1', 1, 0)).toBe(true);
    expect(table.allows('127.0.0.1', 2, 5060)).toBe(false);
    expect(table.allows('127.0.0.2', 1, 5060)).toBe(true);
    expect(table.allows('127.0.0.2', 1, 5061)).toBe(false);
    expect(table.allows('127.0.0.2', 1, 0)).toBe(false);
  });

  it('matches subnets on their first mask bits, even when the row address is not aligned', () => {
    expect(table.allows('127.10.255.1', 2, 1)).toBe(true);
    expect(table.allows('127.11.0.1', 2, 1)).toBe(false);
    expect(table.allows('127.20.1.5', 2, 5080)).toBe(true);
    expect(table.allows('127.20.1.5', 2, 5081)).toBe(false);
    expect(table.allows('127.99.1.1', 4, 7)).toBe(true);
    expect(table.allows('126.0.0.1', 4, 7)).toBe(true);
    expect(table.allows('128.0.0.1', 4, 7)).toBe(false);
  });

  it('reads mask 0 as a host entry, as Kamailio 5.6 does', () => {
    expect(table.allows('127.0.0.6', 6, 1)).toBe(true);
    expect(table.allows('127.0.0.7', 6, 1)).toBe(false);
  });

  it('keeps families apart', () => {
    expect(table.allows('::1', 3, 5060)).toBe(true);
    expect(table.allows('2001:db8:1:0:ffff::1', 3, 1)).toBe(true);
    expect(table.allows('2001:db8:2::1', 3, 1)).toBe(false);
    expect(table.allows('::ffff:127.0.0.1', 1, 0)).toBe(false);
    expect(table.allows('::1', 4, 0)).toBe(false);
  });

  it('skips unusable rows and matches nothing for an unparsable address', () => {
    expect(table.rejected.map((r) => r.ip)).toEqual(['not-an-ip', '127.0.0.9']);
    expect(table.allows('127.0.0.9', 5, 0)).toBe(false);
    expect(table.allows('bogus', 4, 0)).toBe(false);
  });
});

describe('cache keys', () => {
  it('escapes separators so different part lists never collide', () => {
    expect(cacheKey('p:', 'grp', escapePart('a:b'), 'c')).not.toBe(cacheKey('p:', 'grp', 'a', escapePart('b:c')));
    expect(cacheKey('p:', 'grp', 'alice', 'example.com', 'ipauth')).toBe('p:grp:alice:example.com:ipauth');
    expect(escapePart('a b%@')).toBe('a%20b%25%40');
  });

  it('never gives an ASCII name the form of a weight string', () => {
    const reps = new Map([...'~w0E9%#'].map((c) => [`00${c.charCodeAt(0).toString(16).toUpperCase()}`, c]));
    const units = (name: string): string[] => [...name].map((c) => `00${c.charCodeAt(0).toString(16).toUpperCase()}`);
    expect(keyPart(units('~w0E9'), reps)).toBe('~w0E9');
    expect(keyPart(units('%~0E9'), reps)).toBe('%25~0E9');
    expect(keyPart(['00E9'], reps)).toBe('%~00E9');
    expect(keyPart(Array<string>(40).fill('00E9'), reps)).toMatch(/^%#[A-Za-z0-9_-]{43}$/);
  });
});
