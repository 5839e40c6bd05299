import path from 'node:path';
import type { Command } from 'commander';
import { createMysqlPool } from '../../auth/mysql-options.js';
import type { AuthringConfig } from '../../config/index.js';
import { mysqlOptions } from '../../runtime/from-config.js';
import { withAuthCache } from '../auth.js';
import { loadCliConfig } from '../config.js';
import { CommandFailedError, InterruptedError } from '../../errors.js';
import { count, percent } from '../format.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { globalOptions, integerOption, millisecondsOption } from '../options.js';
import { createProgress } from '../warm/progress.js';
import { checkStateTarget, freshState, readState, writeState, type WarmState } from '../warm/state.js';
import { Warmer, type WarmResult } from '../warm/warmer.js';

/** The default `--state` file, in the working directory. */
export const DEFAULT_STATE_FILE = '.authring-warm.json';

interface WarmOptions {
  readonly concurrency: number;
  readonly batchSize: number;
  readonly state: string;
  readonly resume?: boolean;
  readonly progressInterval: number;
}

/** Registers `authring warm`: preload the cache from MySQL, resumably. */
export function registerWarm(program: Command, io: CliIo): void {
  program
    .command('warm')
    .description('preload the cache from MySQL: every subscriber, every grp row and the address table, in batches, resumable')
    .option('--concurrency <n>', 'lookups in flight at once', integerOption(1, 1024), 16)
    .option('--batch-size <n>', 'rows per batch (one keyset page by id, one state write)', integerOption(1, 100_000), 500)
    .option('--state <path>', 'state file, written after every batch', DEFAULT_STATE_FILE)
    .option('--resume', 'continue after the last rows recorded in the state file')
    .option('--progress-interval <ms>', 'without a terminal on stderr: milliseconds between progress lines', millisecondsOption(), 5000)
    .action(async (options: WarmOptions, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const statePath = path.resolve(io.cwd, options.state);
      // Before any connection: a state path that is a link, a device or a FIFO is refused at once.
      await checkStateTarget(statePath);
      const source = `${config.mysql.host}:${config.mysql.port}/${config.mysql.database}`;
      const saved = options.resume === true ? await readState(statePath, source, config.cache.keyPrefix) : undefined;
      if (options.resume === true && saved === undefined) await writeLine(io.stderr, `warm: no state file at ${statePath}; starting from the beginning`);
      const state = saved ?? freshState(source, config.cache.keyPrefix);

      const stop = stopOnSignal(io);
      const started = performance.now();
      let result: WarmResult;
      try {
        result = await runWarm(config, state, options, statePath, global.timeout, io, stop.requested);
      } finally {
        stop.dispose();
      }
      const elapsedMs = Math.round(performance.now() - started);
      const rows = result.credentials.rows + result.groups.rows + result.addresses.rows;
      const summary = {
        file: config.file,
        state: statePath,
        resumed: saved !== undefined,
        ...result,
        elapsedMs,
        rowsPerSecond: elapsedMs > 0 ? Math.round((rows / elapsedMs) * 1000) : rows,
      };
      if (global.json) await writeJson(io.stdout, summary);
      else await writeLine(io.stdout, summaryText(result, elapsedMs, summary.rowsPerSecond, statePath));

      if (result.interrupted) throw new InterruptedError(`warm interrupted; continue with: authring warm --resume --state ${statePath}`);
      const errors = result.credentials.errors + result.groups.errors;
      if (errors > 0) {
        const first = result.credentials.firstError ?? result.groups.firstError ?? '';
        throw new CommandFailedError(`${count(errors)} lookups failed (first: ${first})`);
      }
    });
}

async function runWarm(
  config: AuthringConfig,
  state: WarmState,
  options: WarmOptions,
  statePath: string,
  batchTimeoutMs: number,
  io: CliIo,
  shouldStop: () => boolean,
): Promise<WarmResult> {
  const pool = createMysqlPool(mysqlOptions(config.mysql, 2));
  try {
    return await withAuthCache(config, async (auth) => {
      const warmer = new Warmer(auth, pool, config, state, { batchSize: options.batchSize, concurrency: options.concurrency, batchTimeoutMs, statePath, shouldStop });
      // The state file is written before the first batch, so an unwritable path fails at once.
      await writeState(statePath, state);
      const progress = createProgress(io.stderr, options.progressInterval);
      progress.start(await warmer.remaining());
      try {
        return await warmer.run(progress);
      } finally {
        progress.stop();
      }
    });
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** SIGINT/SIGTERM: finish the batch in flight, record it, and stop; a second signal exits at once. */
function stopOnSignal(io: CliIo): { requested: () => boolean; dispose: () => void } {
  let requested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) process.exit(130);
    requested = true;
    io.stderr.write(`warm: ${signal}: stopping after the batch in flight (again to quit at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    requested: () => requested,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function summaryText(result: WarmResult, elapsedMs: number, rate: number, statePath: string): string {
  const { credentials, groups, addresses } = result;
  const errors = (n: number, rows: number): string => (n === 0 ? '' : `, ${count(n)} failed (${percent(n / Math.max(rows, 1), 1)})`);
  const lines = [
    `${result.interrupted ? 'interrupted' : 'warmed'} in ${(elapsedMs / 1000).toFixed(1)} s (${count(rate)} rows/s):`,
    `  credentials  ${credentials.table}: ${count(credentials.rows)} rows${errors(credentials.errors, credentials.rows)}${credentials.done ? '' : ` (up to id ${credentials.lastId})`}`,
    `  groups       ${groups.table}: ${count(groups.rows)} rows${errors(groups.errors, groups.rows)}${groups.done ? '' : ` (up to id ${groups.lastId})`}`,
    `  addresses    ${addresses.table}: ${addresses.loaded ? `loaded (${count(addresses.rows)} rows)` : addresses.done ? 'already loaded' : 'not yet'}`,
    `state: ${statePath}`,
  ];
  return lines.join('\n');
}
