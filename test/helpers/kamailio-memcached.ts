/**
 * Kamailio 5.6 with the memcached module and authring's generated cfg fragment
 * (`kamailioConfig()`), for the shared-cache tests: a full cfg around the fragment, a
 * {@link KamailioProcess} running it, and sipp asking it group questions on the From URI, the
 * way a production cfg calls `route(AUTHRING_IS_USER_IN)`.
 *
 * Questions (test/helpers/kamailio-memcached/from-group.xml): an OPTIONS with
 * `From: <sip:USER@DOMAIN>`, `X-Check: cached-group` and `X-Group: GROUP`; Kamailio sets
 * `$var(authring_group)` from X-Group, calls the route (`if (route(AUTHRING_IS_USER_IN))`, as
 * docs/kamailio.md shows) and replies 200 (the route returned true), 404 (not a member, or any
 * other negative code) or 500 (database error), with `X-Result` (`$var(authring_rc)`) and
 * `X-Source` (`cache` or `db`). Anything else is answered 200 (the readiness probe).
 *
 * Everything listens on 127.0.0.1 only.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KamailioProcess } from './kamailio.js';
import { runSippProcess } from './sipp-process.js';
import { IN_CI, findBinary } from './services.js';

/** Directory of the sipp scenario. */
export const KAMAILIO_MEMCACHED_HELPER_DIR: string = fileURLToPath(new URL('./kamailio-memcached/', import.meta.url));

const SCENARIO = path.join(KAMAILIO_MEMCACHED_HELPER_DIR, 'from-group.xml');

/** Where Debian (multiarch) and source builds put Kamailio's modules. */
function moduleDirs(): string[] {
  let multiarch: string[] = [];
  try {
    multiarch = readdirSync('/usr/lib').map((entry) => path.join('/usr/lib', entry, 'kamailio', 'modules'));
  } catch {
    // no /usr/lib
  }
  return [
    ...multiarch,
    '/usr/lib/kamailio/modules',
    '/usr/lib64/kamailio/modules',
    '/usr/local/lib/kamailio/modules',
    '/usr/local/lib64/kamailio/modules',
  ];
}

/**
 * The path of a Kamailio module (`memcached` → `.../kamailio/modules/memcached.so`).
 *
 * @returns undefined when it is not installed.
 */
export function findKamailioModule(name: string): string | undefined {
  return moduleDirs()
    .map((dir) => path.join(dir, `${name}.so`))
    .find((candidate) => existsSync(candidate));
}

/**
 * Gate for tests that need a Kamailio module: `describe.skipIf(!needKamailioModule(...))`.
 *
 * @param name the module, e.g. `memcached`.
 * @param debianPackage the package that installs it, for the message.
 * @returns true when installed; false outside CI when missing (skip).
 * @throws Error when missing and `CI=true`.
 */
export function needKamailioModule(name: string, debianPackage: string): boolean {
  if (findKamailioModule(name) !== undefined) return true;
  if (!IN_CI) return false;
  throw new Error(
    `Kamailio's ${name}.so is not installed (CI=true, so this fails instead of skipping). Install the Debian ` +
      `package "${debianPackage}": \`bash scripts/services.sh --interop\` installs it (npm test runs that as its pretest step).`,
  );
}

/** The first lines of every test cfg's request_route: Max-Forwards, and X-Q echoed in replies. */
export const REQUEST_START = [
  '\tif (!mf_process_maxfwd_header("10")) {',
  '\t\tsl_send_reply("483", "Too Many Hops");',
  '\t\texit;',
  '\t}',
  '\tif (is_present_hf("X-Q")) {',
  '\t\tappend_to_reply("X-Q: $hdr(X-Q)\\r\\n");',
  '\t}',
].join('\n');

/** Options of {@link cfgPreamble}. */
export interface CfgPreambleOptions {
  /** Leave TCP enabled (for a fragment that adds an xhttp listener on 127.0.0.1). @default false */
  readonly tcp?: boolean;
}

/**
 * The start of every test cfg: core parameters (2 children, no DNS, logs on stderr), the UDP
 * listener on 127.0.0.1:{{PORT}}, and db_mysql, sl, pv, textops, maxfwd and group (configured from
 * DB_URL and GROUP_USE_DOMAIN).
 */
