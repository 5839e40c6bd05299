import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ReadThroughCache, type LookupStatus } from '../cache/engine.js';
import { authPlainCodec, plainCodec } from '../cache/codec.js';
import { resolveReadThroughOptions, type ReadThroughOptions } from '../cache/options.js';
import type { CacheCounters } from '../cache/counters.js';
import type { ClusterStats } from '../cluster/cluster.js';
import { MemcacheCluster } from '../cluster/cluster.js';
import type { MemcacheClusterOptions } from '../cluster/options.js';
import { DeadlineError, InvalidArgumentError, LookupDisabledError, SourceUnavailableError } from '../errors.js';
import { AddressLookup } from './address.js';
import { CredentialsLookup, type Credentials } from './credentials.js';
import { GroupLookup } from './group.js';
import { KeySpace } from './key-space.js';
import { NamedQuestions } from './named-questions.js';
import { LookupDeadline } from './lookup-deadline.js';
import { NameKeys } from './names/name-keys.js';
import { FactStore } from './names/fact-store.js';
import { LookupSchema } from './lookup-schema.js';
import { tableUses } from './schema.js';
import type { NameCounters } from './names/column-keys.js';
import { NamespaceGeneration } from '../cache/namespace.js';
import { createMysqlPool, MYSQL_DEFAULTS, type MysqlOptions } from './mysql-options.js';
import { identifier, SqlClient } from './sql.js';
import { FeedWriter } from '../cache/local/feed-writer.js';
import { FeedKeys } from '../cache/local/feed-format.js';
import { LOCAL_TIER_DEFAULTS, type LocalTierSettings } from '../cache/local/options.js';
import { cacheKey } from './cache-key.js';
import { credentialsQuestion, groupQuestion, LocalAnswers } from './local-answers.js';
import type { LocalTierStats } from '../cache/local/local-tier.js';
import {
  ADDRESS_DEFAULTS,
  CREDENTIALS_DEFAULTS,
  GROUP_DEFAULTS,
  type AddressTableColumns,
  type CredentialsTable,
  type GroupTable,
  type LookupTables,
} from './tables.js';

/** The lookup database and the table names in force (see {@link AuthCache.database}). */
export interface LookupDatabase {
  /** A client of the lookups' MySQL pool. */
  readonly sql: SqlClient;
  /** The lookups' table and column names. */
  readonly tables: LookupTables;
}

/** How names were keyed: counters and the memo of keys computed by MySQL. */
export interface NameStats extends NameCounters {
  /** Names in the memo. */
  readonly memoEntries: number;
  /** Bytes the memo accounts for (bounded by `keyMemoBytes`). */
  readonly memoBytes: number;
}

/**
 * The defaults of AuthCache's own options, written once: AuthCache applies them, and the config
 * file's `cache:` section takes `keyPrefix` and `onSourceError` from here.
 */
export const AUTH_CACHE_DEFAULTS = {
  keyPrefix: 'authring:',
  onSourceError: 'fail' as 'fail' | 'deny',
  addressCheckMs: 1000,
  namespaceCheckMs: 1000,
};

/** Options of {@link AuthCache.create}. */
export interface AuthCacheOptions {
  /** A cluster to use (the caller closes it), or options for one AuthCache creates and closes. */
  readonly memcached: MemcacheCluster | MemcacheClusterOptions;
  /**
   * A mysql2 pool to use (the caller closes it), or how to create one. The lookups' SELECTs are
   * batched on a pool AuthCache creates (unless `batchQueries` is false) and on one
   * `createMysqlPool` opened with `batchQueries`; never on a pool opened otherwise.
   */
  readonly mysql: Pool | MysqlOptions;
  /** The read-through engine's options plus the auth-specific ones. */
  readonly cache?: ReadThroughOptions & {
    /** Prefix of every key; one namespace per prefix. @default 'authring:' */
    readonly keyPrefix?: string;
    /**
     * What a lookup answers when it is not cached and MySQL fails: `fail` throws the typed error
     * (map it to a SIP 503), `deny` answers no. @default 'fail'
     */
    readonly onSourceError?: 'fail' | 'deny';
    /** Milliseconds between a node's re-reads of the cached address table. @default 1000 */
    readonly addressCheckMs?: number;
    /**
     * Milliseconds between a node's re-reads of the namespace generation; a namespace-wide
     * invalidation reaches every node within it. @default 1000
     */
    readonly namespaceCheckMs?: number;
  };
  /** Milliseconds one SQL query may run. @default 1000 */
  readonly queryTimeoutMs?: number;
  /**
   * Bytes the memo of keys computed by MySQL may hold (names with characters whose weights are
   * not known locally, under collations such as `utf8mb4_unicode_ci`). @default 1048576
   */
  readonly keyMemoBytes?: number;
  /**
   * Milliseconds between attempts to read the tables and collations from MySQL while it cannot
   * be reached (after a start during an outage); lookups between attempts fail at once. @default 1000
   */
  readonly schemaRetryMs?: number;
  /**
   * The local tier: group membership and credentials answered from process memory while the
   * invalidation feed (written by `authring watch`) proves them current. Off by default.
   */
  readonly local?: LocalTierSettings;
  /** Table and column names; Kamailio's defaults where omitted. */
  readonly lookups?: {
    readonly group?: Partial<GroupTable>;
    readonly credentials?: Partial<CredentialsTable>;
    readonly address?: Partial<AddressTableColumns>;
  };
}

