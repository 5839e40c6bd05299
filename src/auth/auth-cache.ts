import { createPool, type Pool } from 'mysql2/promise';
import { ReadThroughCache, type LookupStatus } from '../cache/engine.js';
import { authPlainCodec, plainCodec } from '../cache/codec.js';
import { resolveReadThroughOptions, type ReadThroughOptions } from '../cache/options.js';
import type { CacheCounters } from '../cache/counters.js';
import type { ClusterStats } from '../cluster/cluster.js';
import { MemcacheCluster } from '../cluster/cluster.js';
import type { MemcacheClusterOptions } from '../cluster/options.js';
import { DeadlineError, InvalidArgumentError, SourceUnavailableError } from '../errors.js';
import { AddressLookup } from './address.js';
import { CredentialsLookup, type Credentials } from './credentials.js';
import { GroupLookup } from './group.js';
import { KeySpace } from './key-space.js';
import { LookupDeadline } from './lookup-deadline.js';
import { describeColumns, learnColumnFacts } from './names/learn.js';
import { NameKeys } from './names/name-keys.js';
import type { NameCounters } from './names/column-keys.js';
import { NamespaceGeneration } from '../cache/namespace.js';
import { SqlClient } from './sql.js';
import { ADDRESS_DEFAULTS, CREDENTIALS_DEFAULTS, GROUP_DEFAULTS, type AddressTableColumns, type CredentialsTable, type GroupTable } from './tables.js';

/** How to reach MySQL when AuthCache creates the pool itself. */
export interface MysqlOptions {
  /** `mysql://user[:password]@host[:port]/database`; fields below override its parts. */
  readonly uri?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** Connections in the pool. @default 10 */
  readonly poolSize?: number;
  /** Milliseconds to connect. @default 2000 */
  readonly connectTimeoutMs?: number;
}

/** How names were keyed: counters and the memo of keys computed by MySQL. */
export interface NameStats extends NameCounters {
  /** Names in the memo. */
  readonly memoEntries: number;
  /** Bytes the memo accounts for (bounded by `keyMemoBytes`). */
  readonly memoBytes: number;
}

/** Options of {@link AuthCache.create}. */
export interface AuthCacheOptions {
  /** A cluster to use (the caller closes it), or options for one AuthCache creates and closes. */
  readonly memcached: MemcacheCluster | MemcacheClusterOptions;
  /** A mysql2 pool to use (the caller closes it), or how to create one. */
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
  private constructor(
    /** The memcached cluster. */
    readonly cluster: MemcacheCluster,
    /** The read-through engine, with its counters. */
    readonly engine: ReadThroughCache,
    /** The namespace's keys and generation. */
    readonly keySpace: KeySpace,
    /** MySQL, for the invalidation layer (triggers, change log). */
    readonly sql: SqlClient,
    /** The table and column names in force. */
    readonly tables: { readonly group: GroupTable; readonly credentials: CredentialsTable; readonly address: AddressTableColumns },
    private readonly groups: GroupLookup,
    private readonly credentials: CredentialsLookup,
    private readonly addresses: AddressLookup,
    private readonly names: NameKeys,
    private readonly onSourceError: 'fail' | 'deny',
    private readonly deadlineMs: number,
    private readonly closeOwned: () => Promise<void>,
  ) {}

  /** Connects, reads the tables' collations, and returns a ready cache. */
  static async create(options: AuthCacheOptions): Promise<AuthCache> {
    const ownCluster = !(options.memcached instanceof MemcacheCluster);
    const cluster = options.memcached instanceof MemcacheCluster ? options.memcached : new MemcacheCluster(options.memcached);
    const ownPool = !isPool(options.mysql);
    const pool = isPool(options.mysql) ? options.mysql : createMysqlPool(options.mysql);
    const db = new SqlClient(pool);
    const closeOwned = async (): Promise<void> => {
      if (ownCluster) cluster.close();
      // Queries in flight end within their timeout; ending the pool under them could hang.
      await db.drain();
      if (ownPool) await pool.end();
    };
    try {
      const cache = options.cache ?? {};
      const prefix = cache.keyPrefix ?? 'authring:';
      if (!/^[\x21-\x7e]{0,64}$/.test(prefix)) throw new InvalidArgumentError('keyPrefix must be up to 64 printable ASCII characters without spaces');
      const queryTimeoutMs = options.queryTimeoutMs ?? 1000;
      const engineOptions = resolveReadThroughOptions({ ...cache, codec: cache.codec === undefined || cache.codec === plainCodec ? authPlainCodec : cache.codec });
      const engine = new ReadThroughCache(cluster, engineOptions);
      const space = new KeySpace(prefix, new NamespaceGeneration(cluster, `${prefix}ns`, cache.namespaceCheckMs ?? 1000));
      const tables = {
        group: { ...GROUP_DEFAULTS, ...options.lookups?.group },
        credentials: { ...CREDENTIALS_DEFAULTS, ...options.lookups?.credentials },
        address: { ...ADDRESS_DEFAULTS, ...options.lookups?.address },
      };
      const names = new NameKeys(db, options.keyMemoBytes);
      const nameColumns = [
        ...[tables.group.userColumn, tables.group.domainColumn, tables.group.groupColumn].map((column) => ({ table: tables.group.table, column })),
        ...[tables.credentials.userColumn, tables.credentials.domainColumn].map((column) => ({ table: tables.credentials.table, column })),
      ];
      const described = await describeColumns(db, nameColumns.map((c) => c.table), queryTimeoutMs);
      names.use((await learnColumnFacts(db, described, nameColumns, queryTimeoutMs)).values());
      const groups = GroupLookup.create(engine, db, tables.group, space, queryTimeoutMs, names);
      const credentials = CredentialsLookup.create(engine, db, tables.credentials, space, queryTimeoutMs, names);
      const addresses = new AddressLookup(engine, db, tables.address, space, queryTimeoutMs, cache.addressCheckMs ?? 1000);
      // Open the memcached connections and read the generation now, so the first lookups do not
      // spend their deadline connecting. Failures are left for the lookups to handle.
      await Promise.allSettled([cluster.versions({ timeoutMs: 1000 }), space.generation.current(1000)]);
      return new AuthCache(cluster, engine, space, db, tables, groups, credentials, addresses, names, cache.onSourceError ?? 'fail', engineOptions.deadlineMs, closeOwned);
    } catch (error) {
      await closeOwned();
      throw error;
    }
  }

