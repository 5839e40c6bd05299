import { ConfigError } from '../errors.js';

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
export function fileError(file: string, cause: unknown, text: string, expected = 'a readable config file'): ConfigError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = formatIssue(file, undefined, undefined, undefined, `${text}: ${reason}`);
  const issue = { file, line: undefined, column: undefined, field: undefined, expected, message };
  return new ConfigError([issue], cause);
}
