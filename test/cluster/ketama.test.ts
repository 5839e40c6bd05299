import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ketamaHashCounts, ketamaHashesPerServer } from '../../src/cluster/ketama.js';
import { KetamaRing } from '../../src/cluster/ring.js';
import { parseServerList, parseServerSpec } from '../../src/cluster/server-spec.js';
import { toWireKey } from '../../src/cluster/wire-key.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('ketama hash counts', () => {
  it('rounds in float32 like libmemcached, not in double like hashring', () => {
    // Equal weights: C computes (float)(1/n)*160/4*n; double precision lands on the other side of 40.
    expect(ketamaHashesPerServer(1, 25, 25)).toBe(39);
    expect(Math.floor((1 / 25) * 40 * 25)).toBe(40);
    expect(ketamaHashesPerServer(1, 7, 7)).toBe(40);
    expect(Math.floor((1 / 7) * 40 * 7)).toBe(39);
    expect(ketamaHashesPerServer(1, 3, 3)).toBe(40);
  });

  it('gives weighted servers proportional counts and can give a tiny weight none', () => {
    const servers = parseServerList(['127.0.0.1:1:1', '127.0.0.1:2:100', '127.0.0.1:3:1000']);
    const counts = ketamaHashCounts(servers);
    expect(counts[1]).toBeGreaterThan(counts[0] ?? 0);
    expect(counts[0]).toBe(0);
    expect(new KetamaRing(servers).shares().get('127.0.0.1:1')).toBe(0);
  });
});

describe('server specs', () => {
  it('parses host:port[:weight] and IPv6, naming port 11211 servers by host alone', () => {
    expect(parseServerSpec('127.0.0.1:11311:3')).toMatchObject({ host: '127.0.0.1', port: 11311, weight: 3, ketamaName: '127.0.0.1:11311' });
    expect(parseServerSpec('localhost:11211')).toMatchObject({ weight: 1, ketamaName: 'localhost', address: 'localhost:11211' });
    expect(parseServerSpec('[::1]:11400:2')).toMatchObject({ host: '::1', address: '[::1]:11400', ketamaName: '::1:11400', weight: 2 });
  });

  it.each(['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:1:0', 'a b:1', ':11211', '127.0.0.1:1:1.5'])(
    'rejects %j',
    (spec) => expect(() => parseServerSpec(spec)).toThrow(InvalidArgumentError),
  );

  it('rejects duplicates and empty lists', () => {
    expect(() => parseServerList(['127.0.0.1:1', '127.0.0.1:1:2'])).toThrow(/twice/);
    expect(() => parseServerList([])).toThrow(/empty/);
  });
});

describe('ring', () => {
  const servers = parseServerList(['127.0.0.1:11311', '127.0.0.1:11312:2', '127.0.0.1:11313']);
  const ring = new KetamaRing(servers);

  it('lists every server once in failover order, owner first', () => {
    for (const key of ['a', 'b', 'user:alice@example.com', 'x'.repeat(200)]) {
      const order = ring.successors(key);
      expect(order[0]).toBe(ring.serverFor(key));
      expect(new Set(order.map((s) => s.address)).size).toBe(3);
    }
  });

  it('shares the keyspace by weight, summing to 1', () => {
    const shares = ring.shares();
    const total = [...shares.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 9);
    expect(shares.get('127.0.0.1:11312') ?? 0).toBeGreaterThan(0.35);
  });

  it('moves only the removed server’s keys when a server leaves (equal weights)', () => {
    const four = new KetamaRing(parseServerList(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3', '127.0.0.1:4']));
    const three = new KetamaRing(parseServerList(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']));
    for (let i = 0; i < 2000; i++) {
      const key = `k${i}`;
      const before = four.serverFor(key).address;
      if (before !== '127.0.0.1:4') expect(three.serverFor(key).address).toBe(before);
    }
  });
});

describe('wire keys', () => {
  const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

  it('keeps printable ASCII keys under 250 bytes verbatim', () => {
    expect(toWireKey('grp:alice@example.com:ipauth')).toBe('grp:alice@example.com:ipauth');
    expect(toWireKey('x'.repeat(249))).toBe('x'.repeat(249));
  });

  it('hashes keys of 250+ bytes to lowercase hex MD5, as Kamailio’s $mct() does', () => {
    expect(toWireKey('x'.repeat(250))).toBe(md5('x'.repeat(250)));
    expect(toWireKey('y'.repeat(5000))).toMatch(/^[0-9a-f]{32}$/);
  });

  it('hashes keys that could inject a command or are not ASCII', () => {
    for (const key of ['a b', 'a\r\nflush_all', 'tab\there', 'del\x7f', 'ünïcode', '\u0000']) {
      expect(toWireKey(key)).toBe(md5(key));
    }
  });

  it('rejects the empty key', () => {
    expect(() => toWireKey('')).toThrow(InvalidArgumentError);
  });
});
