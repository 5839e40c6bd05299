/**
 * Every error authring throws is an {@link AuthringError} with a stable `code`; match on the code,
 * not on the message or the class name. A cache miss is `undefined`, never an error.
 */

/** Base class of every error authring throws. */
export class AuthringError extends Error {
  /** Stable machine-readable code, e.g. `E_TIMEOUT`. */
  readonly code: string;
  /** The memcached server (`host:port`) involved, when one is. */
  readonly server: string | undefined;
  /** The caller's key involved, when one is. */
  readonly key: string | undefined;

  constructor(
    code: string,
    message: string,
    details: { server?: string; key?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.server = details.server;
    this.key = details.key;
  }
}

/** A caller passed a value the API cannot accept (empty key, bad TTL, malformed server spec). */
export class InvalidArgumentError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_INVALID_ARGUMENT';
  constructor(message: string, details: { key?: string } = {}) {
    super(InvalidArgumentError.code, message, details);
  }
}

/** A request got no answer before its deadline. Only that request fails; the socket stays. */
export class TimeoutError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_TIMEOUT';
  /** The deadline that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(server: string, timeoutMs: number, key?: string) {
    super(TimeoutError.code, `no answer from ${server} within ${timeoutMs} ms`, { server, key });
    this.timeoutMs = timeoutMs;
  }
}

/** The connection to a server failed or closed while a request was outstanding. */
export class ConnectionError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_CONNECTION';
  constructor(server: string, cause: unknown, key?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(ConnectionError.code, `connection to ${server} failed: ${reason}`, { server, key, cause });
  }
}

/**
 * A server sent bytes that break the binary protocol: a wrong magic byte, an answer to another
 * request, impossible lengths, a value above the configured maximum. The connection is closed at
 * once and the server taken out of the ring (marked down) until a probe gets a correct answer.
 */
export class ProtocolError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_PROTOCOL';
  /** What was wrong, e.g. `magic byte 0x00 (a response has 0x81)`. */
  readonly reason: string;
  constructor(server: string, reason: string, key?: string) {
    super(ProtocolError.code, `${server} broke the memcached protocol: ${reason}; connection closed`, { server, key });
    this.reason = reason;
  }
}

/**
 * A server refused authentication (SASL), or asks for it and none is configured. It counts as a
 * failure of that server: it cannot serve this client until its credentials are fixed.
 */
export class AuthenticationError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_AUTH';
  constructor(server: string, reason: string, key?: string) {
    super(AuthenticationError.code, `${server}: ${reason}`, { server, key });
  }
}

/**
 * The server that owns a key is marked down and no fallback could take the request
 * (fallback `none`, or every candidate is down too).
 */
export class ServerDownError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_SERVER_DOWN';
  constructor(server: string, key?: string) {
    super(ServerDownError.code, `server ${server} is marked down and no fallback is available`, {
      server,
      key,
    });
  }
}

/** memcached answered with an error status (value too large, out of memory, ...). */
export class ServerError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_SERVER';
  /** The binary-protocol status the server returned. */
  readonly status: number;
  constructor(server: string, status: number, description: string, key?: string) {
    super(ServerError.code, `${server} answered status 0x${status.toString(16)} (${description})`, {
      server,
      key,
    });
    this.status = status;
  }
}

/** The value is larger than the server accepts (memcached's item size limit, 1 MiB by default). */
export class ValueTooLargeError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_VALUE_TOO_LARGE';
  constructor(server: string, key: string) {
    super(ValueTooLargeError.code, `${server} refused the value for key ${JSON.stringify(key)}: too large`, {
      server,
      key,
    });
  }
}

/** An operation was called after `close()`. */
export class ClosedError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_CLOSED';
  constructor() {
    super(ClosedError.code, 'the cluster client is closed');
  }
}

/** One server's part of a multi-key request that failed. */
export interface BatchFailure {
  /** The server (`host:port`) whose batch failed. */
  readonly server: string;
  /** The caller's keys that were in that batch. */
  readonly keys: readonly string[];
  /** Why it failed. */
  readonly error: AuthringError;
}

/**
 * Some servers of a multi-key request failed. `hits` holds what the others returned, so a caller
 * that can use a partial answer (a cache treating the lost keys as misses) loses nothing.
 */
export class PartialResultError<T> extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_PARTIAL';
  /** Results from the servers that answered. */
  readonly hits: Map<string, T>;
  /** The batches that failed, one per server. */
  readonly failures: readonly BatchFailure[];
  constructor(hits: Map<string, T>, failures: readonly BatchFailure[]) {
    const servers = failures.map((f) => f.server).join(', ');
    super(PartialResultError.code, `multi-key request failed on ${servers}`, {
      cause: failures[0]?.error,
    });
    this.hits = hits;
    this.failures = failures;
  }
}


/**
 * The source of truth (MySQL) could not answer a lookup the cache could not serve. Callers map it
 * to a SIP 503 or a deny; `cause` holds the driver's error.
 */
export class SourceUnavailableError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_SOURCE_UNAVAILABLE';
  constructor(key: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(SourceUnavailableError.code, `cannot load ${JSON.stringify(key)}: ${reason}`, { key, cause });
  }
}

/** A lookup ran out of its overall deadline (cache, lease wait and load together). */
export class DeadlineError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_DEADLINE';
  /** The deadline, in milliseconds. */
  readonly deadlineMs: number;
  constructor(key: string, deadlineMs: number) {
    super(DeadlineError.code, `lookup of ${JSON.stringify(key)} exceeded its ${deadlineMs} ms deadline`, { key });
    this.deadlineMs = deadlineMs;
  }
}

