/**
 * The resolved config: camelCase, every default applied, every value checked. The YAML keys are
 * the snake_case forms (`timeout_ms` → `timeoutMs`, `ttl_s` → `ttlSeconds`); docs/config.md is the
 * full reference. This layer produces plain data only; a factory elsewhere maps it onto the cluster,
 * cache and auth layers.
 */

/**
 * Where a down memcached server's keys go; the same shape as the cluster's `FallbackPolicy`:
 * `'next'` (next live server on the ring), `'none'` (fail with `E_SERVER_DOWN`) or a separate
 * gutter pool.
 */
export type FallbackConfig = 'next' | 'none' | { readonly gutter: readonly string[] };

/** `memcached.sasl:` — SASL PLAIN credentials, the password read at load time. */
export interface SaslConfig {
  /** `username`. Required. */
  readonly username: string;
  /** From `password_env`, `password_file` (trailing newlines trimmed) or `password` (warned about). Never printed. */
  readonly password: string;
}

/** `memcached:` — the cluster. Field names and defaults parallel `MemcacheClusterOptions`. */
export interface MemcachedConfig {
  /** `servers`: `host:port[:weight]` (IPv6 as `[addr]:port[:weight]`), shape checked, no duplicates. Required. */
  readonly servers: readonly string[];
  /** `timeout_ms`: deadline of one request in milliseconds, connection time included. @default 250 */
  readonly timeoutMs: number;
  /** `connect_timeout_ms`: milliseconds to open a TCP connection. @default 1000 */
  readonly connectTimeoutMs: number;
  /** `socket_timeout_ms`: milliseconds the oldest unanswered request may wait before its socket is replaced; keep above `timeoutMs`. @default 2000 */
  readonly socketTimeoutMs: number;
  /** `failure_threshold`: consecutive transport failures that mark a server down. @default 3 */
  readonly failureThreshold: number;
  /** `probe_interval_ms`: milliseconds between probes of a down server. @default 1000 */
  readonly probeIntervalMs: number;
  /** `fallback`: where a down server's keys go. @default 'next' */
  readonly fallback: FallbackConfig;
  /** `fallback_ttl_s`: longest TTL, in seconds, of an entry written to a fallback server. @default 10 */
  readonly fallbackTtlSeconds: number;
  /** `outage_journal_size`: keys a down server's outage journal remembers before recovery flushes instead. @default 10000 */
  readonly outageJournalSize: number;
  /** `max_value_bytes`: largest value a server may answer with; a header announcing more is a protocol violation. @default 1048576 */
  readonly maxValueBytes: number;
  /** `sasl`: authenticate to every server (memcached `-S`); none when absent. */
  readonly sasl: SaslConfig | undefined;
  /** `tls`: speak TLS to every server (memcached `-Z`); plain TCP when absent. */
  readonly tls: TlsConfig | undefined;
}

/** `mysql:` — the Kamailio database, from `uri` or from the separate fields. */
export interface MysqlConfig {
  /** `host` (or the URI's host). @default '127.0.0.1' */
  readonly host: string;
  /** `port` (or the URI's port). @default 3306 */
  readonly port: number;
  /** `user` (or the URI's user). Required. */
  readonly user: string;
  /**
   * Read at load time from `password_env` (an environment variable), `password_file` (trailing
   * newlines trimmed), `password` or the URI; `undefined` when none is given.
   */
  readonly password: string | undefined;
  /** `database` (or the URI's path). Required. */
  readonly database: string;
  /** `pool_size`: most connections this node opens. @default 10 */
  readonly poolSize: number;
  /** `connect_timeout_ms`: milliseconds to open a connection. @default 2000 */
  readonly connectTimeoutMs: number;
  /** `query_timeout_ms`: milliseconds one query may take. @default 1000 */
  readonly queryTimeoutMs: number;
  /** `tls`: encrypt the connection and verify the server; `undefined` (the key absent) is plain TCP. */
  readonly tls: TlsConfig | undefined;
}

/**
 * A `tls:` mapping, its files read at load time. Present (even empty) means TLS is required: the
 * server's certificate must chain to `ca` and, when a name is known, carry it.
 */
export interface TlsConfig {
  /** `ca_file`'s PEM text: the CA certificates to trust. @default Node's built-in CA list */
  readonly ca: string | undefined;
  /** `cert_file`'s PEM text: a client certificate, for servers that require one (with `key`). */
  readonly cert: string | undefined;
  /** `key_file`'s PEM text: the client certificate's unencrypted private key (with `cert`). */
  readonly key: string | undefined;
  /**
   * `server_name`: the name the server's certificate must carry, when it differs from the host
   * connected to. @default the host, when it is a name; no name check for an IP address (warned)
   */
  readonly serverName: string | undefined;
}

