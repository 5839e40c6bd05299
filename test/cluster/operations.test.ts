import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { toWireKey } from '../../src/cluster/wire-key.js';
import { ClosedError, InvalidArgumentError, ValueTooLargeError } from '../../src/errors.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet } from '../helpers/text-protocol.js';

describe.skipIf(!needBinary('memcached'))('cluster operations on real memcached', () => {
  const servers: MemcachedProcess[] = [];
  let cluster: MemcacheCluster;
  const portOf = (address: string): number => Number(address.split(':').pop());
  const run = `${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await MemcachedProcess.start());
    // Deadlines with room for a loaded 2-core machine: these tests are about results, not time.
    cluster = new MemcacheCluster({ servers: servers.map((s, n) => `${s.address}:${n + 1}`), timeoutMs: 2000 });
  });

  afterAll(async () => {
    cluster?.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('stores text with flags 1 on the server the ring names, binary with flags 0', async () => {
    for (let n = 0; n < 30; n++) {
      const key = `text:${run}:${n}`;
      await cluster.set(key, `value ${n}`, { ttl: 60 });
      const raw = await rawGet(portOf(cluster.serverFor(key)), key);
      expect(raw).toEqual({ value: `value ${n}`, flags: 1 });
    }
    await cluster.set(`bin:${run}`, Buffer.from([0, 1, 2, 255]));
    const item = await cluster.get(`bin:${run}`);
    expect(item?.flags).toBe(0);
    expect([...(item?.value ?? [])]).toEqual([0, 1, 2, 255]);
  });

  it('reads a miss as undefined and round-trips utf-8 text', async () => {
    expect(await cluster.get(`absent:${run}`)).toBeUndefined();
    await cluster.set(`utf8:${run}`, 'Grüße, 世界');
    expect((await cluster.get(`utf8:${run}`))?.value.toString('utf8')).toBe('Grüße, 世界');
  });

  it('getThen hands a hit, a miss or a failure to its callbacks', async () => {
    await cluster.set(`then:${run}`, 'there');
    const read = (key: string, on: MemcacheCluster): Promise<string> =>
      on.getThen(key, {}, (item) => (item === undefined ? 'miss' : `hit ${item.value.toString('utf8')}`), (error) => `failed ${(error as { code?: string }).code}`);
    expect(await read(`then:${run}`, cluster)).toBe('hit there');
    expect(await read(`absent-then:${run}`, cluster)).toBe('miss');
    // Bad arguments and a closed cluster fail before any request, and that still reaches onFailure.
    expect(await cluster.getThen(`then:${run}`, { timeoutMs: 0 }, () => 'read', (error) => `failed ${(error as { code?: string }).code}`)).toBe('failed E_INVALID_ARGUMENT');
    const closed = new MemcacheCluster({ servers: [servers[0]?.address ?? ''] });
    closed.close();
    expect(await read(`then:${run}`, closed)).toBe(`failed ${new ClosedError().code}`);
  });

  it('add stores only absent keys', async () => {
    expect(await cluster.add(`add:${run}`, 'first')).toBe(true);
    expect(await cluster.add(`add:${run}`, 'second')).toBe(false);
    expect((await cluster.get(`add:${run}`))?.value.toString()).toBe('first');
  });

  it('cas stores only over the token it read', async () => {
    const key = `cas:${run}`;
    await cluster.set(key, 'v1');
    const first = await cluster.gets(key);
    expect(first?.cas).toBeGreaterThan(0n);
    await cluster.set(key, 'v2 by someone else');
    expect(await cluster.cas(key, 'v3', first?.cas ?? 1n)).toBe('exists');
    const second = await cluster.gets(key);
    expect(await cluster.cas(key, 'v3', second?.cas ?? 1n)).toBe('stored');
    expect((await cluster.get(key))?.value.toString()).toBe('v3');
    await cluster.delete(key);
    expect(await cluster.cas(key, 'v4', second?.cas ?? 1n)).toBe('not-found');
  });

  it('casItem replaces only over the token it holds and returns the new token, so a writer can replace again', async () => {
    const key = `cas-item:${run}`;
    const first = await cluster.addItem(key, 'lease 1');
    const second = await cluster.casItem(key, 'lease 2', first ?? 1n);
    expect(second).toBeGreaterThan(0n);
    expect(second).not.toBe(first);
    expect((await cluster.gets(key))?.cas).toBe(second);
    // The old token no longer holds; the new one does.
    expect(await cluster.casItem(key, 'stale writer', first ?? 1n)).toBeUndefined();
    expect(await cluster.casItem(key, 'lease 3', second ?? 1n)).toBeGreaterThan(0n);
    expect((await cluster.get(key))?.value.toString()).toBe('lease 3');
    await cluster.delete(key);
    expect(await cluster.casItem(key, 'gone', second ?? 1n)).toBeUndefined();
  });

  it('addItem returns the CAS token of what it stored, and delete with cas removes only that', async () => {
    const key = `lease:${run}`;
    const token = await cluster.addItem(key, 'marker');
    expect(token).toBeGreaterThan(0n);
    expect(await cluster.addItem(key, 'other')).toBeUndefined();
    expect((await cluster.gets(key))?.cas).toBe(token);
    await cluster.set(key, 'replaced by another writer');
    expect(await cluster.delete(key, { cas: token ?? 1n })).toBe(false);
    expect((await cluster.get(key))?.value.toString()).toBe('replaced by another writer');
    const current = await cluster.gets(key);
    expect(await cluster.delete(key, { cas: current?.cas ?? 1n })).toBe(true);
    expect(await cluster.get(key)).toBeUndefined();
  });

  it('deletes and touches, reporting whether the key was there', async () => {
    const key = `del:${run}`;
    await cluster.set(key, 'x');
    expect(await cluster.touch(key, 100)).toBe(true);
    expect(await cluster.delete(key)).toBe(true);
    expect(await cluster.delete(key)).toBe(false);
    expect(await cluster.touch(key, 100)).toBe(false);
  });

  it('keeps decimal counters with flags 0', async () => {
    const key = `ctr:${run}`;
    expect(await cluster.incr(key, 5n, { initial: 10n })).toBe(10n);
    expect(await cluster.incr(key, 5n)).toBe(15n);
    expect(await rawGet(portOf(cluster.serverFor(key)), key)).toEqual({ value: '15', flags: 0 });
  });

  it('getMulti returns every hit across all servers, by the caller’s keys', async () => {
    const keys = Array.from({ length: 200 }, (_, n) => `multi:${run}:${n}`);
    const stored = keys.filter((_, n) => n % 3 !== 0);
    await Promise.all(stored.map((key) => cluster.set(key, `v:${key}`)));
    expect(new Set(keys.map((k) => cluster.serverFor(k))).size).toBe(3);
    const hits = await cluster.getMulti([...keys, keys[1] ?? '']);
    expect([...hits.keys()].sort()).toEqual([...stored].sort());
    for (const key of stored) expect(hits.get(key)?.value.toString()).toBe(`v:${key}`);
    expect((await cluster.getMulti([])).size).toBe(0);
  });

  it('getMulti answers caller keys that share a wire key, and keys asked twice', async () => {
    const long = `long:${run}:${'x'.repeat(300)}`;
    const hashed = createHash('md5').update(long, 'utf8').digest('hex');
    await cluster.set(long, 'shared');
    const hits = await cluster.getMulti([long, hashed, long, hashed]);
    expect([...hits.keys()].sort()).toEqual([hashed, long].sort());
    expect(hits.get(long)?.value.toString()).toBe('shared');
    expect(hits.get(hashed)?.value.toString()).toBe('shared');
  });

  it('carries any key safely: long, spaced and command-like keys cannot inject', async () => {
    const canary = `canary:${run}`;
    await cluster.set(canary, 'alive');
    const hostile = [
      `x\r\nflush_all\r\nset evil 0 0 1\r\n1`,
      'a b c',
      'k'.repeat(300),
      'ключ',
      '\u0000\u0001',
    ];
    for (const key of hostile) {
      await cluster.set(key, `for ${key.length}`);
      expect((await cluster.get(key))?.value.toString()).toBe(`for ${key.length}`);
      expect(await rawGet(portOf(cluster.serverFor(key)), toWireKey(key))).toBeDefined();
    }
    expect((await cluster.get(canary))?.value.toString()).toBe('alive');
    for (const server of servers) expect(await rawGet(server.port, 'evil')).toBeUndefined();
  });

  it('reports a value over the item size limit as a typed error', async () => {
    await expect(cluster.set(`big:${run}`, Buffer.alloc(2 * 1024 * 1024))).rejects.toBeInstanceOf(ValueTooLargeError);
    // The connection survives the refusal.
    await cluster.set(`after-big:${run}`, 'ok');
    expect((await cluster.get(`after-big:${run}`))?.value.toString()).toBe('ok');
  });

  it('rejects bad arguments with InvalidArgumentError before any I/O', async () => {
    await expect(cluster.get('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(cluster.set('k', 'v', { ttl: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(cluster.set('k', 'v', { ttl: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(cluster.get('k', { timeoutMs: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => new MemcacheCluster({ servers: [] })).toThrow(InvalidArgumentError);
    expect(() => new MemcacheCluster({ servers: ['127.0.0.1:1'], timeoutMs: -5 })).toThrow(/timeoutMs/);
  });

  it('reports per-server counters', () => {
    const stats = cluster.stats();
    expect(stats.servers).toHaveLength(3);
    for (const server of stats.servers) {
      expect(server.state).toBe('up');
      expect(server.requests).toBeGreaterThan(0);
    }
    expect(stats.servers.reduce((n, s) => n + s.hits, 0)).toBeGreaterThan(100);
  });

  it('fails calls after close() with E_CLOSED', async () => {
    const other = new MemcacheCluster({ servers: servers.map((s) => s.address), timeoutMs: 2000 });
    await other.set(`closing:${run}`, 'x');
    other.close();
    await expect(other.get(`closing:${run}`)).rejects.toBeInstanceOf(ClosedError);
  });

  it('lets the process exit after close(), with a down server being probed', async () => {
    // The child reports how long it lived after close(): starting tsx on a loaded machine can take
    // many seconds, which is not the subject.
    const script = `
      import { MemcacheCluster } from './src/index.ts';
      const c = new MemcacheCluster({ servers: ['${servers[0]?.address}', '127.0.0.1:9'], failureThreshold: 1, probeIntervalMs: 50, timeoutMs: 2000 });
      let served = 0;
      for (let i = 0; i < 40; i++) {
        try { await c.set('exit' + i, 'x'); await c.get('exit' + i); served++; } catch {}
      }
      if (served === 0) process.exit(3);
      const closed = performance.now();
      process.on('exit', () => console.log('after-close-ms ' + (performance.now() - closed).toFixed(0)));
      c.close();
    `;
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('exit', (exitCode) => {
        clearTimeout(killer);
        resolve({ code: exitCode, output });
      });
    });
    expect(code).toBe(0);
    const afterClose = Number(/after-close-ms (\d+)/.exec(output)?.[1]);
    expect(afterClose).toBeLessThan(2000);
  }, 90_000);

});
