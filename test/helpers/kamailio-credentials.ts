/**
 * Kamailio 5.6 with authring's credentials routes (`kamailioConfig(…, { credentials })`) next to
 * auth_db itself, for test/kamailio/credentials.test.ts.
 *
 * The cfg ({@link credentialsTemplate}) answers two kinds of requests, with the realm `$fd`:
 *
 * - `X-Check: compare` (sipp, {@link askCompare}): a request without credentials is challenged
 *   (realm `X-Challenge-Realm`); the answered request is checked three times: by auth_db
 *   (`www_authorize` for a REGISTER, `proxy_authorize` otherwise) → `X-Ref`, by the route after
 *   deleting the cache key named in `X-Del` → `X-Miss`, `X-Miss-Source`, and by the route again →
 *   `X-Hit`, `X-Hit-Source`; the reply is 200.
 * - `X-Check: cached` (a production-like use, {@link SipClient}): the route alone; 200 when it
 *   returns 1, a challenge for -5/-4, 403 otherwise; `X-Result`, `X-Source`.
 *
 * Everything listens on 127.0.0.1 only.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KamailioProcess } from './kamailio.js';
import { REQUEST_START, cfgPreamble } from './kamailio-memcached.js';
import { runSippProcess } from './sipp-process.js';
import { findBinary } from './services.js';

const SCENARIO = fileURLToPath(new URL('./kamailio-credentials/compare.xml', import.meta.url));

/** The sqlops connection name the template defines (and `--sql-connection` must name). */
export const SQL_CONNECTION = 'authring';

