import type { Command } from 'commander';
import { CHANGELOG_TABLE, removeTriggers } from '../../invalidation/index.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { withSqlClient } from '../mysql.js';
import { globalOptions } from '../options.js';
import { existingObjects } from '../triggers.js';

/** Registers `authring remove-triggers`: drop the change-log triggers, idempotently. */
export function registerRemoveTriggers(program: Command, io: CliIo): void {
  program
    .command('remove-triggers')
    .description(`drop the triggers install-triggers created (idempotent; the ${CHANGELOG_TABLE} table stays)`)
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const result = await withDeadline('remove-triggers', global.timeout, () =>
        withSqlClient(config, async (sql) => {
          const before = (await existingObjects(sql, global.timeout)).triggers;
          const tables = { group: config.lookups.group, credentials: config.lookups.credentials, address: config.lookups.address };
          const triggers = await removeTriggers({ sql, tables }, { timeoutMs: global.timeout });
          return { removed: triggers.filter((t) => before.has(t)), absent: triggers.filter((t) => !before.has(t)) };
        }),
      );
      if (global.json) {
        await writeJson(io.stdout, { database: config.mysql.database, ...result });
        return;
      }
      await writeLine(
        io.stdout,
        result.removed.length > 0
          ? `${config.mysql.database}: removed ${result.removed.length} triggers: ${result.removed.join(', ')}`
          : `${config.mysql.database}: no authring triggers to remove`,
      );
    });
}