/**
 * Kamailio's auth questions answered through the shared memcached ring, with MySQL behind it:
 * the answers are those of Kamailio's `group`, `auth_db` and `permissions` modules on the same
 * database.
 */
export class AuthCache {
  /**
   * The lookup database and the table names in force: what lives beside the lookup tables (the
   * change log, its triggers) is read and written through it. Trigger installation needs only
   * this, never a whole AuthCache (see `installTriggers`).
   */
  readonly database: LookupDatabase;

  private constructor(
    /** The memcached cluster (its events, stats and server list). */
    readonly cluster: MemcacheCluster,
    private readonly engine: ReadThroughCache,
    private readonly keySpace: KeySpace,
    private readonly sql: SqlClient,
    private readonly tables: LookupTables,
    private readonly groups: GroupLookup,
    private readonly credentials: CredentialsLookup,
    private readonly addresses: AddressLookup,
    private readonly names: NameKeys,
    private readonly schema: LookupSchema,
    private readonly onSourceError: 'fail' | 'deny',
    private readonly deadlineMs: number,
    /** The engine's clock, which a lookup's deadline is started in and handed to the engine in. */
    private readonly now: () => number,
    private readonly closeOwned: () => Promise<void>,
    /** Publishes invalidations to the feed nodes' local tiers follow. */
    readonly feed: FeedWriter,
    /** The local tier, when `local.enabled`. */
    readonly local: LocalAnswers | undefined,
  ) {
    this.database = { sql, tables };
  }

  /**
   * Connects, checks the enabled lookups' tables and reads their collations, and returns a ready
   * cache. MySQL being down does not stop it: the collations come from memcached (where nodes
   * leave them), or are learnt when MySQL answers; until then lookups that cannot build their
   * keys fail with `E_SOURCE_UNAVAILABLE`.
   * @throws SchemaError when MySQL answers and an enabled lookup's table or columns do not fit.
   */
  static async create(options: AuthCacheOptions): Promise<AuthCache> {
    const ownCluster = !(options.memcached instanceof MemcacheCluster);
    const cluster = options.memcached instanceof MemcacheCluster ? options.memcached : new MemcacheCluster(options.memcached);
    const ownPool = !isPool(options.mysql);
    const pool = isPool(options.mysql) ? options.mysql : createMysqlPool({ batchQueries: MYSQL_DEFAULTS.batchQueries, ...options.mysql });
    const db = new SqlClient(pool);
    let engine: ReadThroughCache | undefined;
    const closeOwned = async (): Promise<void> => {
      // Lookups answer before their stores land: let those land before the cluster closes.
      await engine?.settled();
      if (ownCluster) cluster.close();
      // Queries in flight end within their timeout; ending the pool under them could hang.
      await db.drain();
      if (ownPool) await pool.end();
    };
    try {
      const cache = options.cache ?? {};
      const D = AUTH_CACHE_DEFAULTS;
      const prefix = cache.keyPrefix ?? D.keyPrefix;
      if (!/^[\x21-\x7e]{0,64}$/.test(prefix)) throw new InvalidArgumentError('keyPrefix must be up to 64 printable ASCII characters without spaces');
      const queryTimeoutMs = options.queryTimeoutMs ?? MYSQL_DEFAULTS.queryTimeoutMs;
      const engineOptions = resolveReadThroughOptions({ ...cache, codec: cache.codec === undefined || cache.codec === plainCodec ? authPlainCodec : cache.codec });
      engine = new ReadThroughCache(cluster, engineOptions);
      // One clock for the engine, the generation's checks and the lookups' deadlines (see LookupDeadline).
      const generation = new NamespaceGeneration(cluster, `${prefix}ns`, cache.namespaceCheckMs ?? D.namespaceCheckMs, engineOptions.now);
      const space = new KeySpace(prefix, generation, engine);
      const tables = {
        group: { ...GROUP_DEFAULTS, ...options.lookups?.group },
        credentials: { ...CREDENTIALS_DEFAULTS, ...options.lookups?.credentials },
        address: { ...ADDRESS_DEFAULTS, ...options.lookups?.address },
      };
      const names = new NameKeys(db, options.keyMemoBytes);
      // Known at once (or MySQL is down and the facts come from memcached): a node starts
      // whatever MySQL's state, unless MySQL answers that the tables do not fit (SchemaError).
      const schema = new LookupSchema(db, names, tableUses(tables), new FactStore(cluster, prefix, engineOptions.codec, 1000), queryTimeoutMs, options.schemaRetryMs);
      await schema.start();
      const questions = new NamedQuestions(space, names, queryTimeoutMs);
      const groups = GroupLookup.create(db, tables.group, questions, queryTimeoutMs);
      const credentials = CredentialsLookup.create(db, tables.credentials, questions, queryTimeoutMs);
      const addresses = new AddressLookup(db, tables.address, space, queryTimeoutMs, cache.addressCheckMs ?? D.addressCheckMs);
      // Open the memcached connections and read the generation now, so the first lookups do not
      // spend their deadline connecting. Failures are left for the lookups to handle.
      await Promise.allSettled([cluster.versions({ timeoutMs: 1000 }), space.generation.current(1000)]);
      const feed = new FeedWriter(cluster, new FeedKeys(prefix), engineOptions.codec);
      const local = { ...LOCAL_TIER_DEFAULTS, ...options.local };
      const answers = local.enabled
        ? new LocalAnswers(cluster, prefix, engineOptions.codec, local, {
            generation: space.generation,
            addressKey: cacheKey(prefix, 'address', 'table'),
            forgetAddressTable: () => addresses.forget(),
          })
        : undefined;
      answers?.start();
      const onSourceError = cache.onSourceError ?? D.onSourceError;
      return new AuthCache(cluster, engine, space, db, tables, groups, credentials, addresses, names, schema, onSourceError, engineOptions.deadlineMs, engineOptions.now, closeOwned, feed, answers);
    } catch (error) {
      await closeOwned();
      throw error;
    }
  }