/** The cfg around the fragment (placeholders DEBUG, PORT, DB_URL, GROUP_USE_DOMAIN, AUTH_USE_DOMAIN). */
export function credentialsTemplate(fragmentPath: string): string {
  if (/["\n]/.test(fragmentPath)) throw new Error(`fragment path ${JSON.stringify(fragmentPath)} cannot be written into the cfg`);
  return `#!KAMAILIO
#
# authring credentials test: auth_db and route(AUTHRING_WWW_AUTHORIZE / AUTHRING_PROXY_AUTHORIZE)
# side by side. Written by test/helpers/kamailio-credentials.ts; never run it against a
# production database.

${cfgPreamble()}
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "sqlops.so"

modparam("auth_db", "db_url", "{{DB_URL}}")
modparam("auth_db", "use_domain", {{AUTH_USE_DOMAIN}})
modparam("sqlops", "sqlcon", "${SQL_CONNECTION}=>{{DB_URL}}")

include_file "${fragmentPath}"

request_route {
${REQUEST_START}
	$var(authring_realm) = $fd;
	if ($hdr(X-Check) == "compare") {
		route(COMPARE);
	}
	if ($hdr(X-Check) == "cached") {
		route(CACHED);
	}
	sl_send_reply("200", "Ready");
	exit;
}

route[COMPARE] {
	if ($hdr(Authorization) == $null && $hdr(Proxy-Authorization) == $null) {
		$var(crealm) = $hdr(X-Challenge-Realm);
		auth_challenge("$var(crealm)", "1");
		exit;
	}
	if (is_method("REGISTER")) {
		www_authorize("$fd", "subscriber");
		$var(ref) = $rc;
	} else {
		proxy_authorize("$fd", "subscriber");
		$var(ref) = $rc;
	}
	if ($hdr(X-Del) != $null) {
		$var(del) = $hdr(X-Del);
		# Written first, so the delete never logs a missing key.
		$mct($var(del)=>5) = "x";
		$mct($var(del)) = $null;
	}
	route(CHECK);
	$var(miss) = $var(authring_rc);
	$var(misssrc) = $var(authring_source);
	route(CHECK);
	$var(hit) = $var(authring_rc);
	$var(hitsrc) = $var(authring_source);
	append_to_reply("X-Ref: $var(ref)\\r\\nX-Miss: $var(miss)\\r\\nX-Miss-Source: $var(misssrc)\\r\\nX-Hit: $var(hit)\\r\\nX-Hit-Source: $var(hitsrc)\\r\\n");
	sl_send_reply("200", "Compared");
	exit;
}

route[CHECK] {
	if (is_method("REGISTER")) {
		route(AUTHRING_WWW_AUTHORIZE);
	} else {
		route(AUTHRING_PROXY_AUTHORIZE);
	}
}

route[CACHED] {
	route(CHECK);
	$var(rc) = $var(authring_rc);
	append_to_reply("X-Result: $var(rc)\\r\\nX-Source: $var(authring_source)\\r\\n");
	if ($var(rc) == 1) {
		sl_send_reply("200", "Authenticated");
	} else if ($var(rc) == -5 || $var(rc) == -4) {
		auth_challenge("$fd", "1");
	} else {
		sl_send_reply("403", "Forbidden");
	}
	exit;
}
`;
}

/** One comparison: a request from `user@domain`, answered with digest credentials. */
export interface CompareQuestion {
  /** `REGISTER` (www_authorize) or another method (proxy_authorize). */
  readonly method: 'REGISTER' | 'OPTIONS';
  /** The From user. */
  readonly user: string;
  /** The From domain: the realm checked. */
  readonly domain: string;
  /** The digest username, possibly `user@domain` (then auth_db reads the second HA1 column). */
  readonly authUser: string;
  readonly password: string;
  /** The cache key deleted before the first cached check. */
  readonly deleteKey: string;
  /** The realm of the challenge (the credentials' realm); `domain` unless testing a mismatch. */
  readonly challengeRealm: string;
}

/** What Kamailio answered to one {@link CompareQuestion}. */
export interface CompareAnswer {
  readonly question: CompareQuestion;
  /** auth_db's return code. */
  readonly ref: number;
  /** The route's code after the key was deleted, and where its HA1 came from. */
  readonly miss: number;
  readonly missSource: string;
  /** The route's code right after, and where its HA1 came from. */
  readonly hit: number;
  readonly hitSource: string;
}

const FIELD = /^[^;\r\n\]\s]+$/;

/**
 * Asks every question with one sipp run (`limit` calls at once; questions about one key must not
 * overlap, so callers keep `limit` at 1 unless the questions' keys are distinct).
 * @throws Error when a question gets no answer, with sipp's and Kamailio's logs.
 */
export async function askCompare(kamailio: KamailioProcess, questions: readonly CompareQuestion[], limit = 1): Promise<CompareAnswer[]> {
  if (questions.length === 0) return [];
  if (findBinary('sipp') === undefined) throw new Error('"sipp" is not installed; install the Debian package "sip-tester"');
  for (const q of questions) {
    for (const field of [q.user, q.domain, q.authUser, q.password, q.deleteKey, q.challengeRealm]) {
      if (!FIELD.test(field)) throw new Error(`askCompare: ${JSON.stringify(field)} cannot travel in a sipp CSV field`);
    }
  }
  const answers = new Map<number, CompareAnswer>();
  // sipp takes no keyword for the method: one run per method, with the method written in.
  for (const method of ['REGISTER', 'OPTIONS'] as const) {
    const indexes = questions.map((q, i) => (q.method === method ? i : -1)).filter((i) => i >= 0);
    if (indexes.length > 0) await runCompare(kamailio, method, questions, indexes, limit, answers);
  }
  return questions.map((_q, i) => answers.get(i) as CompareAnswer);
}

async function runCompare(
  kamailio: KamailioProcess,
  method: CompareQuestion['method'],
  questions: readonly CompareQuestion[],
  indexes: readonly number[],
  limit: number,
  answers: Map<number, CompareAnswer>,
): Promise<void> {
  const sipp = findBinary('sipp') ?? 'sipp';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authring-sipp-credentials-'));
  try {
    const scenario = path.join(dir, 'compare.xml');
    await writeFile(scenario, (await readFile(SCENARIO, 'utf8')).replaceAll('@METHOD@', method), 'utf8');
    const csvPath = path.join(dir, 'questions.csv');
    const rows = indexes.map((i) => {
      const q = questions[i] as CompareQuestion;
      return `${i};${q.method};${q.user};${q.domain};[authentication username=${q.authUser} password=${q.password}];${q.deleteKey};${q.challengeRealm};`;
    });
    await writeFile(csvPath, `SEQUENTIAL\n${rows.join('\n')}\n`, 'utf8');
    const run = await runSippProcess({
      sipp,
      kamailio,
      scenario,
      dir,
      csvPath,
      calls: indexes.length,
      rate: 400,
      limit,
      timeoutMs: 30_000 + 40 * indexes.length,
    });
    const log = await readFile(run.logPath, 'utf8').catch(() => '');
    for (const line of log.split('\n')) {
      const match = /^ANSWER;(\d+);(\d*);(\d*);(-?\d+);(-?\d+);([a-z]*);(-?\d+);([a-z]*);/.exec(line.trim());
      if (match === null) continue;
      const [, index = '', echo = '', status = '', ref = '', miss = '', missSource = '', hit = '', hitSource = ''] = match;
      const question = questions[Number(index)];
      if (question === undefined || echo !== index || status !== '200') continue;
      answers.set(Number(index), { question, ref: Number(ref), miss: Number(miss), missSource, hit: Number(hit), hitSource });
    }
    const missing = indexes.filter((i) => !answers.has(i));
    if (missing.length > 0) {
      const tail = async (file: string, lines: number): Promise<string> => (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(-lines).join('\n');
      throw new Error(
        [
          `sipp (${run.exit}): ${missing.length} of ${indexes.length} ${method} questions got no answer, e.g. ` +
            missing.slice(0, 5).map((i) => `#${i} ${JSON.stringify(questions[i])}`).join(', '),
          `--- sipp errors (tail) ---\n${await tail(run.errorPath, 30)}`,
          `--- sipp messages (tail) ---\n${await tail(run.messagePath, 80)}`,
          `--- kamailio log (tail) ---\n${kamailio.logTail(60)}`,
        ].join('\n'),
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