export function cfgPreamble(options: CfgPreambleOptions = {}): string {
  return [
    'debug={{DEBUG}}',
    'log_stderror=yes',
    'children=2',
    ...(options.tcp === true ? ['tcp_children=2'] : ['disable_tcp=yes']),
    'disable_sctp=yes',
    'auto_aliases=no',
    'dns=no',
    'rev_dns=no',
    'dns_try_ipv6=no',
    'use_dns_cache=no',
    'listen=udp:127.0.0.1:{{PORT}}',
    '',
    'loadmodule "db_mysql.so"',
    'loadmodule "sl.so"',
    'loadmodule "pv.so"',
    'loadmodule "textops.so"',
    'loadmodule "maxfwd.so"',
    'loadmodule "group.so"',
    '',
    'modparam("group", "db_url", "{{DB_URL}}")',
    'modparam("group", "use_domain", {{GROUP_USE_DOMAIN}})',
  ].join('\n');
}

/**
 * A full Kamailio cfg template around the generated fragment, included from `fragmentPath` with
 * `include_file` as a deployment would. Placeholders (filled by {@link KamailioProcess.start} or
 * {@link renderCfg}): DEBUG, PORT, DB_URL, GROUP_USE_DOMAIN.
 */
export function sharedCacheTemplate(fragmentPath: string): string {
  if (/["\n]/.test(fragmentPath)) throw new Error(`fragment path ${JSON.stringify(fragmentPath)} cannot be written into the cfg`);
  return `#!KAMAILIO
#
# authring shared-cache test: a Kamailio 5.6 whose group checks go through the generated
# route(AUTHRING_IS_USER_IN) (memcached via a local nutcracker, then MySQL). Written by
# test/helpers/kamailio-memcached.ts; never run it against a production database.

${cfgPreamble()}

include_file "${fragmentPath}"

request_route {
${REQUEST_START}
	if ($hdr(X-Check) == "cached-group") {
		$var(authring_group) = $hdr(X-Group);
		# As documented: the route's return value is true for a member.
		if (route(AUTHRING_IS_USER_IN)) {
			$var(member) = 1;
		} else {
			$var(member) = 0;
		}
		append_to_reply("X-Result: $var(authring_rc)\\r\\nX-Source: $var(authring_source)\\r\\n");
		if ($var(member) == 1) {
			sl_send_reply("200", "Member");
		} else if ($var(authring_rc) == -5) {
			sl_send_reply("500", "Database error");
		} else {
			sl_send_reply("404", "Not a member");
		}
		exit;
	}
	sl_send_reply("200", "Ready");
	exit;
}
`;
}

/** Fills a template's double-brace placeholders; throws on one without a value. */
export function renderCfg(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`cfg template: no value for {{${name}}}`);
    return value;
  });
}

/** Options of {@link startSharedCacheKamailio}. */
export interface SharedCacheKamailioOptions {
  /** The database, `mysql://user:password@127.0.0.1:3306/name` (loopback only). */
  readonly dbUrl: string;
  /** The fragment `kamailioConfig()` generated. */
  readonly fragment: string;
  /** group module `use_domain`; must equal the config's `lookups.group.use_domain`. */
  readonly useDomainGroup: boolean;
  /** auth_db module `use_domain` (templates that load auth_db); false when omitted. */
  readonly useDomainAuth?: boolean;
  /** Kamailio `debug` level; 2 when omitted. */
  readonly debug?: number;
  /** The cfg around the fragment, given its path; {@link sharedCacheTemplate} when omitted. */
  readonly template?: (fragmentPath: string) => string;
}

/** A running Kamailio with the fragment, and the temp dir holding the fragment file. */
export interface SharedCacheKamailio {
  /** The process (its `log` holds Kamailio's output). */
  readonly kamailio: KamailioProcess;
  /** Path of the included fragment file. */
  readonly fragmentPath: string;
  /** Stops Kamailio and removes the fragment's temp dir. */
  stop(): Promise<void>;
}

const fragmentDirs = new Set<string>();
let exitHookInstalled = false;

/**
 * Writes the fragment to a temp file and starts Kamailio with {@link sharedCacheTemplate}
 * (checked with `kamailio -c` first, as KamailioProcess does).
 *
 * @throws Error when Kamailio rejects the cfg or does not come up (with its log).
 */
