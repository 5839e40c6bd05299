import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedCodec, type ValueCodec } from '../../src/cache/codec.js';
import { encryptedCodec } from '../../src/cache/encrypted-codec.js';
import { ReadThroughCache, type LookupStatus } from '../../src/cache/engine.js';
import { LEASE_FLAGS, LEASE_VALUE } from '../../src/cache/lease.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet } from '../helpers/text-protocol.js';

const SECRET = 'a test secret of 32 bytes.......';

describe.skipIf(!needBinary('memcached'))('lease markers someone else wrote', () => {
  let server: MemcachedProcess;
  let cluster: MemcacheCluster;
  let run = 0;
  const key = (name: string): string => `lm:${process.pid}:${run}:${name}`;
  const port = (): number => Number(server.address.split(':').pop());
  const plant = (k: string, marker: string): Promise<void> => cluster.set(k, marker, { flags: LEASE_FLAGS, ttl: 3600 });

  beforeAll(async () => {
    server = await MemcachedProcess.start();
    cluster = new MemcacheCluster({ servers: [server.address] });
  });
  afterAll(async () => {
    cluster?.close();
    await server?.stop();
  });

  /** A genuine marker, read from memcached while `codec`'s engine loads `k`. */
  async function genuineMarker(codec: ValueCodec, k: string): Promise<string> {
    let marker = '';
    await new ReadThroughCache(cluster, { codec }).getOrLoad(k, async () => {
      marker = (await rawGet(port(), k))?.value ?? '';
      return 'v';
    });
    await cluster.delete(k);
    return marker;
  }

  it.each([
    ['signed', signedCodec(SECRET)],
    ['encrypted', encryptedCodec(SECRET)],
  ])('with the %s codec, an unsigned or altered marker is replaced at once, counted as forged', async (_name, codec) => {
    run++;
    const genuine = await genuineMarker(codec, key('genuine'));
    expect(genuine).toMatch(/^~lease:1:\d+:\d+:\d+:[\w-]{43}$/);
    const planted = [
      LEASE_VALUE,
      `~lease:1:${Date.now()}:999999999:5`,
      genuine.replace(/:(\d+):(\d+):([\w-]+)$/, ':999999:$2:$3'),
      // A genuine marker moved to another key.
      genuine,
    ];
    const cache = new ReadThroughCache(cluster, { codec, deadlineMs: 5000 });
    for (const [n, marker] of planted.entries()) {
      await plant(key(`k${n}`), marker);
      const status: LookupStatus = {};
      expect(await cache.getOrLoad(key(`k${n}`), async () => `loaded ${n}`, { status })).toBe(`loaded ${n}`);
      expect(status.source).toBe('source');
      await cache.settled();
      // Its own lease replaced the planted one, so the result is cached for every node.
      expect(await cache.getOrLoad(key(`k${n}`), async () => 'reloaded')).toBe(`loaded ${n}`);
    }
    expect(cache.counters).toMatchObject({ forged: planted.length, abandonedLeases: 0, loads: planted.length, hits: planted.length });
  });

  it('a genuine signed marker replayed after its leader’s deadline is taken over at once', async () => {
    run++;
    const codec = signedCodec(SECRET);
    const genuine = await genuineMarker(codec, key('replayed'));
    await plant(key('replayed'), genuine);
    // A node whose clock reads a minute later than the leader's did.
    const cache = new ReadThroughCache(cluster, { codec, now: () => Date.now() + 60_000 });
    expect(await cache.getOrLoad(key('replayed'), async () => 'fresh')).toBe('fresh');
    expect(cache.counters).toMatchObject({ forged: 0, abandonedLeases: 1, loads: 1 });
    await cache.settled();
    expect((await rawGet(port(), key('replayed')))?.value).toMatch(/:vfresh$/);
  });

  it('with the plain codec, a marker claiming a long hold is honoured no longer than leaseMs', async () => {
    run++;
    await plant(key('long'), `~lease:1:${Date.now()}:999999999:999999999`);
    const cache = new ReadThroughCache(cluster, { leaseMs: 1000, deadlineMs: 4000 });
    expect(await cache.getOrLoad(key('long'), async () => 'loaded')).toBe('loaded');
    expect(cache.counters).toMatchObject({ abandonedLeases: 1, loads: 1, errors: 0 });
    await cache.settled();
    expect(await rawGet(port(), key('long'))).toEqual({ value: 'loaded', flags: 1 });
  });

  it('with the plain codec, a marker that does not parse is replaced at once, counted as malformed', async () => {
    run++;
    await plant(key('junk'), LEASE_VALUE);
    const cache = new ReadThroughCache(cluster);
    expect(await cache.getOrLoad(key('junk'), async () => 'loaded')).toBe('loaded');
    expect(cache.counters).toMatchObject({ malformed: 1, abandonedLeases: 0, loads: 1 });
    await cache.settled();
    expect(await rawGet(port(), key('junk'))).toEqual({ value: 'loaded', flags: 1 });
  });
});