  /**
   * Kamailio's `is_user_in`: is the user (at the domain, with `use_domain`) in the group?
   * @throws InvalidArgumentError when a name is not a string; LookupDisabledError when
   *   `lookups.group.enabled` is false.
   */
  isUserInGroup(user: string, domain: string, group: string, status?: LookupStatus): Promise<boolean> {
    // The local tier first: one map read when it holds the answer and is proven current.
    if (this.local !== undefined && typeof user === 'string' && typeof domain === 'string' && typeof group === 'string') {
      const question = groupQuestion(user, domain, group);
      const hit = this.local.tier.get(question);
      if (hit !== undefined) return local(hit.value === true, status);
      return this.local.fill(question, status, (seen) => this.askGroup(user, domain, group, seen));
    }
    return this.askGroup(user, domain, group, status);
  }

  private askGroup(user: string, domain: string, group: string, status?: LookupStatus): Promise<boolean> {
    return this.guard(this.groupAnswer(user, domain, group, status), false);
  }

  /** Not async: on the usual path (names are strings, schema learnt) no promise of its own. */
  private groupAnswer(user: string, domain: string, group: string, status?: LookupStatus): Promise<boolean> {
    const wrong = nameError('user', user) ?? nameError('domain', domain) ?? nameError('group', group);
    if (wrong !== undefined) return Promise.reject(wrong);
    const deadline = this.readyNow('group');
    if (deadline !== undefined) {
      // Started just now, and unspent until the lookup's synchronous start returns (LookupDeadline.unspent).
      deadline.unspent = true;
      try {
        return this.groups.isUserInGroup(user, domain, group, deadline, status);
      } finally {
        deadline.unspent = false;
      }
    }
    return this.ready('group').then((ready) => this.groups.isUserInGroup(user, domain, group, ready, status));
  }

  /**
   * The subscriber's HA1 values (and plain password with `calculateHa1`) as auth_db reads them.
   * @throws InvalidArgumentError when a name is not a string; LookupDisabledError when
   *   `lookups.credentials.enabled` is false.
   */
  getCredentials(user: string, domain: string, status?: LookupStatus): Promise<Credentials | undefined> {
    if (this.local !== undefined && typeof user === 'string' && typeof domain === 'string') {
      const question = credentialsQuestion(user, domain);
      const hit = this.local.tier.get(question);
      if (hit !== undefined) return local(hit.value as Credentials | undefined, status);
      return this.local.fill(question, status, (seen) => this.askCredentials(user, domain, seen));
    }
    return this.askCredentials(user, domain, status);
  }

