import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { kamailioConfig, kamailioHtableConfig, nutcrackerConfig, type KamailioCaseFolding } from '../../kamailio/index.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { KamailioConfigError, UsageError } from '../../errors.js';
import { write, writeJson, writeLine, type CliIo } from '../io.js';
import { collect, globalOptions } from '../options.js';

/** File names `--out` writes. */
export const KAMAILIO_FILE = 'kamailio-authring.cfg';
/** @see KAMAILIO_FILE */
export const NUTCRACKER_FILE = 'nutcracker.yml';

/** The group asked about when no `--group` is given. */
const DEFAULT_GROUP = 'ipauth';

interface KamailioOptions {
  readonly listen: string;
  readonly group: string[];
  readonly caseFolding: KamailioCaseFolding;
  readonly credentials?: boolean;
  readonly sqlConnection: string;
  readonly mode: 'ring' | 'htable';
  readonly node?: string;
  readonly rpc?: boolean;
  readonly out?: string;
}

/** Registers `authring kamailio`: the Kamailio cfg fragment and the matching nutcracker.yml. */
export function registerKamailio(program: Command, io: CliIo): void {
  program
    .command('kamailio')
    .description('print the Kamailio config fragment (cached is_user_in, and with --credentials www_authorize/proxy_authorize) and the matching nutcracker.yml for this cluster')
    .option('--listen <host:port>', 'where the local nutcracker listens, and Kamailio connects', '127.0.0.1:22121')
    .option('--group <name>', `a group the cfg asks about (repeatable; default ${DEFAULT_GROUP})`, collect, [])
    .addOption(new Option('--case-folding <mode>', "how the tables' collation folds names").choices(['upper', 'none']).default('upper'))
    .option('--credentials', 'also generate route(AUTHRING_WWW_AUTHORIZE) and route(AUTHRING_PROXY_AUTHORIZE) (cached digest credentials)')
    .option('--sql-connection <name>', 'the sqlops connection the credentials routes query on a miss', 'authring')
    .addOption(
      new Option('--mode <mode>', 'ring: Kamailio on the shared memcached ring; htable: Kamailio keeps its htables, authring invalidates them over RPC')
        .choices(['ring', 'htable'])
        .default('ring'),
    )
    .option('--node <name>', 'the node of kamailio.nodes whose RPC listener to generate (default: the only one)')
    .option('--rpc', "ring mode: also generate the node's RPC listener (for permissions.addressReload)")
    .option('--out <dir>', `write ${KAMAILIO_FILE} (and ${NUTCRACKER_FILE} in ring mode) into this directory instead of printing them`)
    .action(async (options: KamailioOptions, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const groups = options.group.length > 0 ? options.group : [DEFAULT_GROUP];
      let cfg: string;
      let yml: string | undefined;
      try {
        if (options.mode === 'htable') {
          cfg = kamailioHtableConfig(config, { caseFolding: options.caseFolding, ...(options.node === undefined ? {} : { node: options.node }) });
        } else {
          cfg = kamailioConfig(config, {
            twemproxyListen: options.listen,
            groups,
            caseFolding: options.caseFolding,
            ...(options.credentials === true ? { credentials: { sqlConnection: options.sqlConnection } } : {}),
            ...(options.rpc === true || options.node !== undefined ? { rpcListener: options.node === undefined ? {} : { node: options.node } } : {}),
          });
          yml = nutcrackerConfig(config, { listen: options.listen });
        }
      } catch (error) {
        // The cluster config or an option cannot be expressed for Kamailio/nutcracker: a usage error.
        if (error instanceof KamailioConfigError) throw new UsageError(error.message);
        throw error;
      }

      if (options.mode === 'htable') {
        if (options.out !== undefined) {
          const file = path.join(path.resolve(io.cwd, options.out), KAMAILIO_FILE);
          await withDeadline('kamailio', global.timeout, async () => {
            await mkdir(path.dirname(file), { recursive: true });
            await writeFile(file, cfg, 'utf8');
          });
          if (global.json) await writeJson(io.stdout, { mode: 'htable', files: [file] });
          else await writeLine(io.stdout, `wrote ${file}`);
        } else if (global.json) await writeJson(io.stdout, { mode: 'htable', kamailio: cfg });
        else await write(io.stdout, ensureNewline(cfg));
        return;
      }
      const nutcracker = yml ?? '';
      if (options.out !== undefined) {
        const dir = path.resolve(io.cwd, options.out);
        const files = [path.join(dir, KAMAILIO_FILE), path.join(dir, NUTCRACKER_FILE)];
        await withDeadline('kamailio', global.timeout, async () => {
          await mkdir(dir, { recursive: true });
          await writeFile(files[0] ?? '', cfg, 'utf8');
          await writeFile(files[1] ?? '', nutcracker, 'utf8');
        });
        if (global.json) await writeJson(io.stdout, { files, listen: options.listen, groups });
        else await writeLine(io.stdout, `wrote ${files.join(' and ')}`);
        return;
      }
      if (global.json) {
        await writeJson(io.stdout, { listen: options.listen, groups, kamailio: cfg, nutcracker });
        return;
      }
      await write(io.stdout, `# ---- ${KAMAILIO_FILE} ----\n${ensureNewline(cfg)}\n# ---- ${NUTCRACKER_FILE} ----\n${ensureNewline(nutcracker)}`);
    });
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
