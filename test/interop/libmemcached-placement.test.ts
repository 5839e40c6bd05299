/**
 * KetamaRing against libmemcached itself: for many server lists and keys, the server KetamaRing
 * names must be the one libmemcached 1.1.x (Debian's libmemcached-dev) picks in weighted ketama
 * mode. The oracle is test/interop/ketama-placement.c, compiled on first use.
 */
import HashRing from 'hashring';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalServerOrder } from '../../src/cluster/ketama.js';
import { KetamaRing } from '../../src/cluster/ring.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { toWireKey } from '../../src/cluster/wire-key.js';
import { seededRandom } from '../../tools/random.js';
import { IN_CI, needBinary } from '../helpers/services.js';
import { buildPlacementTool, LIBMEMCACHED_HEADER, libmemcachedPlacement } from './build.js';

/**
 * Server counts (1..64, equal weights) where hashring's double-precision hash count differs from
 * the float32 one of libmemcached and twemproxy; see docs/ring.md.
 */
const FLOAT_DOUBLE_DIFFERENT_COUNTS = [7, 14, 25, 28, 47, 49, 50, 55, 56, 61];


function printableAscii(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(0x21 + Math.floor(random() * 94));
  return text;
}

/** ~2300 caller keys of varied shapes, each mapped through toWireKey as the client does. */
function buildKeys(): string[] {
  const random = seededRandom(0x6b657973);
  const callerKeys: string[] = [];
  // What authring stores: credentials per SIP user and realm.
  for (let i = 0; i < 1000; i++) callerKeys.push(`auth:user${i}@sip${i % 13}.example.net`);
  // Random printable ASCII of every legal verbatim length 1..249.
  for (let i = 0; i < 1000; i++) callerKeys.push(printableAscii(random, 1 + Math.floor(random() * 249)));
  // Every one-character key.
  for (let c = 0x21; c <= 0x7e; c++) callerKeys.push(String.fromCharCode(c));
  // The longest verbatim keys (249 bytes), and keys just over it, which are hashed.
  for (let i = 0; i < 40; i++) callerKeys.push(printableAscii(random, 249));
  for (let i = 0; i < 20; i++) callerKeys.push(printableAscii(random, 250 + i * 37));
  // Keys toWireKey hashes: non-ASCII, spaces, control characters.
  callerKeys.push(
    'müller@example.de',
    'auth:josé@sip.example.es',
    '日本語のキー',
    'ключ@пример.рф',
    '🔑 emoji key',
    'key with spaces',
    'tab\tkey',
    'new\nline',
    'nul\u0000byte',
    '\u00e9',
    'e\u0301',
  );
  for (let i = 0; i < 100; i++) callerKeys.push(`user${i}@dömain-${i}.example`);
  return callerKeys.map((key) => toWireKey(key));
}

const KEYS = buildKeys();

interface PlacementCase {
  readonly label: string;
  /** `host:port:weight`, as both parseServerList and the oracle take them. */
  readonly servers: readonly string[];
}

function loopbackServers(count: number, weight: (i: number) => number = () => 1): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.1:${11311 + i}:${weight(i)}`);
}

const EQUAL_CASES: PlacementCase[] = Array.from({ length: 64 }, (_, i) => ({
  label: `${i + 1} equal servers`,
  servers: loopbackServers(i + 1),
}));

const NAMING_CASES: PlacementCase[] = [
  { label: 'one server on 11211', servers: ['127.0.0.1:11211:1'] },
  { label: '11211 among other ports', servers: ['127.0.0.1:11211:1', '127.0.0.1:11311:1', '127.0.0.1:11312:1'] },
  {
    label: '8 loopback addresses on 11211',
    servers: Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}:11211:1`),
  },
  {
    label: '7 servers on 11211 (a float/double count)',
    servers: Array.from({ length: 7 }, (_, i) => `127.0.${i}.1:11211:1`),
  },
  {
    label: '25 servers, 11211 and 11311 alternating',
    servers: Array.from({ length: 25 }, (_, i) => `127.0.0.${i + 1}:${i % 2 === 0 ? 11211 : 11311}:1`),
  },
  {
    label: 'localhost and other 127.x names',
    servers: [
      'localhost:11211:1',
      'localhost:11311:1',
      '127.0.0.2:11211:1',
      '127.1.2.3:11311:1',
      '127.255.255.254:11211:2',
      '127.0.0.1:11211:3',
    ],
  },
  { label: 'IPv6 loopback', servers: ['[::1]:11211:1', '[::1]:11311:1', '127.0.0.1:11211:1', '127.0.0.1:11311:2'] },
];

