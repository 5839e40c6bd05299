import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedCodec, type ValueCodec } from '../../src/cache/codec.js';
import { encryptedCodec } from '../../src/cache/encrypted-codec.js';
import { ReadThroughCache } from '../../src/cache/engine.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet } from '../helpers/text-protocol.js';

const SECRET = 'a test secret of 32 bytes.......';
const KEY = 'authring:1796000000000:cred:ALICE';
const EXPIRES = Date.UTC(2030, 0, 1);
const HA1 = 'c1:0f4bd6f5b3d3e2c1a0f9e8d7c6b5a493:9a8b7c6d5e4f30211203f4e5d6c7b8a9';

/** Every string that differs from `text` in exactly one bit of one byte (ASCII text: 7 bits a byte). */
function bitFlips(text: string): string[] {
  const bytes = Buffer.from(text, 'latin1');
  const flipped: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] ?? 0) ^ (1 << bit);
      flipped.push(copy.toString('latin1'));
    }
  }
  return flipped;
}

describe('encrypted codec', () => {
  const codec = encryptedCodec(SECRET);

  it('round-trips values, the negative entry and the expiry, and hides the value', () => {
    for (const value of [HA1, '{"ha1":"x","ha1b":"y","password":"secret pw"}', '1', '', 'é ü ☎ \n\u0000']) {
      const stored = codec.encode(KEY, value, EXPIRES);
      expect(stored).toMatch(/^e1:\d+:[\w-]+$/);
      if (value.length >= 8) expect(stored).not.toContain(value.slice(0, 8));
      expect(codec.decode(KEY, stored)).toEqual({ kind: 'value', value, expiresAt: Math.ceil(EXPIRES / 1000) * 1000 });
    }
    expect(codec.decode(KEY, codec.encode(KEY, null, EXPIRES))).toEqual({ kind: 'value', value: null, expiresAt: EXPIRES });
    // A fresh IV each time: equal values give different entries.
    expect(codec.encode(KEY, HA1, EXPIRES)).not.toBe(codec.encode(KEY, HA1, EXPIRES));
  });

  it.each([
    ['a value', HA1],
    ['the negative entry', null],
  ])('reads %s with any single bit flipped as forged', (_name, value) => {
    const stored = codec.encode(KEY, value, EXPIRES);
    const flips = bitFlips(stored);
    expect(flips.length).toBe(stored.length * 8);
    const accepted = flips.filter((tampered) => codec.decode(KEY, tampered).kind !== 'forged');
    expect(accepted).toEqual([]);
  });

  it('reads an entry moved to another key, or written under another secret, as forged', () => {
    const stored = codec.encode(KEY, HA1, EXPIRES);
    expect(codec.decode(`${KEY}X`, stored)).toEqual({ kind: 'forged' });
    expect(codec.decode(KEY.replace('1796000000000', '1796000000001'), stored)).toEqual({ kind: 'forged' });
    expect(encryptedCodec(`${SECRET}!`).decode(KEY, stored)).toEqual({ kind: 'forged' });
    // Nor is a signed entry, or plain text, accepted under the same secret.
    expect(codec.decode(KEY, signedCodec(SECRET).encode(KEY, HA1, EXPIRES))).toEqual({ kind: 'forged' });
    expect(codec.decode(KEY, HA1)).toEqual({ kind: 'forged' });
  });

  it('refuses a secret shorter than 16 bytes', () => {
    expect(() => encryptedCodec('fifteen bytes!!')).toThrow(InvalidArgumentError);
  });
});

describe('signed codec', () => {
  it('reads any single bit flip as forged, also in the signature’s last character', () => {
    const codec = signedCodec(SECRET);
    const stored = codec.encode(KEY, HA1, EXPIRES);
    expect(bitFlips(stored).filter((tampered) => codec.decode(KEY, tampered).kind !== 'forged')).toEqual([]);
  });
});

describe.skipIf(!needBinary('memcached'))('encrypted entries in memcached', () => {
  let server: MemcachedProcess;
  let cluster: MemcacheCluster;
  const key = (name: string): string => `enc:${process.pid}:${name}`;
  const port = (): number => Number(server.address.split(':').pop());

  beforeAll(async () => {
    server = await MemcachedProcess.start();
    cluster = new MemcacheCluster({ servers: [server.address] });
  });
  afterAll(async () => {
    cluster?.close();
    await server?.stop();
  });

  it('stores no readable value; a tampered, moved or foreign entry is a counted miss, replaced', async () => {
    const codec: ValueCodec = encryptedCodec(SECRET);
    const cache = new ReadThroughCache(cluster, { codec });
    expect(await cache.getOrLoad(key('a'), async () => HA1)).toBe(HA1);
    await cache.settled();
    const stored = (await rawGet(port(), key('a')))?.value ?? '';
    expect(stored).toMatch(/^e1:\d+:[\w-]+$/);
    expect(stored).not.toContain('0f4bd6f5');
    expect(await cache.getOrLoad(key('a'), async () => 'reloaded')).toBe(HA1);

    const last = stored.at(-1) === 'A' ? 'B' : 'A';
    await cluster.set(key('tampered'), `${stored.slice(0, -1)}${last}`);
    await cluster.set(key('moved'), stored);
    await cluster.set(key('foreign'), encryptedCodec(`${SECRET}?`).encode(key('foreign'), 'intruder', Date.now() + 60_000));
    for (const name of ['tampered', 'moved', 'foreign']) {
      expect(await cache.getOrLoad(key(name), async () => `loaded ${name}`)).toBe(`loaded ${name}`);
      await cache.settled();
      expect(await cache.getOrLoad(key(name), async () => 'again')).toBe(`loaded ${name}`);
    }
    expect(cache.counters).toMatchObject({ forged: 3, hits: 4, loads: 4 });
  });
});