export async function startSharedCacheKamailio(options: SharedCacheKamailioOptions): Promise<SharedCacheKamailio> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const dir of fragmentDirs) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authring-kamailio-fragment-'));
  fragmentDirs.add(dir);
  const removeDir = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    fragmentDirs.delete(dir);
  };
  const fragmentPath = path.join(dir, 'authring-kamailio.cfg');
  try {
    await writeFile(fragmentPath, options.fragment, 'utf8');
    const kamailio = await KamailioProcess.start({
      dbUrl: options.dbUrl,
      useDomainGroup: options.useDomainGroup,
      useDomainAuth: options.useDomainAuth ?? false,
      debug: options.debug ?? 2,
      template: (options.template ?? sharedCacheTemplate)(fragmentPath),
    });
    return {
      kamailio,
      fragmentPath,
      async stop() {
        await kamailio.stop();
        await removeDir();
      },
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

/** Is the From user (at the From domain) in `group`, asked through route(AUTHRING_IS_USER_IN)? */
export interface CachedGroupQuestion {
  /** The From URI's user part, as it travels in the URI (so `%41` stays escaped). */
  readonly user: string;
  /** The From URI's host. */
  readonly domain: string;
  /** One of the groups the fragment was generated with. */
  readonly group: string;
}

/** Kamailio's answer to one {@link CachedGroupQuestion}. */
export interface CachedGroupAnswer {
  readonly question: CachedGroupQuestion;
  /** 200 member, 404 not a member, 500 database error. */
  readonly status: number;
  /** True when {@link status} is 200. */
  readonly member: boolean;
  /** The route's return code (1, -6, -1, -5, -7). */
  readonly result: number | undefined;
  /** Where the answer came from: memcached (`cache`) or MySQL (`db`). */
  readonly source: string | undefined;
}

const FIELD = /^[A-Za-z0-9._~!*'()&=+,?/%-]+$/;

/**
 * Asks every question with one sipp run, one call at a time (so a question asked twice is
 * answered twice in order: a miss that writes the entry, then a hit).
 *
 * @returns the answers, in question order.
 * @throws Error when a question gets no answer, with sipp's errors and Kamailio's log.
 */
export async function askCachedGroup(kamailio: KamailioProcess, questions: readonly CachedGroupQuestion[]): Promise<CachedGroupAnswer[]> {
  if (questions.length === 0) return [];
  const sipp = findBinary('sipp');
  if (sipp === undefined) throw new Error('"sipp" is not installed; install the Debian package "sip-tester"');
  if (!kamailio.running) throw new Error(`kamailio is not running:\n${kamailio.logTail()}`);
  for (const q of questions) {
    for (const field of [q.user, q.domain, q.group]) {
      if (!FIELD.test(field)) throw new Error(`askCachedGroup: ${JSON.stringify(field)} cannot travel in the From URI or X-Group`);
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authring-sipp-cached-'));
  try {
    const csvPath = path.join(dir, 'questions.csv');
    const rows = questions.map((q, index) => `${index};${q.user};${q.domain};${q.group};`);
    await writeFile(csvPath, `SEQUENTIAL\n${rows.join('\n')}\n`, 'utf8');
    const timeoutMs = 30_000 + 50 * questions.length;
    const { args, exit, output, logPath, messagePath, errorPath } = await runSippProcess({
      sipp,
      kamailio,
      scenario: SCENARIO,
      dir,
      csvPath,
      calls: questions.length,
      rate: 200,
      limit: 1,
      timeoutMs,
    });

    const answers = new Map<number, CachedGroupAnswer>();
    const log = await readFile(logPath, 'utf8').catch(() => '');
    for (const line of log.split('\n')) {
      const match = /^ANSWER;(\d+);(\d*);(\d*);(-?\d*);([a-z]*);/.exec(line.trim());
      if (match === null) continue;
      const [, indexText = '', echo = '', statusText = '', resultText = '', source = ''] = match;
      const index = Number(indexText);
      const question = questions[index];
      if (question === undefined || echo !== indexText || statusText === '') continue;
      const status = Number(statusText);
      answers.set(index, {
        question,
        status,
        member: status === 200,
        result: resultText === '' ? undefined : Number(resultText),
        source: source === '' ? undefined : source,
      });
    }
    const missing = questions.map((_q, i) => i).filter((i) => !answers.has(i));
    if (missing.length > 0) {
      const tail = async (file: string, lines: number): Promise<string> =>
        (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(-lines).join('\n');
      throw new Error(
        [
          `sipp (${exit}): ${missing.length} of ${questions.length} questions got no answer, e.g. ` +
            missing.slice(0, 5).map((i) => `#${i} ${JSON.stringify(questions[i])}`).join(', '),
          `--- sipp ${args.join(' ')} ---`,
          `--- sipp output (tail) ---\n${output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n').slice(-30).join('\n')}`,
          `--- sipp errors (tail) ---\n${await tail(errorPath, 30)}`,
          `--- sipp messages (tail) ---\n${await tail(messagePath, 60)}`,
          `--- kamailio log (tail) ---\n${kamailio.logTail(60)}`,
        ].join('\n'),
      );
    }
    return questions.map((_q, i) => answers.get(i) as CachedGroupAnswer);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
