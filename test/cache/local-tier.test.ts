import { describe, expect, it } from 'vitest';
import { decodeBeat, decodeRecord, encodeBeat, encodeRecord, FeedKeys, splitVersionedKey } from '../../src/cache/local/feed-format.js';
import { LocalTier } from '../../src/cache/local/local-tier.js';
import { InvalidArgumentError } from '../../src/errors.js';

/** A tier on a clock the test moves, proven current at time 0 under generation 7. */
function provenTier(options: { maxEntries?: number; maxBytes?: number; boundMs?: number } = {}): { tier: LocalTier<string>; clock: { t: number } } {
  const clock = { t: 0 };
  const tier = new LocalTier<string>({ maxEntries: options.maxEntries ?? 100, maxBytes: options.maxBytes ?? 1 << 20, boundMs: options.boundMs ?? 1000, now: () => clock.t });
  tier.useGeneration(7n);
  tier.prove(0);
  return { tier, clock };
}

describe('local tier', () => {
  it('serves what it keeps while proven, and one invalidation removes every spelling', () => {
    const { tier } = provenTier();
    for (const question of ['alice', 'ALICE', 'alice ']) expect(tier.set(question, 'p:grp:ALICE:admins', 7n, 'yes', 1, tier.ticket())).toBe(true);
    tier.set('bob', 'p:grp:BOB:admins', 7n, 'no', 1, tier.ticket());
    expect(tier.get('ALICE')?.value).toBe('yes');
    expect(tier.get('carol')).toBeUndefined();
    tier.invalidate(['p:grp:ALICE:admins']);
    for (const question of ['alice', 'ALICE', 'alice ']) expect(tier.get(question)).toBeUndefined();
    expect(tier.get('bob')?.value).toBe('no');
    expect(tier.size).toBe(1);
    expect(tier.counters).toMatchObject({ hits: 2, misses: 4 });
  });

  it('keeps no answer looked up across an invalidation, a clear, or under another generation', () => {
    const { tier } = provenTier();
    const before = tier.ticket();
    tier.invalidate(['p:grp:OTHER:x']);
    expect(tier.set('alice', 'p:grp:ALICE:admins', 7n, 'yes', 1, before)).toBe(false);
    const beforeClear = tier.ticket();
    tier.clear();
    expect(tier.set('alice', 'p:grp:ALICE:admins', 7n, 'yes', 1, beforeClear)).toBe(false);
    expect(tier.set('alice', 'p:grp:ALICE:admins', 6n, 'yes', 1, tier.ticket())).toBe(false);
    expect(tier.counters.refusedInserts).toBe(3);
    expect(tier.set('alice', 'p:grp:ALICE:admins', 7n, 'yes', 1, tier.ticket())).toBe(true);
    tier.useGeneration(8n);
    expect(tier.size).toBe(0);
  });

  it('answers nothing once the proof is older than the bound, and counts why', () => {
    const { tier, clock } = provenTier({ boundMs: 1000 });
    tier.set('alice', 'p:grp:ALICE:admins', 7n, 'yes', 1, tier.ticket());
    clock.t = 1000;
    expect(tier.get('alice')?.value).toBe('yes');
    clock.t = 1001;
    tier.explain = () => 'feed-unreadable';
    expect(tier.get('alice')).toBeUndefined();
    expect(tier.set('bob', 'p:grp:BOB:admins', 7n, 'no', 1, tier.ticket())).toBe(false);
    expect(tier.counters.bypasses['feed-unreadable']).toBe(1);
    tier.prove(500);
    expect(tier.get('alice')?.value).toBe('yes');
    tier.prove(100); // older proof never shortens a newer one
    expect(tier.get('alice')?.value).toBe('yes');
    tier.revoke();
    expect(tier.get('alice')).toBeUndefined();
  });

  it('holds at most max entries and max bytes, counting evictions', () => {
    const { tier } = provenTier({ maxEntries: 50 });
    for (let i = 0; i < 200; i++) tier.set(`user${i}`, `p:grp:USER${i}:g`, 7n, '1', 1, tier.ticket());
    expect(tier.size).toBe(50);
    expect(tier.counters.evictions).toBe(150);
    expect(tier.get('user199')?.value).toBe('1');
    expect(tier.get('user0')).toBeUndefined();
    // Evicted entries leave the index: invalidating them is harmless.
    tier.invalidate(['p:grp:USER0:g']);

    const bytes = provenTier({ maxEntries: 1000, maxBytes: 4096 }).tier;
    for (let i = 0; i < 200; i++) bytes.set(`user${i}`, `p:cred:USER${i}`, 7n, 'x'.repeat(100), 100, bytes.ticket());
    expect(bytes.bytes).toBeLessThanOrEqual(4096);
    expect(bytes.size).toBeLessThan(200);
    expect(bytes.set('huge', 'p:cred:HUGE', 7n, 'x', 10_000, bytes.ticket())).toBe(false);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new LocalTier({ maxEntries: 0, maxBytes: 1, boundMs: 1 })).toThrow(InvalidArgumentError);
    expect(() => new LocalTier({ maxEntries: 1, maxBytes: 1.5, boundMs: 1 })).toThrow(InvalidArgumentError);
  });
});

describe('feed format', () => {
  it('round-trips records and beats, and refuses foreign text', () => {
    const keys = { n: 12n, kind: 'keys', keys: ['p:grp:A:b', 'p:cred:A'] } as const;
    expect(decodeRecord(encodeRecord(keys))).toEqual(keys);
    expect(decodeRecord(encodeRecord({ n: 3n, kind: 'keys', keys: [] }))).toEqual({ n: 3n, kind: 'keys', keys: [] });
    expect(decodeRecord(encodeRecord({ n: 4n, kind: 'all', generation: 99n }))).toEqual({ n: 4n, kind: 'all', generation: 99n });
    const beat = { seq: 5n, lagMs: 120, generation: 9n };
    expect(decodeBeat(encodeBeat(beat))).toEqual(beat);
    for (const text of ['', '0', 'f1 x k', 'f1 1 z', 'f1 1 a', 'b1 1 2', 'b1 -1 2 3']) {
      expect(decodeRecord(text)).toBeUndefined();
      expect(decodeBeat(text)).toBeUndefined();
    }
  });

  it('names slots by number modulo the ring, and strips the generation from namespace keys', () => {
    const feed = new FeedKeys('p:', 8);
    expect(feed.slot(3n)).toBe(feed.slot(11n));
    expect(feed.slot(3n)).not.toBe(feed.slot(4n));
    expect(splitVersionedKey('p:', 'p:1700000000000:grp:A:b')).toEqual({ generation: 1700000000000n, local: 'p:grp:A:b' });
    expect(splitVersionedKey('p:', 'p:grp:A:b')).toBeUndefined();
    expect(splitVersionedKey('p:', 'q:1:grp')).toBeUndefined();
  });
});
