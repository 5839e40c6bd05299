import { AuthringError } from '../errors.js';

/** Exit status of a run that did what was asked. */
export const EXIT_OK = 0;
/** Exit status of a runtime failure: a server down, a lookup failed, a deadline passed. */
export const EXIT_FAILURE = 1;
/** Exit status of a usage or config error: bad arguments, an invalid or unreadable config file. */
export const EXIT_USAGE = 2;
/** Exit status of a run stopped by SIGINT or SIGTERM (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A command-line error: a message for stderr and the exit status it ends the run with. */
export class CliError extends AuthringError {
  /** The process exit status this error ends the run with. */
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number, cause?: unknown) {
    super(code, message, { cause });
    this.exitCode = exitCode;
  }
}

/** The command line itself is wrong: an unknown option, a malformed argument, a conflict. Exit 2. */
export class UsageError extends CliError {
  /** @see AuthringError.code */
  static readonly code = 'E_USAGE';
  constructor(message: string) {
    super(UsageError.code, message, EXIT_USAGE);
  }
}

/**
 * The command ran but what it checked failed (a server is down, a lookup failed). Exit 1. An
 * empty message means the command has already reported the failure on stdout.
 */
export class CommandFailedError extends CliError {
  /** @see AuthringError.code */
  static readonly code = 'E_COMMAND_FAILED';
  constructor(message = '', cause?: unknown) {
    super(CommandFailedError.code, message, EXIT_FAILURE, cause);
  }
}

/** The command did not finish before its deadline (`--timeout`). Exit 1. */
export class CommandTimeoutError extends CliError {
  /** @see AuthringError.code */
  static readonly code = 'E_COMMAND_TIMEOUT';
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(CommandTimeoutError.code, `${what} did not finish within ${timeoutMs} ms (--timeout)`, EXIT_FAILURE);
    this.timeoutMs = timeoutMs;
  }
}

/** The run was stopped by a signal. Exit 130. */
export class InterruptedError extends CliError {
  /** @see AuthringError.code */
  static readonly code = 'E_INTERRUPTED';
  constructor(message: string) {
    super(InterruptedError.code, message, EXIT_INTERRUPTED);
  }
}

/** The message of anything thrown, for stderr. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
