import { AuthringError } from '../errors.js';

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
const MAX_LISTED = 20;

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
    const listed = issues.slice(0, MAX_LISTED).map((issue) => issue.message);
    if (issues.length > MAX_LISTED) listed.push(`(and ${issues.length - MAX_LISTED} more problems)`);
    super(ConfigError.code, listed.join('\n'), { cause });
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.field = first.field;
    this.expected = first.expected;
    this.issues = issues;
  }
}

/**
 * Formats one issue the way compilers do, so editors and CI logs can jump to it:
 * `file:line:column: field: text`.
 */
export function formatIssue(
  file: string,
  line: number | undefined,
  column: number | undefined,
  field: string | undefined,
  text: string,
): string {
  const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
  return field === undefined ? `${where}: ${text}` : `${where}: ${field}: ${text}`;
}

/** A {@link ConfigError} about the file as a whole (unreadable, unwatchable), with no line. */
export function fileError(file: string, cause: unknown, text: string): ConfigError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = formatIssue(file, undefined, undefined, undefined, `${text}: ${reason}`);
  const issue = { file, line: undefined, column: undefined, field: undefined, expected: 'a readable config file', message };
  return new ConfigError([issue], cause);
}
