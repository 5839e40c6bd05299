import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { QUIET_HOLD_MS } from '../../src/cluster/connection.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

describe.skipIf(!needBinary('memcached'))('quiet stores (SETQ) on real memcached', () => {
  let server: MemcachedProcess;
  /** The writer, and another client on the same server that sees what has reached it. */
  let writer: MemcacheCluster;
  let other: MemcacheCluster;
  const run = `${process.pid}-${Date.now()}`;
  const seen = async (key: string): Promise<string | undefined> => (await other.get(key))?.value.toString();

  /** Stores `old` at `key`, then stops the clock for the hold and the deadlines (sockets and setImmediate run as ever); the token of `old`. */
  async function oldThenFrozenClock(key: string): Promise<bigint> {
    await writer.set(key, 'old');
    const token = (await writer.gets(key))?.cas ?? 1n;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    return token;
  }

  beforeAll(async () => {
    server = await MemcachedProcess.start();
    writer = new MemcacheCluster({ servers: [server.address], timeoutMs: 2000 });
    other = new MemcacheCluster({ servers: [server.address], timeoutMs: 2000 });
    // Both sockets open before any test fakes the clock.
    await Promise.all([writer.get(`warm:${run}`), other.get(`warm:${run}`)]);
  });

  afterEach(() => void vi.useRealTimers());

  afterAll(async () => {
    writer?.close();
    other?.close();
    await server?.stop();
  });

  it('tells stored, exists and not-found apart, though memcached answers only the failures', async () => {
    const key = `quiet-cas:${run}`;
    await writer.set(key, 'v1');
    const first = (await writer.gets(key))?.cas ?? 1n;
    await writer.set(key, 'v2 by someone else');
    expect(await writer.cas(key, 'v3', first, { quiet: true })).toBe('exists');
    const second = (await writer.gets(key))?.cas ?? 1n;
    expect(await writer.cas(key, 'v3', second, { quiet: true })).toBe('stored');
    expect(await seen(key)).toBe('v3');
    await writer.delete(key);
    expect(await writer.cas(key, 'v4', second, { quiet: true })).toBe('not-found');
    await writer.set(key, 'plain set, quiet', { quiet: true });
    expect(await seen(key)).toBe('plain set, quiet');
  });

  it('holds a quiet store until the next request to its server, which it leaves before and which confirms it', async () => {
    const key = `quiet-held:${run}`;
    const token = await oldThenFrozenClock(key);
    let settled = false;
    const storing = writer.cas(key, 'new', token, { quiet: true }).finally(() => (settled = true));
    // A full round trip of another client: the store has not reached the server.
    expect(await seen(key)).toBe('old');
    expect(settled).toBe(false);
    // The writer's next request carries the store ahead of it, and its answer confirms the store.
    expect((await writer.get(key))?.value.toString()).toBe('new');
    expect(await storing).toBe('stored');
  });

  it(`sends a lone quiet store after ${QUIET_HOLD_MS} ms with a NOOP that confirms it`, async () => {
    const key = `quiet-alone:${run}`;
    const token = await oldThenFrozenClock(key);
    const storing = writer.cas(key, 'new', token, { quiet: true });
    expect(await seen(key)).toBe('old');
    vi.advanceTimersByTime(QUIET_HOLD_MS);
    expect(await storing).toBe('stored');
    expect(await seen(key)).toBe('new');
  });

  it('never sends a quiet store whose deadline passed while it was held', async () => {
    const key = `quiet-late:${run}`;
    const token = await oldThenFrozenClock(key);
    const storing = writer.cas(key, 'too late', token, { quiet: true, timeoutMs: 1 });
    vi.advanceTimersByTime(1);
    await expect(storing).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    vi.advanceTimersByTime(QUIET_HOLD_MS);
    // The next request would carry it if it were still held.
    expect((await writer.get(key))?.value.toString()).toBe('old');
    expect(await seen(key)).toBe('old');
  });

  it('fails a held quiet store when its connection closes', async () => {
    const closing = new MemcacheCluster({ servers: [server.address], timeoutMs: 2000 });
    const key = `quiet-closed:${run}`;
    await closing.set(key, 'old');
    const token = (await closing.gets(key))?.cas ?? 1n;
    const storing = closing.cas(key, 'never', token, { quiet: true });
    closing.close();
    await expect(storing).rejects.toMatchObject({ code: 'E_CONNECTION' });
    expect(await seen(key)).toBe('old');
  });
});
