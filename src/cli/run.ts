import { CommanderError } from 'commander';
import { AuthringError, ConfigError } from '../errors.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, errorMessage, exitStatus } from './exit.js';
import { writeLine, type CliIo } from './io.js';
import { createProgram } from './program.js';

/**
 * Runs the `authring` command line (`argv` without the node and script paths) and resolves with
 * the exit status: 0 done, 1 runtime failure, 2 usage or config error, 130 interrupted. Errors
 * are written to stderr; stdout only ever carries the command's output.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return report(error, io);
  }
}

async function report(error: unknown, io: CliIo): Promise<number> {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (and the usage hint).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    return EXIT_USAGE;
  }
  if (error instanceof ConfigError) {
    // Already `file:line:column: field: what`, one problem per line.
    await writeLine(io.stderr, error.message);
    return exitStatus(error);
  }
  if (error instanceof AuthringError) {
    if (error.message !== '') await writeLine(io.stderr, `authring: ${error.message}`);
    return exitStatus(error);
  }
  await writeLine(io.stderr, `authring: ${errorMessage(error)}`);
  return EXIT_FAILURE;
}