/** A privilege the change-log triggers, or their installation, need and do not have. */
export interface MissingPrivilege {
  /** The privilege, as `GRANT` names it: `INSERT`, `SELECT`, `TRIGGER`, `CREATE`. */
  readonly privilege: string;
  /** The table it is needed on, `database.table`. */
  readonly table: string;
  /** The columns, when only they are needed (`SELECT` on the columns a trigger reads). */
  readonly columns?: readonly string[];
  /** Who needs it: the triggers' definer when they fire, or the installer. */
  readonly why: string;
}

/**
 * `install-triggers` refused before creating anything: the triggers run with their definer's
 * privileges (the installing user's own, without its roles), and that user lacks some of what
 * they need to write the change log, so every INSERT, UPDATE and DELETE on the lookup tables
 * would fail. `missing` lists each privilege; the message includes the GRANT statements.
 */
export class TriggerPrivilegeError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_TRIGGER_PRIVILEGE';
  /** The account the triggers would run as, `user@host` (MySQL's `CURRENT_USER()`). */
  readonly definer: string;
  /** Every privilege missing. */
  readonly missing: readonly MissingPrivilege[];
  constructor(definer: string, missing: readonly MissingPrivilege[]) {
    const list = missing.map((m) => `${m.privilege}${m.columns ? ` (${m.columns.join(', ')})` : ''} on ${m.table} (${m.why})`);
    const account = definer.replace(/^(.*)@([^@]*)$/, "'$1'@'$2'");
    const grants = missing.map((m) => `GRANT ${m.privilege}${m.columns ? ` (${m.columns.join(', ')})` : ''} ON ${m.table} TO ${account};`);
    super(
      TriggerPrivilegeError.code,
      `install-triggers refused, nothing was created: ${definer} lacks ${list.join('; ')}. ` +
        `Grant them to the user itself, not through a role (triggers run without their definer's roles): ${grants.join(' ')}`,
    );
    this.definer = definer;
    this.missing = missing;
  }
}

/**
 * A Kamailio node's RPC interface (jsonrpcs) did not do what authring asked: it did not answer in
 * time, could not be reached, or answered with a fault (`fault` holds its code and message).
 */
export class KamailioRpcError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_KAMAILIO_RPC';
  /** The node's name in the cluster config. */
  readonly node: string;
  /** The RPC method, e.g. `htable.delete`. */
  readonly method: string;
  /** The fault Kamailio answered with, if it answered. */
  readonly fault: { readonly code: number; readonly message: string } | undefined;
  constructor(node: string, method: string, message: string, details: { fault?: { code: number; message: string }; cause?: unknown } = {}) {
    super(KamailioRpcError.code, `Kamailio node ${node}: ${method}: ${message}`, { cause: details.cause });
    this.node = node;
    this.method = method;
    this.fault = details.fault;
  }
}

/** One thing wrong with the tables a lookup reads. */
export interface SchemaProblem {
  /** The config key involved, e.g. `lookups.group.user_column`. */
  readonly path: string;
  /** The table. */
  readonly table: string;
  /** The column, when the problem is a column's. */
  readonly column?: string;
  /** What the database has, e.g. `grp.username is varbinary(64)`. */
  readonly found: string;
  /** What the lookup needs. */
  readonly expected: string;
}

/**
 * The tables of an enabled lookup do not fit its configuration: a missing table or column, or a
 * name column that is not a character column. `problems` lists each; the message names every
 * table and column and what is expected.
 */
export class SchemaError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_SCHEMA';
  /** Everything found wrong, in the order of the lookups. */
  readonly problems: readonly SchemaProblem[];
  constructor(problems: readonly SchemaProblem[]) {
    super(SchemaError.code, `the lookup tables do not fit the configuration:\n${problems.map(describeSchemaProblem).join('\n')}`);
    this.problems = problems;
  }
}

/** One schema problem as a line: `lookups.group.user_column: grp.username is varbinary(64); expected …`. */
export function describeSchemaProblem(problem: SchemaProblem): string {
  return `${problem.path}: ${problem.found}; expected ${problem.expected}`;
}

/** A lookup switched off in the configuration (`lookups.<name>.enabled: false`) was called. */
export class LookupDisabledError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_LOOKUP_DISABLED';
  /** `group`, `credentials` or `address`. */
  readonly lookup: string;
  constructor(lookup: string) {
    super(LookupDisabledError.code, `the ${lookup} lookup is disabled (lookups.${lookup}.enabled: false)`);
    this.lookup = lookup;
  }
}

/** Every error class by its code, for `instanceof`-free matching. */
export const errors = {
  E_INVALID_ARGUMENT: InvalidArgumentError,
  E_TIMEOUT: TimeoutError,
  E_CONNECTION: ConnectionError,
  E_PROTOCOL: ProtocolError,
  E_AUTH: AuthenticationError,
  E_SERVER_DOWN: ServerDownError,
  E_SERVER: ServerError,
  E_VALUE_TOO_LARGE: ValueTooLargeError,
  E_CLOSED: ClosedError,
  E_PARTIAL: PartialResultError,
  E_SOURCE_UNAVAILABLE: SourceUnavailableError,
  E_DEADLINE: DeadlineError,
  E_TRIGGER_PRIVILEGE: TriggerPrivilegeError,
  E_KAMAILIO_RPC: KamailioRpcError,
  E_SCHEMA: SchemaError,
  E_LOOKUP_DISABLED: LookupDisabledError,
} as const;