function weightedCases(): PlacementCase[] {
  const random = seededRandom(20240607);
  const cases: PlacementCase[] = [];
  for (const count of [2, 3, 5, 7, 8, 13, 21, 25, 34, 55, 64]) {
    const weights = Array.from({ length: count }, () => 1 + Math.floor(random() * 10));
    cases.push({
      label: `${count} servers, random weights ${weights.join(',')}`,
      servers: loopbackServers(count, (i) => weights[i] ?? 1),
    });
  }
  cases.push(
    {
      label: 'weights 1000,1 (the light server gets no points)',
      servers: loopbackServers(2, (i) => (i === 0 ? 1000 : 1)),
    },
    { label: 'weights 1,1000', servers: loopbackServers(2, (i) => (i === 0 ? 1 : 1000)) },
    { label: 'weights 1000,1,1,1', servers: loopbackServers(4, (i) => (i === 0 ? 1000 : 1)) },
    { label: '10 servers alternating 1 and 1000', servers: loopbackServers(10, (i) => (i % 2 === 0 ? 1 : 1000)) },
    { label: '64 servers, one of weight 1000', servers: loopbackServers(64, (i) => (i === 63 ? 1000 : 1)) },
    { label: '64 servers, weights 1..64', servers: loopbackServers(64, (i) => i + 1) },
    { label: '25 equal servers of weight 3', servers: loopbackServers(25, () => 3) },
    { label: '25 equal servers of weight 1000', servers: loopbackServers(25, () => 1000) },
    { label: '7 equal servers of weight 10', servers: loopbackServers(7, () => 10) },
    { label: '7 equal servers of weight 1000', servers: loopbackServers(7, () => 1000) },
    { label: 'weights 1,2,4 (sevenths)', servers: loopbackServers(3, (i) => 2 ** i) },
    { label: 'weights 3,4', servers: loopbackServers(2, (i) => 3 + i) },
  );
  return cases;
}

const WEIGHTED_CASES = weightedCases();

interface Comparison {
  readonly mismatches: number;
  readonly examples: string[];
}

/** Compares a placement function with libmemcached's answers for the same keys. */
function compare(
  libmemcached: readonly string[],
  keys: readonly string[],
  place: (key: string) => string,
): Comparison {
  let mismatches = 0;
  const examples: string[] = [];
  keys.forEach((key, i) => {
    const ours = place(key);
    const theirs = libmemcached[i];
    if (ours !== theirs) {
      mismatches++;
      if (examples.length < 5) examples.push(`${JSON.stringify(key)}: ours ${ours}, libmemcached ${String(theirs)}`);
    }
  });
  return { mismatches, examples };
}

function describeMismatch(label: string, keys: readonly string[], result: Comparison): string {
  return `${label}: ${result.mismatches} of ${keys.length} keys placed differently from libmemcached` +
    (result.examples.length > 0 ? `\n  ${result.examples.join('\n  ')}` : '');
}

// Without a compiler (or libmemcached-dev) there is no oracle: skip locally, fail under CI.
const compilerPresent = needBinary('cc');
const headerPresent = existsSync(LIBMEMCACHED_HEADER);
if (IN_CI && !headerPresent) {
  throw new Error(`${LIBMEMCACHED_HEADER} is missing under CI: run bash scripts/services.sh --interop`);
}

