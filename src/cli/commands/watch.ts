import type { Command } from 'commander';
import type { AuthCache } from '../../auth/auth-cache.js';
import { createAuthCache, createKamailioNodes } from '../../runtime/from-config.js';
import type { AuthringConfig } from '../../config/index.js';
import { ChangeWatcher, type AppliedBatch, type KamailioNodes } from '../../invalidation/index.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { errorMessage } from '../exit.js';
import { toJson, writeLine, type CliIo } from '../io.js';
import { reportKamailioEvents } from '../kamailio-nodes.js';
import { globalOptions, millisecondsOption } from '../options.js';

interface WatchOptions {
  readonly watcherId: string;
  readonly interval: number;
  readonly once?: boolean;
}

/** Registers `authring watch`: apply the change log to the cache until stopped. */
export function registerWatch(program: Command, io: CliIo): void {
  program
    .command('watch')
    .description('apply the change log (install-triggers) to the cache until SIGINT/SIGTERM, a line per batch applied (JSON lines with --json)')
    .option('--watcher-id <id>', 'names the saved position; watchers with different ids each apply every change', 'default')
    .option('--interval <ms>', 'milliseconds between polls of the change log', millisecondsOption(), 100)
    .option('--once', 'apply what the log holds now, then exit')
    .action(async (options: WatchOptions, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const print = (batch: AppliedBatch): void => void writeLine(io.stdout, global.json ? toJson(batchJson(batch), 0) : batchText(batch));

      const { auth, watcher, kamailio } = await withDeadline('watch: start', global.timeout, () => start(config, options, (nodes) => reportKamailioEvents(nodes, io, global.json)));
      let stopped = false;
      watcher.on('applied', print);
      watcher.on('poll-error', (error) => void writeLine(io.stderr, `authring watch: ${errorMessage(error)} (retrying)`));
      try {
        if (options.once === true) {
          // Stop the poll loop before its first turn, then drain the log in the foreground.
          await watcher.stop();
          stopped = true;
          await withDeadline('watch --once', global.timeout, async () => {
            while ((await watcher.poll()) !== undefined);
            await kamailio?.settled();
          });
          if (!global.json) await writeLine(io.stderr, `watch: position ${watcher.savedPosition}`);
          return;
        }
        const from = watcher.resumed ? `resuming after change ${watcher.savedPosition}` : 'new watcher id: applying every change still logged first';
        await writeLine(io.stderr, `watch: ${config.mysql.database} as watcher "${options.watcherId}", polling every ${options.interval} ms (${from}); SIGINT or SIGTERM stops`);
        const signal = await untilSignal();
        await writeLine(io.stderr, `watch: ${signal}: stopping`);
      } finally {
        await withDeadline('watch: stop', global.timeout, async () => {
          if (!stopped) await watcher.stop();
          await kamailio?.close();
          await auth.close();
        });
      }
    });
}

/** Connects and starts the watcher (telling the Kamailio nodes too); closes the cache again if the watcher cannot start. */
async function start(
  config: AuthringConfig,
  options: WatchOptions,
  report: (nodes: KamailioNodes) => void,
): Promise<{ auth: AuthCache; watcher: ChangeWatcher; kamailio: KamailioNodes | undefined }> {
  const auth = await createAuthCache(config);
  let kamailio: KamailioNodes | undefined;
  try {
    kamailio = await createKamailioNodes(auth, config);
    if (kamailio !== undefined) report(kamailio);
    const watcher = await ChangeWatcher.start(auth, { watcherId: options.watcherId, intervalMs: options.interval, ...(kamailio === undefined ? {} : { kamailio }) });
    return { auth, watcher, kamailio };
  } catch (error) {
    await kamailio?.close();
    await auth.close();
    throw error;
  }
}

/** Resolves with the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function lagSummary(lags: readonly number[]): { p50: number; max: number } {
  const sorted = [...lags].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

function batchJson(batch: AppliedBatch): Record<string, unknown> {
  return { event: 'applied', at: new Date().toISOString(), changes: batch.changes, keys: batch.keys, lagMs: lagSummary(batch.lagsMs), position: batch.position };
}

function batchText(batch: AppliedBatch): string {
  const lag = lagSummary(batch.lagsMs);
  return `${new Date().toISOString()} applied ${batch.changes} change${batch.changes === 1 ? '' : 's'} (${batch.keys} keys deleted), lag p50 ${Math.round(lag.p50)} ms max ${Math.round(lag.max)} ms, position ${batch.position}`;
}
