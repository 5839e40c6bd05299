import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlainCodec, signedCodec } from '../../src/cache/codec.js';
import { FeedFollower } from '../../src/cache/local/feed-follower.js';
import { encodeRecord, FeedKeys } from '../../src/cache/local/feed-format.js';
import { FeedWriter } from '../../src/cache/local/feed-writer.js';
import { LocalTier } from '../../src/cache/local/local-tier.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

const BOUND_MS = 1000;

describe.skipIf(!needBinary('memcached'))('invalidation feed through memcached', () => {
  const servers: MemcachedProcess[] = [];
  let cluster: MemcacheCluster;
  let run = 0;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await MemcachedProcess.start());
    cluster = new MemcacheCluster({ servers: servers.map((s) => s.address), timeoutMs: 500 });
  });
  afterAll(async () => {
    cluster?.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  /** A writer and a follower on a fresh prefix; the follower's clock is the test's, polls are the test's. */
  async function feed(ringSize = 1024, codec = authPlainCodec) {
    const prefix = `feed${process.pid}x${(run += 1)}:`;
    const keys = new FeedKeys(prefix, ringSize);
    const clock = { t: 10_000 };
    const tier = new LocalTier<string>({ maxEntries: 1000, maxBytes: 1 << 20, boundMs: BOUND_MS, now: () => clock.t });
    const writer = new FeedWriter(cluster, keys, codec);
    const follower = new FeedFollower(cluster, keys, codec, tier, { gapGraceMs: 200, now: () => clock.t });
    const seen: string[] = [];
    follower.on('dropped', (why) => seen.push(`dropped:${why}`));
    follower.on('applied', (record) => seen.push(record.kind === 'all' ? `all:${record.generation}` : `keys:${record.keys.join(',')}`));
    return { prefix, keys, clock, tier, writer, follower, seen };
  }

  /** The follower's first read (starting position) and a second beat that proves it. */
  async function proven(f: Awaited<ReturnType<typeof feed>>, generation = 1n): Promise<void> {
    await f.writer.beat(0, generation);
    await f.follower.poll();
    expect(f.tier.current).toBe(false);
    f.clock.t += 50;
    await f.writer.beat(10, generation);
    await f.follower.poll();
    expect(f.tier.current).toBe(true);
  }

  it('proves the tier from two heartbeats, by the follower’s own clock', async () => {
    const f = await feed();
    await f.writer.beat(0, 1n);
    await f.follower.poll();
    const firstRead = f.clock.t;
    f.clock.t += 50;
    await f.writer.beat(30, 1n);
    await f.follower.poll();
    // Current up to the previous read's send time minus the beat's lag, for the bound.
    f.clock.t = firstRead - 30 + BOUND_MS;
    expect(f.tier.current).toBe(true);
    f.clock.t += 1;
    expect(f.tier.current).toBe(false);
    expect(f.tier.explain()).toBe('stalled');
    await f.follower.poll(); // the same beat again proves nothing more
    expect(f.tier.current).toBe(false);
    expect(f.tier.explain()).toBe('no-heartbeat');
  });

  it('applies published keys in order, by their key without generation, on every spelling', async () => {
    const f = await feed();
    await proven(f, 5n);
    f.tier.set('alice', `${f.prefix}grp:ALICE:admins`, 5n, '1', 1, f.tier.ticket());
    f.tier.set('ALICE', `${f.prefix}grp:ALICE:admins`, 5n, '1', 1, f.tier.ticket());
    f.tier.set('bob', `${f.prefix}grp:BOB:admins`, 5n, '1', 1, f.tier.ticket());
    await f.writer.publishKeys([`${f.prefix}5:grp:ALICE:admins`, 'not-a-namespace-key']);
    await f.writer.publishKeys([`${f.prefix}5:grp:CAROL:admins`]);
    await f.follower.poll();
    expect(f.seen).toEqual([`keys:${f.prefix}grp:ALICE:admins`, `keys:${f.prefix}grp:CAROL:admins`]);
    expect(f.tier.get('alice')).toBeUndefined();
    expect(f.tier.get('ALICE')).toBeUndefined();
    expect(f.tier.get('bob')?.value).toBe('1');
  });

  it('clears on a new generation, by record or by heartbeat', async () => {
    const f = await feed();
    await proven(f, 5n);
    f.tier.set('bob', `${f.prefix}grp:BOB:admins`, 5n, '1', 1, f.tier.ticket());
    await f.writer.publishAll(6n);
    await f.follower.poll();
    expect(f.tier.generation).toBe(6n);
    expect(f.tier.size).toBe(0);
    f.tier.set('bob', `${f.prefix}grp:BOB:admins`, 6n, '1', 1, f.tier.ticket());
    await f.writer.beat(0, 7n);
    await f.follower.poll();
    expect(f.tier.generation).toBe(7n);
    expect(f.tier.size).toBe(0);
    expect(f.seen).toContain('dropped:generation');
  });

  it('drops everything when records were overwritten before it read them', async () => {
    const f = await feed(8);
    await proven(f);
    f.tier.set('bob', `${f.prefix}grp:BOB:g`, 1n, '1', 1, f.tier.ticket());
    for (let i = 0; i < 12; i++) await f.writer.publishKeys([`${f.prefix}1:grp:U${i}:g`]);
    await f.follower.poll();
    expect(f.seen).toContain('dropped:gap');
    expect(f.tier.size).toBe(0);
    // It goes on from there: later records apply.
    await f.writer.publishKeys([`${f.prefix}1:grp:LATER:g`]);
    await f.follower.poll();
    await f.follower.poll();
    expect(f.seen.at(-1)).toBe(`keys:${f.prefix}grp:LATER:g`);
  });

  it('waits a grace for a numbered record not yet written, then drops everything and moves past it', async () => {
    const f = await feed();
    await proven(f);
    f.tier.set('bob', `${f.prefix}grp:BOB:g`, 1n, '1', 1, f.tier.ticket());
    // A writer that died between numbering its record and writing it.
    await cluster.incr(f.keys.seq, 1n);
    await f.writer.publishKeys([`${f.prefix}1:grp:AFTER:g`]);
    await f.follower.poll();
    expect(f.seen).toEqual([]);
    expect(f.tier.size).toBe(1);
    f.clock.t += 150;
    await f.follower.poll();
    expect(f.seen).toEqual([]);
    f.clock.t += 100;
    await f.follower.poll();
    expect(f.seen).toEqual(['dropped:gap', `keys:${f.prefix}grp:AFTER:g`]);
    expect(f.tier.size).toBe(0);
  });

  it('is not proven by a heartbeat whose records it has not applied yet', async () => {
    const f = await feed();
    await proven(f);
    const stuck = f.clock.t;
    await cluster.incr(f.keys.seq, 1n); // numbered, never written
    f.clock.t += 50;
    await f.writer.beat(0, 1n);
    await f.follower.poll();
    f.clock.t += 100;
    await f.follower.poll();
    expect(f.follower.reason()).toBe('catching-up');
    // Still current on the earlier proof, and no longer once it is older than the bound.
    expect(f.tier.current).toBe(true);
    f.clock.t = stuck + BOUND_MS + 1;
    expect(f.tier.current).toBe(false);
  });

  it('takes no proof from the first heartbeat after its server may have changed', async () => {
    const f = await feed();
    await proven(f);
    const provenAt = f.clock.t;
    f.follower.routingChanged();
    f.clock.t += 50;
    await f.writer.beat(0, 1n);
    await f.follower.poll();
    f.clock.t = provenAt + BOUND_MS;
    expect(f.tier.current).toBe(false);
    f.clock.t += 50;
    await f.writer.beat(0, 1n);
    await f.follower.poll();
    expect(f.tier.current).toBe(true);
  });

  it('reads a signed feed, and takes forged records and beats for absent ones', async () => {
    const codec = signedCodec('a-secret-of-sixteen-bytes');
    const f = await feed(1024, codec);
    await proven(f);
    f.tier.set('bob', `${f.prefix}grp:BOB:g`, 1n, '1', 1, f.tier.ticket());
    const n = await cluster.incr(f.keys.seq, 1n);
    await cluster.set(f.keys.slot(n), encodeRecord({ n, kind: 'all', generation: 99n }));
    await cluster.set(f.keys.beat, `b1 ${n + 10n} 0 99`);
    await f.follower.poll();
    expect(f.tier.generation).toBe(1n);
    expect(f.seen).toEqual([]);
    await f.writer.publishKeys([`${f.prefix}1:grp:BOB:g`]);
    await f.follower.poll();
    f.clock.t += 300;
    await f.follower.poll();
    expect(f.tier.size).toBe(0);
  });

  it('counts an unreadable feed as the reason, and polls on its own once started', async () => {
    const f = await feed();
    const closed = new MemcacheCluster({ servers: servers.map((s) => s.address) });
    closed.close();
    const broken = new FeedFollower(closed, f.keys, authPlainCodec, f.tier, { now: () => f.clock.t });
    await broken.poll();
    expect(f.tier.explain()).toBe('feed-unreadable');

    const live = new FeedFollower(cluster, f.keys, authPlainCodec, f.tier, { pollMs: 5 });
    await f.writer.beat(0, 1n);
    live.start();
    const polled = (): Promise<void> => new Promise((resolve) => live.once('polled', resolve));
    await polled();
    expect(live.position).toBeDefined();
    await live.stop();
    expect(f.tier.current).toBe(false);
  });
});