describe.skipIf(!compilerPresent || !headerPresent)('KetamaRing vs libmemcached weighted ketama', () => {
  let oracle = '';
  beforeAll(() => {
    oracle = buildPlacementTool();
  });

  /** libmemcached's answers for KEYS, by server list (the equal-weight lists are asked twice). */
  const answers = new Map<string, string[]>();
  function askLibmemcached(servers: readonly string[], keys: readonly string[]): string[] {
    if (keys !== KEYS) return libmemcachedPlacement(oracle, servers, keys);
    const id = servers.join(' ');
    let placement = answers.get(id);
    if (placement === undefined) {
      placement = libmemcachedPlacement(oracle, servers, keys);
      answers.set(id, placement);
    }
    return placement;
  }

  function expectSamePlacement(placementCase: PlacementCase, keys: readonly string[] = KEYS): void {
    const ring = new KetamaRing(parseServerList(placementCase.servers));
    const libmemcached = askLibmemcached(placementCase.servers, keys);
    const result = compare(libmemcached, keys, (key) => ring.serverFor(key).address);
    expect(result.mismatches, describeMismatch(placementCase.label, keys, result)).toBe(0);
  }

  it('uses only legal wire keys of varied shapes', () => {
    expect(KEYS.length).toBeGreaterThan(2000);
    for (const key of KEYS) expect(key).toMatch(/^[\x21-\x7e]{1,249}$/);
    expect(KEYS.some((key) => key.length === 249)).toBe(true);
    expect(KEYS.some((key) => key.length === 1)).toBe(true);
    expect(KEYS.filter((key) => /^[0-9a-f]{32}$/.test(key)).length).toBeGreaterThan(100);
  });

  it.each(EQUAL_CASES)('$label', (placementCase) => expectSamePlacement(placementCase));

  it.each(NAMING_CASES)('names servers like libmemcached: $label', (placementCase) =>
    expectSamePlacement(placementCase),
  );

  it.each(WEIGHTED_CASES)('weighted: $label', (placementCase) => expectSamePlacement(placementCase));

  it('agrees on 100000 keys for 64 randomly weighted servers', () => {
    const random = seededRandom(99);
    const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}:${printableAscii(random, 8)}`);
    const servers = loopbackServers(64, () => 1 + Math.floor(random() * 10));
    expectSamePlacement({ label: '64 weighted servers, 100k keys', servers }, keys);
  });

  describe('two servers with the same continuum point', () => {
    // Found by search: "127.0.0.1:A-i" and "127.0.0.1:B-j" hash to one common 32-bit point. The
    // same pairs are used against nutcracker, which breaks such ties by name instead of list order.
    const pairs: [number, number, number][] = [
      [20074, 20289, 3454571510],
      [9574, 10012, 3956731687],
    ];

    /** The 160 points of a server that gets 40 hashes (each of two equal servers). */
    function points(name: string): number[] {
      const result: number[] = [];
      for (let i = 0; i < 40; i++) {
        const digest = createHash('md5').update(`${name}-${i}`).digest();
        for (let j = 0; j < 4; j++) result.push(digest.readUInt32LE(j * 4));
      }
      return result;
    }

    /** Keys hashing into the arc that ends at the shared point: owned by whichever tied point sorts first. */
    function keysOnSharedArc(all: readonly number[], shared: number, count: number): string[] {
      const below = Math.max(...all.filter((point) => point < shared));
      const keys: string[] = [];
      for (let i = 0; keys.length < count; i++) {
        const key = `tie-${i}`;
        const hash = createHash('md5').update(key).digest().readUInt32LE(0);
        if (hash > below && hash <= shared) keys.push(key);
      }
      return keys;
    }

    it.each(pairs.flatMap(([a, b, shared]) => [[a, b, shared], [b, a, shared]]))(
      'libmemcached gives a tie to the server listed first, so it is handed the canonical order: %i before %i',
      (first, second, shared) => {
        const firstPoints = points(`127.0.0.1:${first}`);
        const secondPoints = points(`127.0.0.1:${second}`);
        expect(firstPoints).toContain(shared);
        expect(secondPoints).toContain(shared);
        const keys = keysOnSharedArc([...firstPoints, ...secondPoints], shared, 25);
        const listed = [`127.0.0.1:${first}:1`, `127.0.0.1:${second}:1`];
        // List order decides for libmemcached.
        expect(new Set(askLibmemcached(listed, keys))).toEqual(new Set([`127.0.0.1:${first}`]));
        // KetamaRing's owner does not depend on list order: it is the canonical first.
        const canonical = canonicalServerOrder(parseServerList(listed)).map((s) => `${s.address}:${s.weight}`);
        const ring = new KetamaRing(parseServerList(listed));
        expect(new Set(keys.map((key) => ring.serverFor(key).address))).toEqual(
          new Set([canonical[0]?.replace(/:1$/, '')]),
        );
        expectSamePlacement({ label: `tie, canonical order`, servers: canonical }, keys);
      },
    );
  });

  describe('plain hashring (why KetamaRing overrides its hash counts)', () => {
    /** Placement by `new HashRing([...])` with all of hashring's defaults. */
    function plainHashringMismatches(count: number): Comparison {
      const addresses = Array.from({ length: count }, (_, i) => `127.0.0.1:${11311 + i}`);
      const plain = new HashRing(addresses);
      const libmemcached = askLibmemcached(addresses.map((a) => `${a}:1`), KEYS);
      return compare(libmemcached, KEYS, (key) => plain.get(key) ?? 'none');
    }

    it.each([7, 25])('does not match libmemcached for %i equal servers', (count) => {
      const result = plainHashringMismatches(count);
      const message = `plain hashring unexpectedly agrees with libmemcached for ${count} servers`;
      expect(result.mismatches, message).toBeGreaterThan(0);
    });

    it('matches libmemcached for 1..64 equal servers except where float32 and double counts differ', () => {
      const differing: number[] = [];
      for (let count = 1; count <= 64; count++) {
        if (plainHashringMismatches(count).mismatches > 0) differing.push(count);
      }
      expect(differing).toEqual(FLOAT_DOUBLE_DIFFERENT_COUNTS);
    });
  });
});
