import { afterEach, describe, expect, it } from 'vitest';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import type { MemcacheClusterOptions } from '../../src/cluster/options.js';
import { ConnectionError, PartialResultError, ServerDownError, TimeoutError } from '../../src/errors.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet, rawTtl } from '../helpers/text-protocol.js';

const FAST: Partial<MemcacheClusterOptions> = { timeoutMs: 200, failureThreshold: 2, probeIntervalMs: 100, connectTimeoutMs: 300 };

describe.skipIf(!needBinary('memcached'))('failure handling on real memcached', () => {
  let servers: MemcachedProcess[] = [];
  let cluster: MemcacheCluster | undefined;

  afterEach(async () => {
    cluster?.close();
    cluster = undefined;
    await Promise.all(servers.map((s) => (s.running ? s.stop() : undefined)));
    servers = [];
  });

  async function start(count: number, options: Partial<MemcacheClusterOptions> = {}): Promise<MemcacheCluster> {
    for (let i = 0; i < count; i++) servers.push(await MemcachedProcess.start());
    cluster = new MemcacheCluster({ ...FAST, ...options, servers: servers.map((s) => s.address) });
    return cluster;
  }

  /** A key owned by `server`, so tests can aim at one server. */
  function keyOn(c: MemcacheCluster, server: MemcachedProcess, prefix: string): string {
    for (let n = 0; ; n++) if (c.serverFor(`${prefix}:${n}`) === server.address) return `${prefix}:${n}`;
  }

  function nextEvent(c: MemcacheCluster, event: 'server-down' | 'server-up'): Promise<string> {
    return new Promise((resolve) => c.once(event, (address: string) => resolve(address)));
  }

  it('times out only the request to a hung server, within its deadline', async () => {
    const c = await start(2, { failureThreshold: 100 });
    const [hung, healthy] = servers as [MemcachedProcess, MemcachedProcess];
    const slowKey = keyOn(c, hung, 'slow');
    const fastKey = keyOn(c, healthy, 'fast');
    await c.set(fastKey, 'ok');
    await hung.pause();
    const started = Date.now();
    const [slow, fast] = await Promise.allSettled([c.get(slowKey, { timeoutMs: 300 }), c.get(fastKey)]);
    const elapsed = Date.now() - started;
    expect(slow.status).toBe('rejected');
    const error = (slow as PromiseRejectedResult).reason as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'E_TIMEOUT', server: hung.address, key: slowKey, timeoutMs: 300 });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(fast.status === 'fulfilled' && fast.value?.value.toString()).toBe('ok');
    await hung.resume();
    // The same connection serves again once the server answers.
    await c.set(slowKey, 'back');
    expect((await c.get(slowKey))?.value.toString()).toBe('back');
  });

  it('marks a killed server down after N failures, fails over to the next server, and recovers', async () => {
    const c = await start(3);
    const [victim] = servers as [MemcachedProcess];
    const key = keyOn(c, victim, 'victim');
    const order = [...c['topology'].ring.successors(key)].map((s) => s.address);
    expect(order[0]).toBe(victim.address);
    const down = nextEvent(c, 'server-down');
    await victim.kill();
    const failures = await Promise.allSettled([c.get(key), c.get(key)]);
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
    }
    expect(await down).toBe(victim.address);
    expect(c.stats().servers.find((s) => s.address === victim.address)?.state).toBe('down');

    // While down, the key lives on the next distinct server with a capped TTL, without waiting:
    // no request is even sent to the down server.
    const sentToVictim = (): number => c.stats().servers.find((s) => s.address === victim.address)?.requests ?? -1;
    const before = sentToVictim();
    const started = Date.now();
    await c.set(key, 'during outage', { ttl: 3600 });
    expect((await c.get(key))?.value.toString()).toBe('during outage');
    expect(sentToVictim()).toBe(before);
    expect(Date.now() - started).toBeLessThan(1000);
    const fallbackPort = Number(order[1]?.split(':').pop());
    expect((await rawGet(fallbackPort, key))?.value).toBe('during outage');
    const ttl = await rawTtl(fallbackPort, key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10);

    const up = nextEvent(c, 'server-up');
    await victim.restart();
    expect(await up).toBe(victim.address);
    // The fallback copy is gone, so it cannot resurface in a later outage.
    expect(await rawGet(fallbackPort, key)).toBeUndefined();
    expect(await c.get(key)).toBeUndefined();
    await c.set(key, 'after');
    expect((await rawGet(victim.port, key))?.value).toBe('after');
  });

  it('never serves a copy a partitioned server kept from before its outage', async () => {
    const c = await start(3);
    const [victim] = servers as [MemcachedProcess];
    const key = keyOn(c, victim, 'partition');
    await c.set(key, 'v1 before outage');
    const down = nextEvent(c, 'server-down');
    await victim.pause();
    await Promise.allSettled([c.get(key), c.get(key)]);
    await down;
    // The provisioning change happens during the outage: the value is replaced, then invalidated.
    await c.set(key, 'v2 during outage');
    await c.delete(key);
    expect(c.stats().servers.find((s) => s.address === victim.address)?.journaledKeys).toBe(1);
    const up = nextEvent(c, 'server-up');
    await victim.resume();
    await up;
    expect(await rawGet(victim.port, key)).toBeUndefined();
    expect(await c.get(key)).toBeUndefined();
  });

  it('flushes a recovered server whose outage journal overflowed', async () => {
    const c = await start(2, { outageJournalSize: 2 });
    const [victim] = servers as [MemcachedProcess];
    const untouched = keyOn(c, victim, 'untouched');
    await c.set(untouched, 'old copy');
    const down = nextEvent(c, 'server-down');
    await victim.pause();
    await Promise.allSettled([c.get(untouched), c.get(untouched)]);
    await down;
    for (let n = 0; n < 5; n++) await c.set(keyOn(c, victim, `overflow${n}`), 'x');
    const up = nextEvent(c, 'server-up');
    await victim.resume();
    await up;
    expect(await rawGet(victim.port, untouched)).toBeUndefined();
  });

  it('with fallback none, fails a down server’s keys at once with E_SERVER_DOWN', async () => {
    const c = await start(2, { fallback: 'none' });
    const [victim, other] = servers as [MemcachedProcess, MemcachedProcess];
    const key = keyOn(c, victim, 'none');
    const otherKey = keyOn(c, other, 'none-other');
    await c.set(otherKey, 'fine');
    const down = nextEvent(c, 'server-down');
    await victim.kill();
    await Promise.allSettled([c.get(key), c.get(key)]);
    await down;
    await expect(c.get(key)).rejects.toBeInstanceOf(ServerDownError);
    await expect(c.set(key, 'x')).rejects.toMatchObject({ code: 'E_SERVER_DOWN', server: victim.address });
    // getMulti keeps what the live server returned.
    const error = await c.getMulti([key, otherKey]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialResultError);
    const partial = error as PartialResultError<unknown>;
    expect([...partial.hits.keys()]).toEqual([otherKey]);
    expect(partial.failures.map((f) => f.keys)).toEqual([[key]]);
  });

  it('sends a down server’s keys to a gutter pool when one is configured', async () => {
    const gutter = await MemcachedProcess.start();
    servers.push(gutter);
    const ring = [await MemcachedProcess.start(), await MemcachedProcess.start()];
    servers.push(...ring);
    const c = new MemcacheCluster({ ...FAST, servers: ring.map((s) => s.address), fallback: { gutter: [gutter.address] } });
    cluster = c;
    const [victim] = ring as [MemcachedProcess];
    const key = keyOn(c, victim, 'gutter');
    const down = nextEvent(c, 'server-down');
    await victim.kill();
    await Promise.allSettled([c.get(key), c.get(key)]);
    await down;
    await c.set(key, 'in gutter', { ttl: 0 });
    expect((await rawGet(gutter.port, key))?.value).toBe('in gutter');
    const ttl = await rawTtl(gutter.port, key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10);
    expect(c.stats().gutter[0]?.fallbackServed).toBeGreaterThan(0);
  });
});
