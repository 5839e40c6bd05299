import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../../src/auth/auth-cache.js';
import { signedCodec } from '../../src/cache/codec.js';
import type { CacheCounters } from '../../src/cache/counters.js';
import type { LookupStatus } from '../../src/cache/engine.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { DeadlineError, SourceUnavailableError } from '../../src/errors.js';
import { createKamailioDatabase, digestHa1, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { rawGet } from '../helpers/text-protocol.js';
import { MemcachedWatch } from '../helpers/memcached-watch.js';
import { nextEvent } from '../helpers/wait.js';
import { STDIN_LINES, ScriptProcess } from '../cache/script-process.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

describe.skipIf(!ready)('auth lookups on Kamailio’s schema with real MariaDB and memcached', () => {
  let db: KamailioDatabase;
  let proxy: TcpProxy;
  const servers: MemcachedProcess[] = [];
  let cluster: MemcacheCluster;
  let namespace = 0;

  /** MySQL through the fault proxy, so tests can make it slow, silent or gone. */
  const proxiedUrl = (): string => {
    const url = new URL(db.url);
    url.port = String(proxy.port);
    return url.toString();
  };

  async function authCache(options: Partial<Parameters<typeof AuthCache.create>[0]> = {}): Promise<AuthCache> {
    namespace += 1;
    return AuthCache.create({
      memcached: cluster,
      mysql: { uri: proxiedUrl(), poolSize: 4 },
      queryTimeoutMs: 2000,
      ...options,
      cache: { keyPrefix: `t${process.pid}n${namespace}:`, deadlineMs: 3000, ...options.cache },
    });
  }

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    proxy = await TcpProxy.start(Number(new URL(db.url).port || 3306));
    for (let i = 0; i < 2; i++) servers.push(await MemcachedProcess.start());
    cluster = new MemcacheCluster({ servers: servers.map((s) => s.address), timeoutMs: 300, failureThreshold: 2, probeIntervalMs: 200 });
  });

  afterAll(async () => {
    cluster?.close();
    await proxy?.stop();
    await Promise.all(servers.map((s) => (s.running ? s.stop() : undefined)));
    await db?.drop();
  });

  it('answers group membership: miss, hit, negative, and equal spellings share one entry', async () => {
    const auth = await authCache();
    const status: LookupStatus = {};
    expect(await auth.isUserInGroup('alice', 'example.com', 'ipauth', status)).toBe(true);
    expect(status.source).toBe('source');
    // Answered before its store landed; once it has, every equal spelling hits the one entry.
    await auth.settled();
    expect(await auth.isUserInGroup('ALICE', 'example.com', 'IpAuth', status)).toBe(true);
    expect(status.source).toBe('cache');
    expect(await auth.isUserInGroup('bob', 'example.com', 'ipauth', status)).toBe(false);
    await auth.settled();
    expect(await auth.isUserInGroup('Bob ', 'example.com', 'ipauth', status)).toBe(false);
    expect(status.source).toBe('cache');
    expect(auth.stats().cache).toMatchObject({ loads: 2, hits: 1, negativeHits: 1 });
    // Without use_domain the domain is not part of the question (Kamailio's default).
    expect(await auth.isUserInGroup('alice', 'elsewhere.test', 'ipauth', status)).toBe(true);
    expect(status.source).toBe('cache');
    const key = await auth.keysFor({ user: 'alice', domain: 'example.com', group: 'ipauth' });
    expect((await rawGet(Number(cluster.serverFor(key.group ?? '').split(':').pop()), key.group ?? ''))?.value).toBe('1');
    await auth.close();
  });

  it('asks every spelling of a name under one key, however often, and moves with the namespace', async () => {
    const auth = await authCache();
    const spellings = ['alice', 'ALICE', 'alice ', 'Alice', 'alice'];
    const keys = new Set<string | undefined>();
    for (let round = 0; round < 3; round++) {
      for (const user of spellings) {
        const status: LookupStatus = {};
        expect((await auth.getCredentials(user, 'example.com', status))?.ha1).toBe(digestHa1('alice', 'example.com', 'alice-pw'));
        expect(await auth.isUserInGroup(user, 'example.com', 'IPAUTH', status)).toBe(true);
        keys.add(status.key);
        await auth.settled();
      }
    }
    // One group key for every spelling and round; the first lookup of each kind loaded, the rest hit.
    expect(keys).toEqual(new Set([(await auth.keysFor({ user: 'alice', domain: 'example.com', group: 'ipauth' })).group]));
    expect(auth.stats().cache).toMatchObject({ loads: 2, hits: 2 * 3 * spellings.length - 2 });
    // A new generation: every spelling gets the new key (and loads once more).
    await auth.bumpNamespace();
    const status: LookupStatus = {};
    expect(await auth.isUserInGroup('ALICE ', 'example.com', 'ipauth', status)).toBe(true);
    expect(status.key).toBe((await auth.keysFor({ user: 'alice', domain: 'example.com', group: 'ipauth' })).group);
    expect(status.key).not.toEqual([...keys][0]);
    expect(auth.stats().cache.loads).toBe(3);
    await auth.close();
  });

  it('honours use_domain for groups and credentials', async () => {
    const auth = await authCache({ lookups: { group: { useDomain: true }, credentials: { useDomain: true } } });
    expect(await auth.isUserInGroup('trent', 'example.org', 'ipauth')).toBe(true);
    expect(await auth.isUserInGroup('trent', 'example.com', 'ipauth')).toBe(false);
    expect(await auth.isUserInGroup('trent', 'EXAMPLE.com', 'intl')).toBe(true);
    expect((await auth.getCredentials('bob', 'example.org'))?.ha1).toBe(digestHa1('bob', 'example.org', 'bob-org-pw'));
    expect(await auth.getCredentials('bob', 'example.net')).toBeUndefined();
    await auth.close();
  });

  it('reads credentials as auth_db does, including the database’s trailing-space rule', async () => {
    const auth = await authCache();
    const alice = await auth.getCredentials('alice', 'example.com');
    expect(alice).toEqual({
      ha1: digestHa1('alice', 'example.com', 'alice-pw'),
      ha1b: digestHa1('alice@example.com', 'example.com', 'alice-pw'),
    });
    expect((await auth.getCredentials('carol', 'example.com'))?.ha1).toBe(digestHa1('carol', 'example.com', 'carol-pw'));
    expect(await auth.getCredentials('nobody', 'example.com')).toBeUndefined();
    await auth.settled();
    const status: LookupStatus = {};
    expect(await auth.getCredentials('NOBODY', 'example.com', status)).toBeUndefined();
    expect(status.source).toBe('cache');
    await auth.close();
  });

  it('reads the plain password only with calculate_ha1', async () => {
    const auth = await authCache({ lookups: { credentials: { calculateHa1: true } } });
    expect((await auth.getCredentials('dave', 'example.com'))?.password).toBe('dave-pw');
    await auth.close();
  });

  it('checks addresses from one cached copy of the table', async () => {
    const auth = await authCache();
    // Two checks at once on a new node: one reads the table, the other shares that read.
    const first: LookupStatus = {};
    const second: LookupStatus = {};
    expect(await Promise.all([auth.allowAddress('127.0.0.1', 1, 5060, first), auth.allowAddress('127.0.0.1', 1, 5060, second)])).toEqual([true, true]);
    expect([first.source, second.source]).toEqual(['source', 'peer']);
    expect(await auth.allowAddress('127.0.0.1', 1, 5060, first)).toBe(true);
    expect(first.source).toBe('cache');
    expect(await auth.allowAddress('127.0.0.1', 1, 5060)).toBe(true);
    expect(await auth.allowAddress('127.0.0.1', 1, 5061)).toBe(false);
    expect(await auth.allowAddress('127.10.9.8', 1, 1)).toBe(true);
    expect(await auth.allowAddress('::1', 1, 9)).toBe(true);
    expect(await auth.allowAddress('127.40.50.1', 2, 0)).toBe(true);
    expect(await auth.allowAddress('::ffff:127.0.0.1', 1, 0)).toBe(false);
    expect(auth.stats().cache.loads).toBe(1);
    await auth.close();
  });

  it('never caches a load that raced an invalidation', async () => {
    const auth = await authCache();
    const key = (await auth.keysFor({ user: 'erin', domain: 'example.com', group: 'ops' })).group ?? '';
    // Hold MySQL's traffic: once any of it reaches the proxy, the load is under way (it runs
    // only under the lease), and the invalidation lands in the middle of it.
    proxy.mode = 'stall';
    let lookup: Promise<boolean>;
    try {
      const loading = nextEvent(proxy, 'chunk', (_direction: string, _bytes: number, fate: string) => fate === 'held');
      lookup = auth.isUserInGroup('erin', 'example.com', 'ops');
      await loading;
      await auth.deleteKey(key);
    } finally {
      proxy.mode = 'forward';
    }
    expect(await lookup).toBe(true);
    await auth.settled();
    expect(auth.stats().cache.staleSetsPrevented).toBe(1);
    const status: LookupStatus = {};
    expect(await auth.isUserInGroup('erin', 'example.com', 'ops', status)).toBe(true);
    expect(status.source).toBe('source');
    await auth.close();
  });

  it('lets two processes missing the same key at once run exactly one SQL query', async () => {
    namespace += 1;
    const prefix = `t${process.pid}n${namespace}:`;
    // This process creates the namespace generation the two share, and names their key.
    const parent = await AuthCache.create({ memcached: cluster, mysql: { uri: proxiedUrl(), poolSize: 1 }, cache: { keyPrefix: prefix } });
    const key = (await parent.keysFor({ user: 'alice', domain: 'example.com', group: 'voicemail' })).group ?? '';
    await parent.close();
    const script = `
      ${STDIN_LINES}
      import { AuthCache } from './src/index.ts';
      const auth = await AuthCache.create({
        memcached: { servers: ${JSON.stringify(servers.map((s) => s.address))}, timeoutMs: 5000 },
        mysql: { uri: ${JSON.stringify(proxiedUrl())}, poolSize: 1 },
        cache: { keyPrefix: ${JSON.stringify(prefix)}, deadlineMs: 60000 },
      });
      say({ ready: true });
      await nextLine();
      const member = await auth.isUserInGroup('alice', 'example.com', 'voicemail');
      say({ done: true, member, counters: auth.stats().cache });
      await auth.close();
    `;
    const watch = await MemcachedWatch.start(Number(cluster.serverFor(key).split(':').pop()));
    const nodes = [new ScriptProcess(script), new ScriptProcess(script)];
    try {
      await Promise.all(nodes.map((n) => n.waitFor('ready', true, 120_000)));
      // MySQL answers nothing until both lookups are under way: one loading, one waiting on its lease.
      proxy.mode = 'stall';
      const loading = nextEvent(proxy, 'chunk', (_direction: string, _bytes: number, fate: string) => fate === 'held', 60_000);
      for (const n of nodes) n.send('go');
      await loading;
      await watch.waitFor((e) => e.type === 'item_get' && e.key === key && e.status === 'found', 'a read of the lease', 60_000);
      for (const n of nodes) expect(n.printed('done', true)).toBeUndefined();
      proxy.mode = 'forward';
      const done = await Promise.all(nodes.map((n) => n.waitFor<{ member: boolean; counters: CacheCounters }>('done', true, 60_000)));
      expect(done.map((d) => d.member)).toEqual([true, true]);
      expect(done.map((d) => d.counters.loads).sort()).toEqual([0, 1]);
      expect(done.find((d) => d.counters.loads === 0)?.counters).toMatchObject({ coalesced: 1, hits: 0 });
    } finally {
      proxy.mode = 'forward';
      watch.close();
      await Promise.all(nodes.map((n) => n.kill()));
    }
  });

  it('keeps answering from the cache while MySQL is down, and fails or denies a miss as configured', async () => {
    const failing = await authCache({ cache: { deadlineMs: 1500 } });
    const denying = await authCache({ cache: { onSourceError: 'deny', deadlineMs: 1500 } });
    expect(await failing.isUserInGroup('alice', 'example.com', 'voicemail')).toBe(true);
    await proxy.stop();
    try {
      expect(await failing.isUserInGroup('alice', 'example.com', 'voicemail')).toBe(true);
      const error = await failing.isUserInGroup('trent', 'example.com', 'intl').catch((e: unknown) => e);
      expect(error instanceof SourceUnavailableError || error instanceof DeadlineError).toBe(true);
      expect(await denying.isUserInGroup('trent', 'example.com', 'intl')).toBe(false);
      expect(await denying.getCredentials('alice', 'example.com')).toBeUndefined();
    } finally {
      await proxy.resume();
    }
    await failing.close();
    await denying.close();
  });

  it('never waits past its deadline when MySQL accepts but never answers', async () => {
    // The deadline (400 ms) is shorter than the query timeout (2000 ms): the lookup must fail with
    // DeadlineError, never with the query's own timeout, however loaded the machine.
    const auth = await authCache({ cache: { deadlineMs: 400 } });
    proxy.mode = 'blackhole';
    try {
      const error = await auth.isUserInGroup('frank', '', 'ipauth').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeadlineError);
      // It gave up at its deadline, not when MySQL timed out: the query is still waiting.
      expect(auth.database.sql.running).toBe(1);
    } finally {
      proxy.mode = 'forward';
    }
    await auth.close();
  });

  it('keeps names whose key needs MySQL within the deadline and the error rules', async () => {
    const failing = await authCache({ cache: { deadlineMs: 400 } });
    const denying = await authCache({ cache: { deadlineMs: 400, onSourceError: 'deny' } });
    // Accented names ask MySQL for their weights (utf8mb4_general_ci), unlike ASCII ones.
    proxy.mode = 'blackhole';
    try {
      const started = performance.now();
      expect(await failing.isUserInGroup('zoë', 'example.com', 'ipauth').catch((e: unknown) => e)).toBeInstanceOf(DeadlineError);
      console.log(`MySQL silent, accented name, deadline 400 ms: DeadlineError after ${(performance.now() - started).toFixed(0)} ms`);
      expect(await failing.getCredentials('zoë', 'example.com').catch((e: unknown) => e)).toBeInstanceOf(DeadlineError);
      // One weight query each for grp.username and subscriber.username, both still waiting.
      expect(failing.stats().names.weightQueries).toBe(2);
      expect(failing.database.sql.running).toBe(2);
      expect(await denying.isUserInGroup('zoë', 'example.com', 'ipauth')).toBe(false);
      expect(await denying.getCredentials('zoë', 'example.com')).toBeUndefined();
    } finally {
      proxy.mode = 'forward';
    }
    await proxy.stop();
    try {
      const error = await failing.isUserInGroup('chloë', 'example.com', 'ipauth').catch((e: unknown) => e);
      expect(error instanceof SourceUnavailableError || error instanceof DeadlineError).toBe(true);
      expect(await denying.isUserInGroup('chloë', 'example.com', 'ipauth')).toBe(false);
    } finally {
      await proxy.resume();
    }
    await failing.close();
    await denying.close();
  });

  it('goes to MySQL when a memcached server is killed', async () => {
    const auth = await authCache();
    const victim = servers[0]!;
    await victim.kill();
    try {
      for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'trent']) {
        await auth.isUserInGroup(user, 'example.com', 'ipauth');
      }
      expect(await auth.isUserInGroup('alice', 'example.com', 'ipauth')).toBe(true);
      expect(await auth.isUserInGroup('bob', 'example.com', 'ipauth')).toBe(false);
    } finally {
      await victim.restart();
    }
    // Later tests share the cluster: wait until its probe has brought the server back.
    for (let waited = 0; cluster.stats().servers.some((s) => s.state !== 'up') && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(cluster.stats().servers.every((s) => s.state === 'up')).toBe(true);
    await auth.close();
  });

  it('treats a forged signed entry as a miss and answers from MySQL', async () => {
    const auth = await authCache({ cache: { codec: signedCodec('cluster secret for the tests!!') } });
    expect(await auth.isUserInGroup('bob', 'example.com', 'ipauth')).toBe(false);
    await auth.settled();
    const key = (await auth.keysFor({ user: 'bob', domain: 'example.com', group: 'ipauth' })).group ?? '';
    // An attacker with access to memcached writes "member" without the secret.
    await cluster.set(key, 's1:9999999999:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:v1');
    expect(await auth.isUserInGroup('bob', 'example.com', 'ipauth')).toBe(false);
    expect(auth.stats().cache.forged).toBe(1);
    await auth.close();
  });
});