  private askCredentials(user: string, domain: string, status?: LookupStatus): Promise<Credentials | undefined> {
    return this.guard(this.credentialsAnswer(user, domain, status), undefined);
  }

  /** Not async: on the usual path (names are strings, schema learnt) no promise of its own. */
  private credentialsAnswer(user: string, domain: string, status?: LookupStatus): Promise<Credentials | undefined> {
    const wrong = nameError('user', user) ?? nameError('domain', domain);
    if (wrong !== undefined) return Promise.reject(wrong);
    const deadline = this.readyNow('credentials');
    if (deadline !== undefined) {
      // Started just now, and unspent until the lookup's synchronous start returns (LookupDeadline.unspent).
      deadline.unspent = true;
      try {
        return this.credentials.getCredentials(user, domain, deadline, status);
      } finally {
        deadline.unspent = false;
      }
    }
    return this.ready('credentials').then((ready) => this.credentials.getCredentials(user, domain, ready, status));
  }

  /**
   * Kamailio's `allow_address(group, ip, port)`: does a row of the group match the address (host or
   * subnet) and the port (a row's port 0 matches any)? Without `port`, 0 is asked, which only
   * rows with port 0 match, as in Kamailio.
   * @throws InvalidArgumentError unless `ip` is a string, `group` an integer 0..4294967295 and
   *   `port` an integer 0..65535 (numbers, not numeric strings); LookupDisabledError when
   *   `lookups.address.enabled` is false.
   */
  allowAddress(ip: string, group: number, port = 0, status?: LookupStatus): Promise<boolean> {
    const answer = async (): Promise<boolean> => {
      checkAddressQuestion(ip, group, port);
      if (!this.tables.address.enabled) throw new LookupDisabledError('address');
      return this.addresses.allowAddress(ip, group, port, this.deadline(), status);
    };
    return this.guard(answer(), false);
  }

  /**
   * The cache keys of a user's answers in the current namespace generation: one per class of
   * spellings the database treats as equal; none for a disabled lookup.
   * @throws InvalidArgumentError when a name is not a string.
   */
  async keysFor(question: { user: string; domain: string; group?: string }): Promise<{ credentials?: string; group?: string }> {
    const { user, domain, group } = question;
    checkNames({ user, domain, ...(group === undefined ? {} : { group }) });
    const keys: { credentials?: string; group?: string } = {};
    // A disabled lookup has no keys (its table may not even exist).
    if (this.tables.credentials.enabled) keys.credentials = await this.credentials.key(user, domain);
    if (group !== undefined && this.tables.group.enabled) keys.group = await this.groups.key(user, domain, group);
    return keys;
  }

  /**
   * The key part of a name in one of the lookups' name columns, the form every spelling the
   * column's collation finds equal shares (`alice ` → `ALICE` under `_ci`), as in {@link keysFor};
   * undefined when no row can equal it. For invalidating caches keyed by folded names (Kamailio's).
   */
  namePart(column: { readonly table: string; readonly column: string }, name: string, timeoutMs = 5000): Promise<string | undefined> {
    return this.names.part(column, name, timeoutMs, 'key');
  }

  /** The cache key of the address table in the current namespace generation. */
  addressKey(): Promise<string> {
    return this.addresses.key();
  }

  /**
   * The cache keys of every answer about a user in the current namespace generation: the
   * credentials, and the membership of every group the group table names (a cached "not in
   * group" for a group no row names stays true until a row names it, which the change log
   * invalidates by its exact key). None for a disabled lookup.
   * @throws InvalidArgumentError when a name is not a string.
   */
  async keysOfUser(user: string, domain: string): Promise<string[]> {
    const groups = this.tables.group.enabled ? await this.knownGroups() : [];
    const keys = await Promise.all(groups.map(async (group) => (await this.keysFor({ user, domain, group })).group));
    keys.push((await this.keysFor({ user, domain })).credentials);
    return keys.filter((key) => key !== undefined);
  }

  /** The current namespace generation (part of every key). */
  namespaceGeneration(): Promise<bigint> {
    return this.keySpace.generation.current();
  }

  /** The memcached key of the namespace generation counter (for naming it in errors). */
  get namespaceKey(): string {
    return this.keySpace.generation.key;
  }

  /**
   * Moves every key of the namespace at once (O(1)): bumps the generation every node reads
   * within its namespace check interval. Resolves with the new generation.
   */
  bumpNamespace(): Promise<bigint> {
    return this.keySpace.generation.bump();
  }

