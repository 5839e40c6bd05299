import { Command, Option } from 'commander';
import { registerCheck } from './commands/check.js';
import { registerInstallTriggers } from './commands/install-triggers.js';
import { registerInvalidate } from './commands/invalidate.js';
import { registerKamailio } from './commands/kamailio.js';
import { registerLookup } from './commands/lookup.js';
import { registerRing } from './commands/ring.js';
import { registerStats } from './commands/stats.js';
import { registerRemoveTriggers } from './commands/remove-triggers.js';
import { registerWarm } from './commands/warm.js';
import { registerWatch } from './commands/watch.js';
import type { CliIo } from './io.js';
import { DEFAULT_TIMEOUT_MS, millisecondsOption } from './options.js';

/** The `authring` command with every subcommand registered, writing to `io`. */
export function createProgram(io: CliIo): Command {
  const program = new Command('authring')
    .description('Operate an authring cluster: check it, inspect the ring, look up, warm and invalidate the cache.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .option('-c, --config <path>', 'cluster config file (default: $AUTHRING_CONFIG, else ./authring.yaml)')
    .option('--json', 'print one JSON document on stdout instead of text')
    .addOption(
      new Option('--timeout <ms>', 'deadline of the command in milliseconds (warm: of each batch; watch: of its start and stop)')
        .argParser(millisecondsOption())
        .default(DEFAULT_TIMEOUT_MS),
    );
  registerCheck(program, io);
  registerRing(program, io);
  registerLookup(program, io);
  registerStats(program, io);
  registerWarm(program, io);
  registerKamailio(program, io);
  registerInvalidate(program, io);
  registerWatch(program, io);
  registerInstallTriggers(program, io);
  registerRemoveTriggers(program, io);
  return program;
}
