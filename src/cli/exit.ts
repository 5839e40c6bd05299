import { AuthringError, CommandFailedError, CommandTimeoutError, ConfigError, InterruptedError, UsageError } from '../errors.js';

/** Exit status of a run that did what was asked. */
export const EXIT_OK = 0;
/** Exit status of a runtime failure: a server down, a lookup failed, a deadline passed. */
export const EXIT_FAILURE = 1;
/** Exit status of a usage or config error: bad arguments, an invalid or unreadable config file. */
export const EXIT_USAGE = 2;
/** Exit status of a run stopped by SIGINT or SIGTERM (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** The exit status each error code ends a run with; every other error is {@link EXIT_FAILURE}. */
const EXIT_STATUS: Readonly<Record<string, number>> = {
  [UsageError.code]: EXIT_USAGE,
  [ConfigError.code]: EXIT_USAGE,
  [InterruptedError.code]: EXIT_INTERRUPTED,
  [CommandFailedError.code]: EXIT_FAILURE,
  [CommandTimeoutError.code]: EXIT_FAILURE,
};

/** The exit status a run that failed with `error` ends with. */
export function exitStatus(error: unknown): number {
  return error instanceof AuthringError ? (EXIT_STATUS[error.code] ?? EXIT_FAILURE) : EXIT_FAILURE;
}

/** The message of anything thrown, for stderr. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
