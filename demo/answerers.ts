/**
 * The ways a proxy node answers Kamailio's three questions, one per phase, each lookup saying where
 * its answer came from (the library's `LookupStatus`; the SQL ways fill it in alike). Each counts
 * the SQL queries on its own mysql2 pool, alike: one `acquire` or `enqueue` event per query.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { AddressTable, AuthCache, authCacheOptions, createMysqlPool, loadConfig, type AuthringConfig, type LookupStatus, type MysqlOptions } from '../src/index.js';
import { ASKED_GROUP, type Person } from './population.js';

/** The phases, in run order. */
export const MODES = ['no-cache', 'htable', 'authring', 'authring-local'] as const;
/** One phase's way of answering. */
export type Mode = (typeof MODES)[number];

/** One question about a person asking from `port`, answered as a number the judge compares; fills in `status`. */
export type Question = (who: Person, port: number, status: LookupStatus) => Promise<number>;

/** A node's auth backend. */
export interface Answerer {
  /** `is_user_in(ipauth)` (1/0), the credentials ({@link credentialsTag}), `allow_address(1, ip, port)` (1/0). */
  readonly questions: readonly Question[];
  /** SQL queries and memcached requests so far, memcached servers marked down (on a loaded machine: timeouts), the local tier's counters when it is on. */
  counters(): { sql: number; memcached: number; downs: number; local?: Record<string, number> };
  close(): Promise<void>;
}

/** The first 32 bits of an `ha1` as a number; -1 for none. */
export function credentialsTag(ha1: string | undefined): number {
  return ha1 === undefined ? -1 : Number.parseInt(ha1.slice(0, 8), 16);
}

/** A pool on the config file's database, with a query counter (a batch of SELECTs counts once: see openAuthCache). */
function countedPool(config: AuthringConfig, batchQueries = false): { pool: Pool; count: () => number } {
  const pool = createMysqlPool({ ...(authCacheOptions(config).mysql as MysqlOptions), batchQueries });
  let queries = 0;
  pool.on('acquire', () => (queries += 1));
  pool.on('enqueue', () => (queries += 1));
  return { pool, count: () => queries };
}

/**
 * An AuthCache for a phase on a counted pool (closed by the caller after the cache): the phase's
 * name added to the key prefix (each phase starts cold), the address table re-read every 500 ms
 * and the local tier (`tiered`; not for the watcher's own cache) bound at 800 ms, so that both
 * invalidation bounds stay inside the judge's 1 s (with the defaults, the address one is 1.1 s).
 */
export async function openAuthCache(config: AuthringConfig, phase: Mode, tiered = phase === 'authring-local'): Promise<{ auth: AuthCache; pool: Pool; count: () => number }> {
  // Batched as AuthCache batches the pool it opens; counted by statement, as the SQL phases count queries.
  const { pool } = countedPool(config, true);
  const options = authCacheOptions(config);
  const local = tiered ? { local: { ...options.local, enabled: true, boundMs: 800 } } : {};
  const auth = await AuthCache.create({ ...options, ...local, mysql: pool, cache: { ...options.cache, keyPrefix: `${config.cache.keyPrefix}${phase}:`, addressCheckMs: 500 } });
  return { auth, pool, count: () => auth.database.sql.statements };
}

/**
 * Kamailio's htable pattern: each node keeps its own answers (in shared memory, for all its
 * workers), stored with `autoexpire` seconds; an expired entry is dropped when read
 * (ht_cell_pkg_copy compares whole seconds, time(NULL)), and nothing else ever removes one. Workers
 * missing the same key each query MySQL: htable has no single flight. A hit is said to come from
 * `local` memory, a miss from the `source`.
 */
function htable(ttlS: number, keyOf: (who: Person, port: number) => string, load: (who: Person, port: number) => Promise<number>): Question {
  const entries = new Map<string, { value: number; expires: number }>();
  return async (who, port, status) => {
    const key = keyOf(who, port);
    const entry = entries.get(key);
    status.source = entry !== undefined && !(entry.expires < Math.floor(Date.now() / 1000)) ? 'local' : 'source';
    if (entry !== undefined && status.source === 'local') return entry.value;
    const value = await load(who, port);
    entries.set(key, { value, expires: Math.floor(Date.now() / 1000) + ttlS });
    return value;
  };
}

/** Opens phase `mode`'s answerer from the cluster config file. */
export async function openAnswerer(mode: Mode, configPath: string, htableTtlS: number): Promise<Answerer> {
  const config = await loadConfig(configPath);
  if (mode.startsWith('authring')) {
    const { auth, pool, count } = await openAuthCache(config, mode);
    let downs = 0;
    auth.cluster.on('server-down', () => (downs += 1));
    return {
      questions: [
        async (p, _, status) => Number(await auth.isUserInGroup(p.user, p.domain, ASKED_GROUP, status)),
        async (p, _, status) => credentialsTag((await auth.getCredentials(p.user, p.domain, status))?.ha1),
        async (p, port, status) => Number(await auth.allowAddress(p.sourceIp, 1, port, status)),
      ],
      counters: () => {
        const local = auth.localStats();
        const memcached = auth.stats().memcached.servers.reduce((sum, s) => sum + s.requests, 0);
        return { sql: count(), memcached, downs, ...(local && { local: { hits: local.hits, misses: local.misses, clears: local.clears, ...Object.fromEntries(Object.entries(local.bypasses).map(([reason, n]) => [`bypassed (${reason})`, n])) } }) };
      },
      close: async () => { await auth.close(); await pool.end(); },
    };
  }
  // The SQL Kamailio's modules send when nothing caches (Kamailio's column names), each with the
  // key of its question's htable (one table per question, as an operator's route script keeps them).
  const { pool, count } = countedPool(config);
  const rows = async (sql: string, params: (string | number)[]): Promise<RowDataPacket[]> => (await pool.query<RowDataPacket[]>(sql, params))[0];
  const sql: [(p: Person, port: number) => string, (p: Person, port: number) => Promise<number>][] = [
    [(p) => `${p.user}\n${p.domain}`, async (p) => Number((await rows('SELECT grp FROM grp WHERE username = ? AND domain = ? AND grp = ?', [p.user, p.domain, ASKED_GROUP])).length > 0)],
    [(p) => `${p.user}\n${p.domain}`, async (p) => credentialsTag((await rows('SELECT ha1, ha1b FROM subscriber WHERE username = ? AND domain = ?', [p.user, p.domain]))[0]?.['ha1'] as string | undefined)],
    [(p, port) => `${p.sourceIp}\n${port}`, async (p, port) => {
      const table = await rows('SELECT grp, ip_addr, mask, port FROM address WHERE grp = ?', [1]);
      return Number(new AddressTable(table.map((r) => ({ group: Number(r['grp']), ip: String(r['ip_addr']), mask: Number(r['mask']), port: Number(r['port']), tag: null }))).allows(p.sourceIp, 1, port));
    }],
  ];
  return {
    questions: sql.map(([key, load]): Question => (mode === 'htable' ? htable(htableTtlS, key, load) : (p, port, status) => ((status.source = 'source'), load(p, port)))),
    counters: () => ({ sql: count(), memcached: 0, downs: 0 }),
    close: () => pool.end(),
  };
}
