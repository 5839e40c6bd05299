import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { KetamaRing } from '../../src/cluster/ring.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { toWireKey } from '../../src/cluster/wire-key.js';
import { authring, authringJson, tempDir, writeConfig } from './cli.js';

// `ring` opens no connection: these servers and this database are only named, never reached.
const SERVERS = ['127.0.0.1:21311', '127.0.0.1:21312', '127.0.0.1:21313'];

interface RingServerJson {
  address: string;
  weight: number;
  points: number;
  share: number;
  percent: number;
}

interface RingJson {
  servers: RingServerJson[];
  change?: { added: string[]; removed: string[]; servers: RingServerJson[]; moved: number; flows: { from: string; to: string; fraction: number }[] };
  keys: { key: string; wireKey?: string; server: string; newServer?: string; moves?: boolean }[];
  keysGiven: number;
  keysMoved?: number;
}

/** Fraction of `samples` random keys whose owner differs between two rings. */
function sampleMoved(before: KetamaRing, after: KetamaRing, samples: number): number {
  let moved = 0;
  for (let i = 0; i < samples; i++) {
    const key = `k:${randomBytes(8).toString('hex')}`;
    if (before.serverFor(key).address !== after.serverFor(key).address) moved += 1;
  }
  return moved / samples;
}

