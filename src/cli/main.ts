#!/usr/bin/env node
/**
 * The `authring` command (`bin` of the package). Runs the command line, then lets the process
 * exit on its own; should anything still hold the event loop open, it exits anyway shortly after,
 * so no subcommand can hang the shell.
 */
import { processIo } from './io.js';
import { runCli } from './run.js';

/** Grace period for sockets and timers to close after the command has finished. */
const EXIT_GRACE_MS = 1000;

const code = await runCli(process.argv.slice(2), processIo());
process.exitCode = code;
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
