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

/** One problem found in a config file. */
export interface ConfigIssue {
  /** The config file, as the caller named it. */
  readonly file: string;
  /** 1-based line of the offending key or value; `undefined` when the file could not be read. */
  readonly line: number | undefined;
  /** 1-based column, alongside `line`. */
  readonly column: number | undefined;
  /** Dotted path of the offending key, e.g. `memcached.servers[1]`; `undefined` for the whole file. */
  readonly field: string | undefined;
  /** What would have been accepted, in words, e.g. `"host:port[:weight]"`. */
  readonly expected: string;
  /** The full one-line message: `file:line:column: field: expected ..., got ...`. */
  readonly message: string;
}

/** Most issues one {@link ConfigError} message lists; the rest stay in `issues`. */
const MAX_LISTED_ISSUES = 20;

/**
 * A config file is unreadable, is not valid YAML, or holds a value authring cannot accept.
 * Every problem found is in `issues`, sorted by position; the top-level fields and the first
 * line of the message describe the first one.
 */
export class ConfigError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_CONFIG';
  /** The config file, as the caller named it. */
  readonly file: string;
  /** 1-based line of the first problem, or `undefined` when not applicable (unreadable file). */
  readonly line: number | undefined;
  /** 1-based column of the first problem, or `undefined`. */
  readonly column: number | undefined;
  /** Dotted path of the first problem's key (`memcached.servers[1]`), or `undefined`. */
  readonly field: string | undefined;
  /** What the first problem's key accepts, in words. */
  readonly expected: string;
  /** Every problem found, first one first. */
  readonly issues: readonly ConfigIssue[];

  /** @param issues at least one issue, in the order to report them. */
  constructor(issues: readonly [ConfigIssue, ...ConfigIssue[]], cause?: unknown) {
    const [first] = issues;
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => issue.message);
    if (issues.length > MAX_LISTED_ISSUES) listed.push(`(and ${issues.length - MAX_LISTED_ISSUES} more problems)`);
    super(ConfigError.code, listed.join('\n'), { cause });
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.field = first.field;
    this.expected = first.expected;
    this.issues = issues;
  }
}

/** Some keys could not be deleted after every retry; `keys` says which, so nothing is dropped silently. */
export class InvalidationError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_INVALIDATION';
  /** The keys still to delete. */
  readonly keys: readonly string[];
  constructor(keys: readonly string[], cause: unknown) {
    super(InvalidationError.code, `could not invalidate ${keys.length} key(s), e.g. ${JSON.stringify(keys[0])}`, { key: keys[0], cause });
    this.keys = keys;
  }
}

/**
 * A Kamailio or nutcracker configuration cannot be generated from the given cluster config and
 * options (a signed codec Kamailio cannot read, a group name or key prefix that cannot be written
 * into a Kamailio string, an IPv6 listen address the memcached module cannot parse, ...). The
 * message names the offending value and what to change.
 */
export class KamailioConfigError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_KAMAILIO_CONFIG';
  /** The option or config field at fault, e.g. `groups[1]` or `cache.codec`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(KamailioConfigError.code, `${field}: ${message}`);
    this.field = field;
  }
}

/**
 * A memcached server's text-protocol `stats` request (what `authring stats` sends) failed: no
 * connection, no answer in time, an error reply or an oversized reply.
 */
export class StatsRequestError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_STATS';
  constructor(server: string, message: string, cause?: unknown) {
    super(StatsRequestError.code, message, { server, cause });
  }
}

/**
 * Something failed that is not of authring's own making and has no more precise code (a runtime
 * error in a callback, a bug); `cause` holds what was thrown. Used where a typed error must be
 * reported, e.g. one server's part of a multi-key request.
 */
export class UnexpectedError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_UNKNOWN';
  constructor(cause: unknown) {
    super(UnexpectedError.code, cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Anything thrown, as an {@link AuthringError} ({@link UnexpectedError} unless it already is one). */
export function asAuthringError(error: unknown): AuthringError {
  return error instanceof AuthringError ? error : new UnexpectedError(error);
}

/** The `authring` command line itself is wrong: an unknown option, a malformed argument, a conflict. Exit 2. */
export class UsageError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_USAGE';
  constructor(message: string) {
    super(UsageError.code, message);
  }
}

/**
 * An `authring` command ran but what it checked failed (a server is down, a lookup failed). Exit
 * 1. An empty message means the command has already reported the failure on stdout.
 */
export class CommandFailedError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_COMMAND_FAILED';
  constructor(message = '', cause?: unknown) {
    super(CommandFailedError.code, message, { cause });
  }
}

/** An `authring` command did not finish before its deadline (`--timeout`). Exit 1. */
export class CommandTimeoutError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_COMMAND_TIMEOUT';
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(CommandTimeoutError.code, `${what} did not finish within ${timeoutMs} ms (--timeout)`);
    this.timeoutMs = timeoutMs;
  }
}

/** An `authring` command was stopped by a signal. Exit 130. */
export class InterruptedError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_INTERRUPTED';
  constructor(message: string) {
    super(InterruptedError.code, message);
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
  E_CONFIG: ConfigError,
  E_INVALIDATION: InvalidationError,
  E_KAMAILIO_CONFIG: KamailioConfigError,
  E_STATS: StatsRequestError,
  E_UNKNOWN: UnexpectedError,
  E_USAGE: UsageError,
  E_COMMAND_FAILED: CommandFailedError,
  E_COMMAND_TIMEOUT: CommandTimeoutError,
  E_INTERRUPTED: InterruptedError,
} as const;

/** A stable error code: a key of {@link errors}. */
export type ErrorCode = keyof typeof errors;