  /** Kamailio's `is_user_in`: is the user (at the domain, with `use_domain`) in the group? */
  isUserInGroup(user: string, domain: string, group: string, status?: LookupStatus): Promise<boolean> {
    return this.guard(() => this.groups.isUserInGroup(user, domain, group, this.deadline(), status), false);
  }

  /** The subscriber's HA1 values (and plain password with `calculateHa1`) as auth_db reads them. */
  getCredentials(user: string, domain: string, status?: LookupStatus): Promise<Credentials | undefined> {
    return this.guard(() => this.credentials.getCredentials(user, domain, this.deadline(), status), undefined);
  }

  /**
   * Kamailio's `allow_address(group, ip, port)`: does a row of the group match the address (host or
   * subnet) and the port (a row's port 0 matches any)? Without `port`, 0 is asked, which only
   * rows with port 0 match, as in Kamailio.
   */
  allowAddress(ip: string, group: number, port = 0, status?: LookupStatus): Promise<boolean> {
    return this.guard(() => this.addresses.allowAddress(ip, group, port, this.deadline(), status), false);
  }

  /**
   * The cache keys of a user's answers in the current namespace generation: one per class of
   * spellings the database treats as equal.
   */
  async keysFor(question: { user: string; domain: string; group?: string }): Promise<{ credentials: string; group?: string }> {
    return {
      credentials: await this.credentials.key(question.user, question.domain),
      ...(question.group === undefined ? {} : { group: await this.groups.key(question.user, question.domain, question.group) }),
    };
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

  /** The current namespace generation (part of every key). */
  namespaceGeneration(): Promise<bigint> {
    return this.keySpace.generation.current();
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

  /** Closes what AuthCache created (not a cluster or pool the caller passed in). */
  async close(): Promise<void> {
    await this.closeOwned();
  }

  /** A new lookup's deadline, started now. */
  private deadline(): LookupDeadline {
    return new LookupDeadline(this.deadlineMs);
  }

  private async guard<T>(lookup: () => Promise<T>, denied: T): Promise<T> {
    try {
      return await lookup();
    } catch (error) {
      if (this.onSourceError === 'deny' && (error instanceof SourceUnavailableError || error instanceof DeadlineError)) return denied;
      throw error;
    }
  }
}

function isPool(value: Pool | MysqlOptions): value is Pool {
  return typeof (value as Pool).getConnection === 'function';
}

/** A mysql2 pool from {@link MysqlOptions}. */
export function createMysqlPool(options: MysqlOptions): Pool {
  const url = options.uri ? new URL(options.uri) : undefined;
  if (url && url.protocol !== 'mysql:') throw new InvalidArgumentError('the MySQL URI must start with mysql://');
  return createPool({
    host: options.host ?? url?.hostname ?? '127.0.0.1',
    port: options.port ?? (url?.port ? Number(url.port) : 3306),
    user: options.user ?? (url ? decodeURIComponent(url.username) : undefined),
    password: options.password ?? (url?.password ? decodeURIComponent(url.password) : undefined),
    database: options.database ?? (url ? decodeURIComponent(url.pathname.replace(/^\//, '')) : undefined),
    connectionLimit: options.poolSize ?? 10,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    // Credentials and names come back as strings exactly as stored.
    charset: 'utf8mb4',
  });
}
