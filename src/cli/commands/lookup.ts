import type { Command } from 'commander';
import type { LookupStatus } from '../../cache/engine.js';
import type { Credentials } from '../../auth/credentials.js';
import { answerSource, describeSource, withAuthCache, type AnswerSource } from '../auth.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { UsageError } from '../../errors.js';
import { maskSecret, maskedText } from '../format.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { globalOptions, integerOption, type GlobalOptions } from '../options.js';
import type { AuthCache } from '../../auth/auth-cache.js';

/** A secret as `--json` prints it: prefix and length, and the value only with `--show-secrets`. */
interface SecretView {
  readonly prefix: string;
  readonly length: number;
  readonly value?: string;
}

/** One answered question. */
interface Answer {
  /** The question, as asked. */
  readonly question: Readonly<Record<string, string | number>>;
  /** The answer in words, for people. */
  readonly text: string;
  /** The answer for JSON. */
  readonly json: Readonly<Record<string, unknown>>;
  /** The cache key asked, when known. */
  readonly key?: string;
}

/** Registers `authring lookup group|credentials|address`: one question through the cache. */
export function registerLookup(program: Command, io: CliIo): void {
  const lookup = program.command('lookup').description('answer one auth question through the cache, saying where the answer came from');

  lookup
    .command('group')
    .description("is the user in the group? (Kamailio's is_user_in)")
    .argument('<user>')
    .argument('<domain>')
    .argument('<group>')
    .action(async (user: string, domain: string, group: string, _options: unknown, command: Command) => {
      await answer(globalOptions(command), io, async (auth, status) => {
        const yes = await auth.isUserInGroup(user, domain, group, status);
        const keys = await auth.keysFor({ user, domain, group });
        return {
          question: { kind: 'group', user, domain, group },
          text: `${user}@${domain} in group ${group}: ${yes ? 'yes' : 'no'}`,
          json: { member: yes },
          ...(keys.group === undefined ? {} : { key: keys.group }),
        };
      });
    });

  lookup
    .command('credentials')
    .description("the subscriber's digest credentials (auth_db's www_authorize); secrets are masked")
    .argument('<user>')
    .argument('<domain>')
    .option('--show-secrets', 'with --json: print the HA1 values and password in full')
    .action(async (user: string, domain: string, options: { showSecrets?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const show = options.showSecrets === true;
      if (show && !global.json) throw new UsageError('--show-secrets needs --json (secrets are never printed in full as text)');
      await answer(global, io, async (auth, status) => {
        const credentials = await auth.getCredentials(user, domain, status);
        const keys = await auth.keysFor({ user, domain });
        return {
          question: { kind: 'credentials', user, domain },
          text: credentialsText(user, domain, credentials),
          json: { found: credentials !== undefined, ...(credentials ? { credentials: credentialsJson(credentials, show) } : {}) },
          key: keys.credentials,
        };
      });
    });

  lookup
    .command('address')
    .description("may this address send to us? (the permissions module's allow_address)")
    .argument('<ip>')
    .argument('<group>', 'address group (integer)', integerOption(0, 2 ** 31 - 1))
    .argument('[port]', 'source port; 0 (the default) matches only rows with port 0', integerOption(0, 65535))
    .action(async (ip: string, group: number, port: number | undefined, _options: unknown, command: Command) => {
      await answer(globalOptions(command), io, async (auth, status) => {
        const allowed = await auth.allowAddress(ip, group, port ?? 0, status);
        return {
          question: { kind: 'address', ip, group, port: port ?? 0 },
          text: `${ip} port ${port ?? 0} in address group ${group}: ${allowed ? 'allowed' : 'not allowed'}`,
          json: { allowed },
        };
      });
    });
}

/** Loads the config, asks within the deadline, prints the answer with its source and server. */
async function answer(global: GlobalOptions, io: CliIo, ask: (auth: AuthCache, status: LookupStatus) => Promise<Answer>): Promise<void> {
  const config = await loadCliConfig(global, io);
  const status: LookupStatus = {};
  const result = await withDeadline('lookup', global.timeout, () => withAuthCache(config, (auth) => ask(auth, status)));
  const source: AnswerSource = answerSource(status);
  if (global.json) {
    await writeJson(io.stdout, { question: result.question, ...result.json, source, server: status.server ?? null, key: result.key ?? null });
    return;
  }
  await writeLine(io.stdout, result.text);
  await writeLine(io.stdout, `source: ${describeSource(source)}`);
  await writeLine(io.stdout, `server: ${status.server ?? 'unknown'}${result.key === undefined ? '' : ` (owns the key ${result.key})`}`);
}

function credentialsText(user: string, domain: string, credentials: Credentials | undefined): string {
  if (!credentials) return `${user}@${domain}: no such subscriber`;
  const lines = [`${user}@${domain}: subscriber found`, `ha1:  ${maskedText(credentials.ha1)}`, `ha1b: ${maskedText(credentials.ha1b)}`];
  if (credentials.password !== undefined) lines.push(`password: ${maskedText(credentials.password)}`);
  return lines.join('\n');
}

function credentialsJson(credentials: Credentials, show: boolean): Record<string, SecretView> {
  const view = (secret: string): SecretView => ({ ...maskSecret(secret), ...(show ? { value: secret } : {}) });
  return {
    ha1: view(credentials.ha1),
    ha1b: view(credentials.ha1b),
    ...(credentials.password === undefined ? {} : { password: view(credentials.password) }),
  };
}
