/**
 * RecentKeys (src/auth/recent-keys.ts): a hot question gets the same key string back, the key is
 * the one cacheKey builds, different parts never share a key, and the memo starts afresh at its
 * bound instead of growing.
 */
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/auth/cache-key.js';
import { RecentKeys } from '../../src/auth/recent-keys.js';

describe('RecentKeys', () => {
  it('gives the key cacheKey builds, the same string for the same question', () => {
    const keys = new RecentKeys('authring:7:');
    const first = keys.key('cred', ['ALICE', 'EXAMPLE.COM']);
    expect(first).toBe(cacheKey('authring:7:', 'cred', 'ALICE', 'EXAMPLE.COM'));
    expect(keys.key('cred', ['ALICE', 'EXAMPLE.COM'])).toBe(first);
    expect(keys.key('grp', ['ALICE', 'EXAMPLE.COM', 'VOIP'])).toBe(cacheKey('authring:7:', 'grp', 'ALICE', 'EXAMPLE.COM', 'VOIP'));
  });

  it('keeps questions apart by kind and by every part', () => {
    const keys = new RecentKeys('p:');
    const asked = [
      keys.key('cred', ['a', 'b']),
      keys.key('cred', ['a', 'c']),
      keys.key('cred', ['b', 'b']),
      keys.key('grp', ['a', 'b', 'x']),
      keys.key('grp', ['a', 'b', 'y']),
      keys.key('grp', ['a', 'c', 'x']),
    ];
    expect(new Set(asked).size).toBe(asked.length);
    expect(keys.key('cred', ['a', 'c'])).toBe('p:cred:a:c');
  });

  it('starts afresh at its bound and still answers correctly past it', () => {
    const keys = new RecentKeys('p:');
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      expect(keys.key('cred', [`u${i}`, 'd'])).toBe(`p:cred:u${i}:d`);
      most = Math.max(most, keys.size);
    }
    expect(most).toBe(8192);
    expect(keys.size).toBeLessThan(8192);
    expect(keys.key('cred', ['u1', 'd'])).toBe('p:cred:u1:d');
  });

  it('remembers keys by the names as asked, for one version of the name keying, short names only', () => {
    const keys = new RecentKeys('p:');
    const key = keys.key('cred', ['ALICE', 'EXAMPLE.COM']);
    expect(keys.asked('cred', ['alice', 'example.com'], 1)).toBeUndefined();
    keys.remember('cred', ['alice', 'example.com'], 1, key);
    keys.remember('cred', ['ALICE ', 'example.com'], 1, key);
    expect(keys.asked('cred', ['alice', 'example.com'], 1)).toBe(key);
    expect(keys.asked('cred', ['ALICE ', 'example.com'], 1)).toBe(key);
    // Another spelling, another kind, another domain: not remembered.
    expect(keys.asked('cred', ['Alice', 'example.com'], 1)).toBeUndefined();
    expect(keys.asked('grp', ['alice', 'example.com'], 1)).toBeUndefined();
    expect(keys.asked('cred', ['alice', 'example.org'], 1)).toBeUndefined();
    // New facts in force: what was keyed under the old ones is forgotten.
    expect(keys.asked('cred', ['alice', 'example.com'], 2)).toBeUndefined();
    keys.remember('cred', ['bob', 'example.com'], 2, 'p:cred:BOB:EXAMPLE.COM');
    expect(keys.asked('cred', ['alice', 'example.com'], 1)).toBeUndefined();
    expect(keys.asked('cred', ['alice', 'example.com'], 2)).toBeUndefined();
    expect(keys.asked('cred', ['bob', 'example.com'], 2)).toBe('p:cred:BOB:EXAMPLE.COM');
    // A long name is keyed each time it is asked, never held.
    const long = 'x'.repeat(65);
    keys.remember('cred', [long, 'example.com'], 2, 'p:cred:LONG:EXAMPLE.COM');
    expect(keys.asked('cred', [long, 'example.com'], 2)).toBeUndefined();
  });
});
