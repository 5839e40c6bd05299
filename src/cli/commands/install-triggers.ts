import type { Command } from 'commander';
import { CHANGELOG_TABLE, WATCHER_TABLE, installTriggers } from '../../invalidation/index.js';
import { withAuthCache } from '../auth.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { globalOptions } from '../options.js';
import { existingTriggers } from '../triggers.js';

/** Registers `authring install-triggers`: the change log and its triggers, idempotently. */
export function registerInstallTriggers(program: Command, io: CliIo): void {
  program
    .command('install-triggers')
    .description(`create the change log (${CHANGELOG_TABLE}, ${WATCHER_TABLE}) and the triggers on the lookup tables that feed it (idempotent); needs the TRIGGER privilege`)
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const result = await withDeadline('install-triggers', global.timeout, () =>
        withAuthCache(config, async (auth) => {
          const before = await existingTriggers(auth, global.timeout);
          const triggers = await installTriggers(auth);
          return { created: triggers.filter((t) => !before.has(t)), replaced: triggers.filter((t) => before.has(t)) };
        }),
      );
      const tables = [CHANGELOG_TABLE, WATCHER_TABLE];
      if (global.json) {
        await writeJson(io.stdout, { database: config.mysql.database, tables, ...result });
        return;
      }
      await writeLine(io.stdout, `${config.mysql.database}: change log tables ${tables.join(', ')} present`);
      if (result.created.length > 0) await writeLine(io.stdout, `created ${result.created.length} triggers: ${result.created.join(', ')}`);
      if (result.replaced.length > 0) await writeLine(io.stdout, `replaced ${result.replaced.length} existing triggers: ${result.replaced.join(', ')}`);
    });
}
