import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KetamaRing } from '../../src/cluster/ring.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { buildContinuum, keyHash, ownerOf } from '../../src/cli/ring/continuum.js';
import { movement } from '../../src/cli/ring/movement.js';

const SETS: readonly (readonly string[])[] = [
  ['127.0.0.1:11311', '127.0.0.1:11312', '127.0.0.1:11313'],
  ['127.0.0.1:11211', '127.0.0.2:11211', '127.0.0.3:11311:3'],
  ['127.0.0.1:10012', '127.0.0.1:9574'], // a real pair of servers sharing a point (docs/ring.md)
  ['127.0.0.1:20074', '127.0.0.1:20289', '127.0.0.1:20290:2'],
  Array.from({ length: 25 }, (_, i) => `127.0.0.1:${30000 + i}`), // float32 hash counts: 39 each
];

describe('the ring command’s continuum and exact movement', () => {
  it.each(SETS.map((set) => [set.length, set] as const))('places every key as KetamaRing does (%i servers)', (_n, set) => {
    const servers = parseServerList(set);
    const ring = new KetamaRing(servers);
    const continuum = buildContinuum(servers);
    for (let i = 0; i < 20_000; i++) {
      const key = randomBytes(6).toString('hex');
      expect(ownerOf(continuum, keyHash(key))).toBe(ring.serverFor(key).address);
    }
    // Each point's own value belongs to it (the boundary case of "first point >= hash").
    continuum.values.forEach((value, i) => {
      if (i > 0 && continuum.values[i - 1] === value) return; // a tie: the first of the points owns it
      expect(ownerOf(continuum, value)).toBe(continuum.owners[i]);
    });
  });

  it('moves nothing between a ring and itself, and everything between disjoint rings', () => {
    const a = buildContinuum(parseServerList(['127.0.0.1:1', '127.0.0.1:2']));
    expect(movement(a, a)).toEqual({ moved: 0, flows: [] });
    const b = buildContinuum(parseServerList(['127.0.0.1:3']));
    expect(movement(a, b).moved).toBe(1);
  });

  it('integrates exactly: moved equals the sum of the per-server share changes when one server is added', () => {
    const before = parseServerList(['127.0.0.1:11311', '127.0.0.1:11312', '127.0.0.1:11313']);
    const after = [...before, ...parseServerList(['127.0.0.1:11314'])];
    const result = movement(buildContinuum(before), buildContinuum(after));
    const shares = new KetamaRing(after).shares();
    expect(result.moved).toBe(shares.get('127.0.0.1:11314'));
  });

  it('agrees with brute force over a small slice of the keyspace', () => {
    // Every hash of a 2^20 window, counted one by one, against the integral restricted to it.
    const before = buildContinuum(parseServerList(['127.0.0.1:11311', '127.0.0.1:11312']));
    const after = buildContinuum(parseServerList(['127.0.0.1:11311', '127.0.0.1:11312', '127.0.0.1:11313:2']));
    let moved = 0;
    const samples = 2 ** 20;
    const stride = 2 ** 12;
    for (let h = 0; h < samples; h++) {
      const hash = h * stride + 7;
      if (ownerOf(before, hash) !== ownerOf(after, hash)) moved += 1;
    }
    expect(Math.abs(movement(before, after).moved - moved / samples)).toBeLessThan(0.002);
  });
});
