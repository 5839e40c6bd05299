import type { Command } from 'commander';
import { CHANGELOG_TABLE, WATCHER_TABLE, installTriggers } from '../../invalidation/index.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { withSqlClient } from '../mysql.js';
import { globalOptions } from '../options.js';
import { existingObjects } from '../triggers.js';

/** Registers `authring install-triggers`: the change log and its triggers, idempotently. */
export function registerInstallTriggers(program: Command, io: CliIo): void {
  program
    .command('install-triggers')
    .description(
      `create the change log (${CHANGELOG_TABLE}, ${WATCHER_TABLE}) and the triggers on the lookup tables that feed it (idempotent); ` +
        'first checks the triggers will be able to write the change log (see docs/invalidation.md for the privileges)',
    )
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const result = await withDeadline('install-triggers', global.timeout, () =>
        withSqlClient(config, async (sql) => {
          const before = await existingObjects(sql, global.timeout);
          const tables = { group: config.lookups.group, credentials: config.lookups.credentials, address: config.lookups.address };
          const triggers = await installTriggers({ sql, tables }, { timeoutMs: global.timeout });
          return {
            createdTables: [CHANGELOG_TABLE, WATCHER_TABLE].filter((t) => !before.tables.has(t)),
            created: triggers.filter((t) => !before.triggers.has(t)),
            replaced: triggers.filter((t) => before.triggers.has(t)),
          };
        }),
      );
      const tables = [CHANGELOG_TABLE, WATCHER_TABLE];
      if (global.json) {
        await writeJson(io.stdout, { database: config.mysql.database, tables, ...result });
        return;
      }
      const made = result.createdTables.length > 0 ? ` (created ${result.createdTables.join(', ')})` : '';
      await writeLine(io.stdout, `${config.mysql.database}: change log tables ${tables.join(', ')} present${made}`);
      if (result.created.length > 0) await writeLine(io.stdout, `created ${result.created.length} triggers: ${result.created.join(', ')}`);
      if (result.replaced.length > 0) await writeLine(io.stdout, `replaced ${result.replaced.length} existing triggers: ${result.replaced.join(', ')}`);
    });
}
