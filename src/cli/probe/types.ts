/** What one check found. */
export interface CheckResult {
  /** What was checked: `host:port` for a server, `database.table` for a table. */
  readonly server: string;
  /** `memcached`, `memcached gutter`, `mysql` or `table`. */
  readonly kind: 'memcached' | 'memcached gutter' | 'mysql' | 'table';
  /** `up` (reachable, or the table has every configured column) or `down`. */
  readonly status: 'up' | 'down';
  /** Server version, when reachable. */
  readonly version?: string;
  /** Round trip of one request on an open connection, in milliseconds. */
  readonly latencyMs?: number;
  /** For a table: the configured columns it was checked for. */
  readonly columns?: readonly string[];
  /** Why it is down. */
  readonly error?: string;
}