/**
 * How cached entries are encoded: `plain` text (what Kamailio reads), `signed` with an HMAC
 * under the secret, or `encrypted` with AES-256-GCM under a key derived from the secret.
 */
export type CodecName = 'plain' | 'signed' | 'encrypted';

/** What a lookup answers when it misses the cache and MySQL fails: throw, or answer "no". */
export type SourceErrorPolicy = 'fail' | 'deny';

/** `cache:` — read-through caching of the lookups. */
export interface CacheConfig {
  /** `key_prefix`: prepended to every key; printable ASCII without spaces, at most 64 characters. @default 'authring:' */
  readonly keyPrefix: string;
  /** `ttl_s`: seconds a positive answer stays cached. @default 300 */
  readonly ttlSeconds: number;
  /** `negative_ttl_s`: seconds a "no such row" answer stays cached; 0 does not cache them. @default 60 */
  readonly negativeTtlSeconds: number;
  /** `jitter`: fraction 0..0.5 of each TTL randomly removed, so entries written together expire apart. @default 0.1 */
  readonly jitter: number;
  /** `codec`. @default 'plain' */
  readonly codec: CodecName;
  /** Read from `secret_env`, `secret_file` or `secret`; at least 16 bytes; set iff `codec` is `signed` or `encrypted`. */
  readonly secret: string | undefined;
  /** `lookup_deadline_ms`: milliseconds a caller waits for one lookup, cache and MySQL included. @default 500 */
  readonly lookupDeadlineMs: number;
  /** `on_source_error`: `fail` throws a typed error (a SIP 503), `deny` answers "no". @default 'fail' */
  readonly onSourceError: SourceErrorPolicy;
  /** `lease_ms`: milliseconds one node's load of a missing key holds the other nodes off. @default 2000 */
  readonly leaseMs: number;
  /** `refresh_ahead`: fraction 0..0.9 of the TTL; a hit within that much of expiry reloads the key early, in the background; 0 is off; needs `codec: signed` or `encrypted`. @default 0 */
  readonly refreshAhead: number;
  /** `stale_ttl_s`: seconds past expiry a signed or encrypted entry may still be served while MySQL is down; 0 is off. @default 0 */
  readonly staleTtlSeconds: number;
}

/** `lookups.group:` — Kamailio `group` module parameters. */
export interface GroupLookupConfig {
  /**
   * `enabled`: run this lookup. A deployment that does not use it sets `false`: its table is
   * then neither checked nor read, and calling the lookup fails with `E_LOOKUP_DISABLED`.
   * @default true
   */
  readonly enabled: boolean;
  /** `table`. @default 'grp' */
  readonly table: string;
  /** `user_column`. @default 'username' */
  readonly userColumn: string;
  /** `domain_column`. @default 'domain' */
  readonly domainColumn: string;
  /** `group_column`. @default 'grp' */
  readonly groupColumn: string;
  /** `use_domain`: match the domain too. @default false */
  readonly useDomain: boolean;
}

/** `lookups.credentials:` — Kamailio `auth_db` module parameters. */
export interface CredentialsLookupConfig {
  /**
   * `enabled`: run this lookup. A deployment that does not use it sets `false`: its table is
   * then neither checked nor read, and calling the lookup fails with `E_LOOKUP_DISABLED`.
   * @default true
   */
  readonly enabled: boolean;
  /** `table` (in Kamailio, the second argument of `www_authorize`). @default 'subscriber' */
  readonly table: string;
  /** `user_column`. @default 'username' */
  readonly userColumn: string;
  /** `domain_column`. @default 'domain' */
  readonly domainColumn: string;
  /** `password_column`: HA1 = MD5(user:realm:password). @default 'ha1' */
  readonly passwordColumn: string;
  /** `password_column_2`: HA1 computed with `user@domain` as the user. @default 'ha1b' */
  readonly passwordColumn2: string;
  /** `calculate_ha1`: compute HA1 from `plain_password_column` instead of reading it. @default false */
  readonly calculateHa1: boolean;
  /** `plain_password_column`: the plaintext password, read only when `calculate_ha1` is on. @default 'password' */
  readonly plainPasswordColumn: string;
  /** `use_domain`: match the domain too. @default false */
  readonly useDomain: boolean;
}

/** `lookups.address:` — Kamailio `permissions` module parameters for `allow_source_address`. */
export interface AddressLookupConfig {
  /**
   * `enabled`: run this lookup. A deployment that does not use it sets `false`: its table is
   * then neither checked nor read, and calling the lookup fails with `E_LOOKUP_DISABLED`.
   * @default true
   */
  readonly enabled: boolean;
  /** `table` (Kamailio `address_table`). @default 'address' */
  readonly table: string;
  /** `group_column` (Kamailio `grp_col`). @default 'grp' */
  readonly groupColumn: string;
  /** `ip_column` (Kamailio `ip_addr_col`). @default 'ip_addr' */
  readonly ipColumn: string;
  /** `mask_column` (Kamailio `mask_col`). @default 'mask' */
  readonly maskColumn: string;
  /** `port_column` (Kamailio `port_col`). @default 'port' */
  readonly portColumn: string;
  /** `tag_column` (Kamailio `tag_col`). @default 'tag' */
  readonly tagColumn: string;
}