describe('authring ring', () => {
  let config: string;
  const ring = new KetamaRing(parseServerList(SERVERS));

  beforeAll(() => {
    config = writeConfig(tempDir(), { servers: SERVERS, mysqlUrl: 'mysql://authring:authring@127.0.0.1:3306/unused', keyPrefix: 'ring:' });
  });

  it('shows every server with its weight and a share that is KetamaRing.shares(); shares sum to 100%', async () => {
    const { result, json } = await authringJson<RingJson>(['-c', config, 'ring']);
    expect(result.code).toBe(0);
    expect(json.servers.map((s) => s.address)).toEqual(SERVERS);
    const shares = ring.shares();
    for (const s of json.servers) {
      expect(s.weight).toBe(1);
      expect(s.points).toBe(160);
      expect(s.share).toBeCloseTo(shares.get(s.address) ?? -1, 12);
    }
    expect(json.servers.reduce((sum, s) => sum + s.percent, 0)).toBeCloseTo(100, 2);
    expect(json.servers.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1, 12);
    expect(json.keys).toEqual([]);

    const text = await authring(['-c', config, 'ring']);
    expect(text.code).toBe(0);
    for (const s of SERVERS) expect(text.stdout).toMatch(new RegExp(`${s.replace(/\./g, '\\.')}\\s+1\\s+160\\s+\\d+\\.\\d\\d%`));
  });

  it('places keys given as arguments exactly as KetamaRing does, hashing keys memcached cannot carry', async () => {
    const keys = ['alice', 'authring:grp:ALICE:IPAUTH', 'with space', 'ünïcode', 'x'.repeat(300)];
    const { result, json } = await authringJson<RingJson>(['-c', config, 'ring', ...keys]);
    expect(result.code).toBe(0);
    expect(json.keysGiven).toBe(keys.length);
    expect(json.keys.map((k) => k.key)).toEqual(keys);
    for (const placed of json.keys) {
      const wire = toWireKey(placed.key);
      expect(placed.server).toBe(ring.serverFor(wire).address);
      expect(placed.wireKey).toBe(wire === placed.key ? undefined : wire);
    }
    const text = await authring(['-c', config, 'ring', 'alice']);
    expect(text.stdout).toContain(`alice  ${ring.serverFor('alice').address}`);
  });

  it('streams keys from stdin ("-"), one per line, any number', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `user${i}@example.com`);
    const { result, json } = await authringJson<RingJson>(['-c', config, 'ring', '-'], { stdin: `${keys.join('\r\n')}\n\n` });
    expect(result.code).toBe(0);
    expect(json.keysGiven).toBe(keys.length);
    json.keys.forEach((placed, i) => {
      expect(placed.key).toBe(keys[i]);
      expect(placed.server).toBe(ring.serverFor(placed.key).address);
    });

    const text = await authring(['-c', config, 'ring', '-'], { stdin: 'a\nb\nc' });
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n').slice(-3)).toEqual(['a', 'b', 'c'].map((k) => `${k}  ${ring.serverFor(k).address}`));
  });

  it('--add: the exact moved fraction agrees with 100k sampled keys and is about 1/(n+1); the given keys that move are counted', async () => {
    const added = '127.0.0.1:21314';
    const keys = Array.from({ length: 2000 }, (_, i) => `key-${i}`);
    const { result, json } = await authringJson<RingJson>(['-c', config, 'ring', '--add', added, '-'], { stdin: keys.join('\n') });
    expect(result.code).toBe(0);
    const change = json.change;
    expect(change?.added).toEqual([added]);
    expect(change?.removed).toEqual([]);

    const after = new KetamaRing(parseServerList([...SERVERS, added]));
    const sampled = sampleMoved(ring, after, 100_000);
    const moved = change?.moved ?? -1;
    // Binomial standard deviation at p = 0.25, n = 100k is 0.0014: allow four of them.
    expect(Math.abs(moved - sampled)).toBeLessThan(0.006);
    expect(Math.abs(moved - 1 / (SERVERS.length + 1))).toBeLessThan(0.05);
    // Hash counts stay 40 each, so exactly the new server's share moves, all of it to the new server.
    expect(moved).toBeCloseTo(after.shares().get(added) ?? -1, 12);
    expect(change?.flows.every((f) => f.to === added)).toBe(true);
    expect(change?.flows.reduce((sum, f) => sum + f.fraction, 0)).toBeCloseTo(moved, 12);

    let expectedMoves = 0;
    json.keys.forEach((placed) => {
      expect(placed.server).toBe(ring.serverFor(placed.key).address);
      expect(placed.newServer).toBe(after.serverFor(placed.key).address);
      expect(placed.moves).toBe(placed.server !== placed.newServer);
      if (placed.moves) expectedMoves += 1;
    });
    expect(json.keysMoved).toBe(expectedMoves);
    expect(expectedMoves / keys.length).toBeCloseTo(moved, 1);

    const text = await authring(['-c', config, 'ring', '--add', added, 'alice', 'bob']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Keys that would move: \d+\.\d{3}% of the keyspace/);
    expect(text.stdout).toMatch(/2 keys given, \d would move/);
  });

  it('--remove and re-weighting: moved fractions agree with sampling', async () => {
    const removed = await authringJson<RingJson>(['-c', config, 'ring', '--remove', SERVERS[1] ?? '']);
    expect(removed.result.code).toBe(0);
    // Removing a server moves exactly its share (the others keep their points).
    expect(removed.json.change?.moved).toBeCloseTo(ring.shares().get(SERVERS[1] ?? '') ?? -1, 12);

    const reweighted = await authringJson<RingJson>(['-c', config, 'ring', '--remove', SERVERS[0] ?? '', '--add', `${SERVERS[0] ?? ''}:3`]);
    expect(reweighted.result.code).toBe(0);
    const after = new KetamaRing(parseServerList([SERVERS[1] ?? '', SERVERS[2] ?? '', `${SERVERS[0] ?? ''}:3`]));
    expect(Math.abs((reweighted.json.change?.moved ?? -1) - sampleMoved(ring, after, 100_000))).toBeLessThan(0.006);
    expect(reweighted.json.change?.servers.find((s) => s.address === SERVERS[0])?.weight).toBe(3);
  });

  it('rejects a bad change as a usage error (exit 2)', async () => {
    const unknown = await authring(['-c', config, 'ring', '--remove', '127.0.0.1:1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('127.0.0.1:1 is not on the ring');
    expect(unknown.stdout).toBe('');
    const duplicate = await authring(['-c', config, 'ring', '--add', SERVERS[0] ?? '']);
    expect(duplicate.code).toBe(2);
    const malformed = await authring(['-c', config, 'ring', '--add', 'localhost']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--add');
  });
});
