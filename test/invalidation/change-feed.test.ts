import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { installTriggers, removeTriggers } from '../../src/invalidation/triggers.js';
import { ChangeWatcher } from '../../src/invalidation/watcher.js';
import { createKamailioDatabase, digestHa1, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';
import type { Question } from './observer-node.js';
import { Observers } from './observers.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

/**
 * The watcher polls every 50 ms; nodes re-read the address table every 200 ms and ask every 20 ms,
 * so the expected delays are about 70 ms and 270 ms (docs/invalidation.md has the measured ones).
 * The asserted bounds leave room for a loaded shared machine.
 */
const KEY_BOUND_MS = 2000;
const ADDRESS_BOUND_MS = 2500;
/** With a memcached server failing, detection (2 failures × 200 ms timeouts) comes first. */
const FAULT_BOUND_MS = 5000;

const QUESTIONS: Question[] = [
  { kind: 'group', user: 'alice', domain: 'example.com', group: 'newgrp' },
  { kind: 'group', user: 'Alice ', domain: 'example.com', group: 'NEWGRP' },
  { kind: 'group', user: 'bob', domain: 'example.com', group: 'newgrp' },
  { kind: 'credentials', user: 'erin', domain: 'example.com' },
  { kind: 'address', ip: '127.0.0.99', group: 9, port: 5060 },
  { kind: 'group', user: 'carol', domain: 'example.com', group: 'ipauth' },
];

describe.skipIf(!ready)('invalidation from the database’s own change log', () => {
  let db: KamailioDatabase;
  const servers: MemcachedProcess[] = [];
  let auth: AuthCache;
  let watcher: ChangeWatcher;
  let observers: Observers;
  const delays: Record<string, number[]> = { key: [], address: [], fault: [] };

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    for (let i = 0; i < 3; i++) servers.push(await MemcachedProcess.start());
    const keyPrefix = `inv${process.pid}:`;
    const memcached = { servers: servers.map((s) => s.address), timeoutMs: 200, failureThreshold: 2, probeIntervalMs: 100 };
    auth = await AuthCache.create({ memcached, mysql: { uri: db.url }, cache: { keyPrefix } });
    expect(await installTriggers(auth.database)).toHaveLength(9);
    expect(await installTriggers(auth.database)).toHaveLength(9);
    watcher = await ChangeWatcher.start(auth, { watcherId: 'test', intervalMs: 50 });
    observers = await Observers.start(2, { servers: memcached.servers, dbUrl: db.url, keyPrefix, questions: QUESTIONS, pollMs: 20 });
  }, 120_000);

  afterAll(async () => {
    await observers?.stop();
    await watcher?.stop();
    if (auth) await removeTriggers(auth.database).catch(() => undefined);
    await auth?.close();
    await Promise.all(servers.map((s) => (s.running ? s.stop() : undefined)));
    await db?.drop();
    const summary = Object.fromEntries(Object.entries(delays).map(([kind, list]) => [kind, percentiles(list)]));
    console.log(`invalidation delays (ms, commit to every node answering anew): ${JSON.stringify(summary)}`);
  });

  /** Runs SQL as a provisioning system would, then waits for every node to answer anew. */
  async function change(sql: string, params: unknown[], q: number, expected: string, kind: 'key' | 'address' | 'fault'): Promise<void> {
    await db.query(sql, params);
    const committed = Date.now();
    const bound = kind === 'key' ? KEY_BOUND_MS : kind === 'address' ? ADDRESS_BOUND_MS : FAULT_BOUND_MS;
    const seen = await observers.waitForAnswer(q, (answer) => answer === expected, committed, bound + 5000);
    delays[kind]?.push(...seen);
    for (const delay of seen) expect(delay).toBeLessThanOrEqual(bound);
  }

  it('starts from the fixtures', () => {
    expect(observers.latest(0)).toEqual(['false', 'false']);
    expect(observers.latest(3)).toEqual([digestHa1('erin', 'example.com', 'erin-pw'), digestHa1('erin', 'example.com', 'erin-pw')]);
    expect(observers.latest(4)).toEqual(['false', 'false']);
    expect(observers.latest(5)).toEqual(['true', 'true']);
  });

  it('applies inserts, updates and deletes of grp rows, for every spelling the database treats as equal', async () => {
    await change('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', ['alice', 'example.com', 'newgrp'], 0, 'true', 'key');
    await observers.waitForAnswer(1, (a) => a === 'true', Date.now(), KEY_BOUND_MS);
    await change('UPDATE grp SET username = ? WHERE username = ? AND grp = ?', ['bob', 'alice', 'newgrp'], 2, 'true', 'key');
    await observers.waitForAnswer(0, (a) => a === 'false', Date.now(), KEY_BOUND_MS);
    await observers.waitForAnswer(1, (a) => a === 'false', Date.now(), KEY_BOUND_MS);
    await change('DELETE FROM grp WHERE username = ? AND grp = ?', ['bob', 'newgrp'], 2, 'false', 'key');
  });

  it('applies subscriber changes to cached credentials', async () => {
    const next = digestHa1('erin', 'example.com', 'new-pw');
    await change('UPDATE subscriber SET ha1 = ? WHERE username = ?', [next, 'erin'], 3, next, 'key');
    await change('DELETE FROM subscriber WHERE username = ?', ['erin'], 3, 'none', 'key');
    await change('INSERT INTO subscriber (username, domain, ha1, ha1b, password) VALUES (?, ?, ?, ?, ?)', ['erin', 'example.com', next, '', ''], 3, next, 'key');
  });

  it('applies address changes to every node’s in-process table', async () => {
    await change('INSERT INTO address (grp, ip_addr, mask, port) VALUES (?, ?, ?, ?)', [9, '127.0.0.99', 32, 5060], 4, 'true', 'address');
    await change('UPDATE address SET port = ? WHERE grp = ?', [5061, 9], 4, 'false', 'address');
    await change('UPDATE address SET port = ? WHERE grp = ?', [0, 9], 4, 'true', 'address');
    await change('DELETE FROM address WHERE grp = ?', [9], 4, 'false', 'address');
  });

  it('loses no change while the watcher is stopped: a restarted watcher resumes from its saved position', async () => {
    await watcher.stop();
    const position = watcher.savedPosition;
    expect(position).toBeGreaterThan(0);
    await db.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', ['alice', 'example.com', 'newgrp']);
    // Every node asks again and still gets the cached answer: nothing but the watcher invalidates.
    await observers.waitForRounds(2);
    expect(observers.latest(0)).toEqual(['false', 'false']);
    watcher = await ChangeWatcher.start(auth, { watcherId: 'test', intervalMs: 50 });
    await observers.waitForAnswer(0, (a) => a === 'true', Date.now(), KEY_BOUND_MS + 1000);
    expect(watcher.savedPosition).toBeGreaterThan(position);
    // A second watcher with its own id applies everything again, harmlessly.
    const second = await ChangeWatcher.start(auth, { watcherId: 'second', intervalMs: 50 });
    expect(second.resumed).toBe(false);
    await waitFor(() => second.savedPosition === watcher.savedPosition, 'the second watcher to apply the whole log');
    await second.stop();
    expect(observers.latest(0)).toEqual(['true', 'true']);
  });

  it('never serves a pre-outage copy after a memcached server that was unreachable during a change returns', async () => {
    const key = (await auth.keysFor({ user: 'carol', domain: 'example.com', group: 'ipauth' })).group ?? '';
    const owner = servers.find((s) => s.address === auth.cluster.serverFor(key));
    if (!owner) throw new Error('no owner');
    const paused = Date.now();
    await owner.pause();
    try {
      // Nodes mark it down, fall back, and still answer from MySQL; then the change happens.
      await observers.waitForServer(owner.address, 'down', paused);
      await change('DELETE FROM grp WHERE username = ? AND grp = ?', ['carol ', 'ipauth'], 5, 'false', 'fault');
    } catch (error) {
      await owner.resume();
      throw error;
    }
    const resumed = Date.now();
    await owner.resume();
    // The paused server still holds "true" for carol; once every node has taken it back and
    // asked again, none may have read it.
    await observers.waitForServer(owner.address, 'up', resumed);
    await observers.waitForRounds(2);
    expect(observers.answersSince(5, resumed)).not.toContain('true');
    expect(observers.latest(5)).toEqual(['false', 'false']);
    await waitFor(() => auth.cluster.stats().servers.every((s) => s.state === 'up'), 'the watcher’s cluster to take the server back');
  });

  it('keeps answering correctly when a memcached server is killed and restarted during changes', async () => {
    const victim = servers[1];
    if (!victim) throw new Error('no server');
    await victim.kill();
    await change('UPDATE grp SET grp = ? WHERE username = ? AND grp = ?', ['oldgrp', 'alice', 'newgrp'], 0, 'false', 'fault');
    await victim.restart();
    await change('UPDATE grp SET grp = ? WHERE username = ? AND grp = ?', ['newgrp', 'alice', 'oldgrp'], 0, 'true', 'fault');
    await observers.waitForAnswer(1, (a) => a === 'true', Date.now(), FAULT_BOUND_MS);
  });
});

function percentiles(values: number[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}
