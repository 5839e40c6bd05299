import type { Command } from 'commander';
import type { AuthCache } from '../../auth/auth-cache.js';
import { Invalidator } from '../../invalidation/index.js';
import { createKamailioNodes } from '../../runtime/from-config.js';
import { withAuthCache } from '../auth.js';
import { CommandFailedError } from '../../errors.js';
import { describeNode } from '../kamailio-nodes.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { globalOptions } from '../options.js';

/** What one invalidation did, for people and for `--json`. */
interface Done {
  readonly text: string;
  readonly json: Readonly<Record<string, unknown>>;
}

/** Registers `authring invalidate user|group|addresses|namespace`. */
export function registerInvalidate(program: Command, io: CliIo): void {
  const invalidate = program
    .command('invalidate')
    .description('drop cached answers now (every spelling the database treats as equal); exit 1 if a delete still fails after retries');

  invalidate
    .command('user')
    .description("a user's credentials and membership of every group the grp table names")
    .argument('<user>')
    .argument('<domain>')
    .action(async (user: string, domain: string, _options: unknown, command: Command) => {
      await run(command, io, async (invalidator) => {
        await invalidator.invalidateUser(user, domain);
        return { text: `invalidated the credentials and group answers of ${user}@${domain}`, json: { invalidated: 'user', user, domain } };
      });
    });

  invalidate
    .command('group')
    .description("one membership answer")
    .argument('<user>')
    .argument('<domain>')
    .argument('<group>')
    .action(async (user: string, domain: string, group: string, _options: unknown, command: Command) => {
      await run(command, io, async (invalidator) => {
        await invalidator.invalidateGroup(user, domain, group);
        return { text: `invalidated the answer to ${user}@${domain} in group ${group}`, json: { invalidated: 'group', user, domain, group } };
      });
    });

  invalidate
    .command('addresses')
    .description('the address table (every node re-reads it within its address check interval)')
    .action(async (_options: unknown, command: Command) => {
      await run(command, io, async (invalidator) => {
        await invalidator.invalidateAddresses();
        return { text: 'invalidated the address table', json: { invalidated: 'addresses' } };
      });
    });

  invalidate
    .command('namespace')
    .description('everything under the key prefix, at once (bumps the namespace generation)')
    .action(async (_options: unknown, command: Command) => {
      await run(command, io, async (invalidator, auth) => {
        const previous = await auth.namespaceGeneration();
        const generation = await invalidator.invalidateNamespace();
        return {
          text: `invalidated the namespace: generation ${previous} → ${generation}`,
          json: { invalidated: 'namespace', previousGeneration: previous, generation },
        };
      });
    });
}

async function run(command: Command, io: CliIo, invalidate: (invalidator: Invalidator, auth: AuthCache) => Promise<Done>): Promise<void> {
  const global = globalOptions(command);
  const config = await loadCliConfig(global, io);
  const { done, nodes } = await withDeadline('invalidate', global.timeout, () =>
    withAuthCache(config, async (auth) => {
      // The Kamailio nodes of the config are told too, and waited for (a node that does not
      // answer after its tries is reported, and fails the command).
      const kamailio = await createKamailioNodes(auth, config);
      try {
        const result = await invalidate(new Invalidator(auth, kamailio === undefined ? {} : { kamailio }), auth);
        return { done: result, nodes: (await kamailio?.settled()) ?? [] };
      } finally {
        await kamailio?.close();
      }
    }),
  );
  const missed = nodes.filter((node) => node.state !== 'up');
  if (global.json) {
    await writeJson(io.stdout, { ...done.json, ...(nodes.length === 0 ? {} : { kamailio: nodes.map((n) => ({ node: n.name, told: n.state === 'up', ...(n.lastError === undefined || n.state === 'up' ? {} : { error: n.lastError }) })) }) });
  } else {
    await writeLine(io.stdout, done.text);
    for (const node of nodes) await writeLine(io.stdout, describeNode(node));
  }
  if (missed.length > 0) {
    throw new CommandFailedError(
      `Kamailio node${missed.length === 1 ? '' : 's'} ${missed.map((n) => n.name).join(', ')} did not answer: their caches still hold what changed; run this again once they answer`,
    );
  }
}