  /**
   * Deletes one cached answer by its key (from {@link keysFor}, {@link keysOfUser} or
   * {@link addressKey}), so that a load in flight for it does not store what it read before.
   */
  deleteKey(key: string): Promise<void> {
    return this.engine.invalidate(key);
  }

  /** Forgets this node's in-process copy of the address table, so the next check re-reads it. */
  forgetAddressTable(): void {
    this.addresses.forget();
  }

  /** A snapshot of the engine's counters and every memcached server's counters and state. */
  stats(): { readonly cache: CacheCounters; readonly memcached: ClusterStats; readonly names: NameStats } {
    return {
      cache: { ...this.engine.counters },
      memcached: this.cluster.stats(),
      names: { ...this.names.counters, memoEntries: this.names.memoStats().entries, memoBytes: this.names.memoStats().bytes },
    };
  }

  /** The local tier's counters, size and feed lag; undefined when it is off. */
  localStats(): LocalTierStats | undefined {
    return this.local?.stats();
  }

  /**
   * Resolves once no lookup is running and every loaded answer's store has landed in memcached
   * (lookups answer before their stores land; see docs/lookups.md). `close()` waits for this.
   */
  settled(): Promise<void> {
    return this.engine.settled();
  }

  /** Closes what AuthCache created (not a cluster or pool the caller passed in); waits for {@link settled} first. */
  async close(): Promise<void> {
    await this.local?.stop();
    await this.closeOwned();
  }

  private async knownGroups(): Promise<string[]> {
    const t = this.tables.group;
    const rows = await this.sql.select<RowDataPacket>(`SELECT DISTINCT ${identifier(t.groupColumn)} AS g FROM ${identifier(t.table)}`, [], 5000);
    return rows.map((row) => String(row['g']));
  }

  /** A new lookup's deadline, started now. */
  private deadline(): LookupDeadline {
    return new LookupDeadline(this.deadlineMs, this.now);
  }

  /**
   * A new deadline at once when the lookup is enabled and the schema learnt (the usual case:
   * nothing to wait for, no timer); undefined when {@link ready} must see to it.
   */
  private readyNow(lookup: 'group' | 'credentials'): LookupDeadline | undefined {
    return this.tables[lookup].enabled && this.schema.learnt ? this.deadline() : undefined;
  }

  /** A new deadline, once the lookup is enabled and can build its keys (within that deadline). */
  private async ready(lookup: 'group' | 'credentials'): Promise<LookupDeadline> {
    if (!this.tables[lookup].enabled) throw new LookupDisabledError(lookup);
    const deadline = this.deadline();
    await deadline.run(`lookups.${lookup}`, () => this.schema.ready(lookup));
    return deadline;
  }

  /** The lookup's answer, or `denied` for a failure `onSourceError: 'deny'` turns into "no". */
  private guard<T>(lookup: Promise<T>, denied: T): Promise<T> {
    if (this.onSourceError !== 'deny') return lookup;
    return lookup.catch((error: unknown) => {
      if (error instanceof SourceUnavailableError || error instanceof DeadlineError) return denied;
      throw error;
    });
  }
}

/** An answer from the local tier, said so in `status`. */
function local<T>(value: T, status: LookupStatus | undefined): Promise<T> {
  if (status) status.source = 'local';
  return Promise.resolve(value);
}

/** Names must be strings: anything else is a caller's mistake, never coerced. */
function checkNames(names: Readonly<Record<string, unknown>>): void {
  for (const field in names) {
    const error = nameError(field, names[field]);
    if (error !== undefined) throw error;
  }
}

/** The error for a name that is not a string; one name at a time, so a hit builds no object to check. */
function nameError(field: string, value: unknown): InvalidArgumentError | undefined {
  return typeof value === 'string' ? undefined : new InvalidArgumentError(`${field} must be a string, got ${typeof value}`);
}

/** The address question's types and ranges, so host and subnet rows are asked the same thing. */
function checkAddressQuestion(ip: unknown, group: unknown, port: unknown): void {
  if (typeof ip !== 'string') throw new InvalidArgumentError(`ip must be a string, got ${typeof ip}`);
  if (typeof group !== 'number' || !Number.isInteger(group) || group < 0 || group > 0xffffffff) {
    throw new InvalidArgumentError(`group must be an integer 0..4294967295 (a number), got ${typeof group === 'number' ? group : typeof group}`);
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`port must be an integer 0..65535 (a number), got ${typeof port === 'number' ? port : typeof port}`);
  }
}

function isPool(value: Pool | MysqlOptions): value is Pool {
  return typeof (value as Pool).getConnection === 'function';
}