/** `lookups:` — tables and columns, with Kamailio 5.6's defaults. Names are checked SQL identifiers. */
export interface LookupsConfig {
  /** Group membership (`is_user_in`). */
  readonly group: GroupLookupConfig;
  /** Digest credentials (`www_authorize`, `proxy_authorize`). */
  readonly credentials: CredentialsLookupConfig;
  /** Source-address permissions (`allow_source_address`). */
  readonly address: AddressLookupConfig;
}

/** How authring reaches one Kamailio node's RPC interface (Kamailio's jsonrpcs module). */
export type KamailioRpcConfig =
  /** jsonrpcs over xhttp: `rpc: http://host:port/path`. */
  | { readonly transport: 'http'; readonly url: string }
  /**
   * jsonrpcs's FIFO on this host: `rpc: fifo:/path`; replies come through a FIFO authring creates
   * in `replyDir` (jsonrpcs's `fifo_reply_dir`).
   */
  | { readonly transport: 'fifo'; readonly path: string; readonly replyDir: string };

/** One entry of `kamailio.nodes:`. */
export interface KamailioNodeConfig {
  /** `name`: how events, metrics and errors name the node; unique. */
  readonly name: string;
  /** `rpc` (and `reply_dir` for a FIFO). */
  readonly rpc: KamailioRpcConfig;
}

/** What one Kamailio `htable` caches, and how its keys are built. */
export interface KamailioHtableConfig {
  /** `name`: the htable (`$sht(name=>…)`). */
  readonly name: string;
  /** `lookup`: `group` (answers of `is_user_in` for `group`) or `credentials` (a subscriber's HA1 or row). */
  readonly lookup: 'group' | 'credentials';
  /** `group`: the group, for `lookup: group`. */
  readonly group: string | undefined;
  /** `key`: the key with `{user}`, `{domain}`, `{group}` placeholders, e.g. `{user}::ipauth` for `$fU::ipauth`. */
  readonly key: string;
  /**
   * `names`: `folded` when the route keys by the name folded as the database compares it (the
   * generated route does), so one exact delete covers every spelling; `as-written` (`$fU` as the
   * request spells it) makes a change flush the table. @default 'as-written'
   */
  readonly names: 'folded' | 'as-written';
  /** `ttl_s`: the generated route's `autoexpire`. @default cache.ttl_s */
  readonly ttlSeconds: number;
}

/** `kamailio:` — Kamailio nodes whose own in-memory caches authring invalidates over RPC. */
export interface KamailioConfig {
  /** `nodes`: the Kamailio nodes to tell. @default [] */
  readonly nodes: readonly KamailioNodeConfig[];
  /** `htables`: the htables those nodes cache lookups in. @default [] */
  readonly htables: readonly KamailioHtableConfig[];
  /** `rpc_timeout_ms`: milliseconds one RPC may take. @default 1000 */
  readonly rpcTimeoutMs: number;
  /** `rpc_attempts`: tries of one RPC before the node is marked behind (then its tables are flushed once it answers). @default 3 */
  readonly rpcAttempts: number;
  /** `retry_interval_ms`: milliseconds between tries, and between probes of a node marked behind. @default 1000 */
  readonly retryIntervalMs: number;
  /** `address_reload`: run `permissions.addressReload` on every node when the address table changes. @default true */
  readonly addressReload: boolean;
  /** `rpc_clients`: the addresses the generated RPC listener accepts requests from (the watcher's). @default ['127.0.0.1'] */
  readonly rpcClients: readonly string[];
}

/** `metrics:` */
export interface MetricsConfig {
  /** `prefix`: prepended to every metric name; a Prometheus name prefix. @default 'authring_' */
  readonly prefix: string;
}

/** A whole config file, resolved. */
export interface AuthringConfig {
  /** The file it came from, as the caller named it. */
  readonly file: string;
  /** The memcached cluster. */
  readonly memcached: MemcachedConfig;
  /** The Kamailio database. */
  readonly mysql: MysqlConfig;
  /** Read-through caching. */
  readonly cache: CacheConfig;
  /** Tables and columns of the cached lookups. */
  readonly lookups: LookupsConfig;
  /** Metric naming. */
  readonly metrics: MetricsConfig;
  /** Kamailio nodes told to drop what changed. */
  readonly kamailio: KamailioConfig;
  /** Legal but risky settings, each `file:line:column: field: why`. Never thrown; log them. */
  readonly warnings: readonly string[];
}
