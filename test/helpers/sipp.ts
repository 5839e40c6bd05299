/**
 * Asks a {@link KamailioProcess} auth questions over SIP with sipp: many questions per
 * sipp run, one call per question, each a row of the `-inf` CSV file whose first field is
 * the question's index. The scenarios (test/helpers/kamailio/{group,address,credentials}.xml)
 * log one `ANSWER;index;echoed index;status;X-Result;challenge X-Result` line per call,
 * which is parsed here.
 *
 * sipp CSV fields cannot hold `;` or newlines, and SIP header values lose surrounding
 * whitespace, so group and address questions travel hex-encoded (`h` + hex of the UTF-8
 * bytes) and Kamailio decodes them; credentials go into the From URI and the digest
 * username, so their user, domain and password are limited to URI-safe characters.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KAMAILIO_HELPER_DIR, type KamailioProcess } from './kamailio.js';
import { runSippProcess } from './sipp-process.js';
import { findBinary, needBinary } from './services.js';

/** Is `user` (optionally `@domain`) in group `group`? Answered by the group module's `is_user_in`. */
export interface GroupQuestion {
  readonly kind: 'group';
  readonly user: string;
  readonly domain: string;
  readonly group: string;
}

/** Is `ip`:`port` in address group `group`? Answered by the permissions module's `allow_address`. */
export interface AddressQuestion {
  readonly kind: 'address';
  readonly ip: string;
  readonly group: number;
  readonly port: number;
}

/**
 * Does a REGISTER from `user@domain` with digest credentials for `password` (realm =
 * `domain`) pass auth_db's `auth_check`?
 */
export interface CredentialsQuestion {
  readonly kind: 'credentials';
  readonly user: string;
  readonly domain: string;
  readonly password: string;
}

/** Anything {@link askKamailio} can ask. */
export type Question = GroupQuestion | AddressQuestion | CredentialsQuestion;

/** Kamailio's answer to one {@link Question}. */
export interface Answer {
  readonly question: Question;
  /** The final response's status: 200 yes; 404 no (group, address); 403 rejected (credentials). */
  readonly status: number;
  /** True when {@link status} is 200. */
  readonly yes: boolean;
  /**
   * The `X-Result` header: the module function's return code (1 yes; is_user_in -6 not a
   * member, -1 no username or unparsable URI; allow_address -1; auth_check -2 wrong
   * password, -3 unknown user, -8 user mismatch), undefined if the reply had none.
   */
  readonly result: number | undefined;
  /** Credentials only: X-Result of the 401 challenge to the first REGISTER (-5: no credentials). */
  readonly challengeResult?: number | undefined;
}

/** Options for {@link askKamailio}. */
export interface AskOptions {
  /** Calls started per second; 400 when omitted. */
  rate?: number;
  /** Most calls in progress at once; 100 when omitted. */
  limit?: number;
  /** Kill sipp after this long; 30 s plus 20 ms per question when omitted. */
  timeoutMs?: number;
}

/**
 * Gate for tests that need sipp: `describe.skipIf(!needSipp())(...)`.
 *
 * @returns true when sipp is installed; false outside CI when it is missing (skip).
 * @throws Error when it is missing and `CI=true`.
 */
export function needSipp(): boolean {
  return needBinary('sipp');
}

/** `h` + lowercase hex of the UTF-8 bytes: how strings travel in the X- headers. */
function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

const URI_USER = /^[A-Za-z0-9._~-]+$/;
const URI_HOST = /^[A-Za-z0-9.-]+$/;
const PASSWORD = /^[A-Za-z0-9._~!*()+=-]+$/;

/** The CSV row (without the index field) for one question; throws if it cannot be asked. */
function csvFields(kamailio: KamailioProcess, question: Question): string[] {
  switch (question.kind) {
    case 'group': {
      const index = kamailio.groupIndex(question.group);
      if (index === undefined) {
        throw new Error(
          `askKamailio: group ${JSON.stringify(question.group)} was not in KamailioProcess.start({ groups }) ` +
            `(is_user_in takes its group as a fixed string in the cfg); known: ${JSON.stringify(kamailio.groups)}`,
        );
      }
      return [hex(question.user), hex(question.domain), String(index)];
    }
    case 'address':
      if (!Number.isInteger(question.group) || !Number.isInteger(question.port)) {
        throw new Error(`askKamailio: address group and port must be integers: ${JSON.stringify(question)}`);
      }
      return [String(question.group), hex(question.ip), String(question.port)];
    case 'credentials':
      if (!URI_USER.test(question.user) || !URI_HOST.test(question.domain) || !PASSWORD.test(question.password)) {
        throw new Error(
          `askKamailio: credentials questions need a URI-safe user ${URI_USER}, domain ${URI_HOST} and ` +
            `password ${PASSWORD}: ${JSON.stringify(question)}`,
        );
      }
      return [
        question.user,
        question.domain,
        `[authentication username=${question.user} password=${question.password}]`,
      ];
  }
}

/** The tail of a text file, or '' if it cannot be read. */
async function tailOf(file: string, lines: number): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Result of one sipp run. */
interface SippRun {
  readonly answers: Map<number, Answer>;
  readonly diagnostics: string;
}

/** Runs one sipp over `indexes` (all questions of one kind). */
async function runSipp(
  sipp: string,
  kamailio: KamailioProcess,
  kind: Question['kind'],
  questions: readonly Question[],
  indexes: readonly number[],
  options: AskOptions,
): Promise<SippRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `authring-sipp-${kind}-`));
  try {
    const csv = ['SEQUENTIAL'];
    for (const index of indexes) {
      const question = questions[index];
      if (question === undefined) throw new Error(`no question ${index}`);
      const fields = [String(index), ...csvFields(kamailio, question)];
      for (const field of fields) {
        if (/[;\r\n]/.test(field)) throw new Error(`askKamailio: CSV field ${JSON.stringify(field)} holds ; or a newline`);
      }
      csv.push(`${fields.join(';')};`);
    }
    const csvPath = path.join(dir, 'questions.csv');
    await writeFile(csvPath, `${csv.join('\n')}\n`, 'utf8');

    const timeoutMs = options.timeoutMs ?? 30_000 + 20 * indexes.length;
    const { args, exit, output, killedByTimeout, logPath, messagePath, errorPath } = await runSippProcess({
      sipp,
      kamailio,
      scenario: path.join(KAMAILIO_HELPER_DIR, `${kind}.xml`),
      dir,
      csvPath,
      calls: indexes.length,
      rate: options.rate ?? 400,
      limit: options.limit ?? 100,
      timeoutMs,
    });

    const answers = new Map<number, Answer>();
    const problems: string[] = [];
    let log = '';
    try {
      log = await readFile(logPath, 'utf8');
    } catch {
      problems.push(`no answer log ${logPath}`);
    }
    for (const line of log.split('\n')) {
      const match = /^ANSWER;(\d+);(\d*);(\d*);(-?\d*);(-?\d*)/.exec(line.trim());
      if (match === null) continue;
      const [, indexText = '', echoText = '', statusText = '', resultText = '', challengeText = ''] = match;
      const index = Number(indexText);
      const question = questions[index];
      if (question === undefined || !indexes.includes(index)) {
        problems.push(`answer for unknown question ${indexText}: ${line}`);
        continue;
      }
      if (echoText !== indexText) problems.push(`question ${indexText}: reply echoed X-Q "${echoText}": ${line}`);
      if (statusText === '') {
        problems.push(`question ${indexText}: no status: ${line}`);
        continue;
      }
      const status = Number(statusText);
      answers.set(index, {
        question,
        status,
        yes: status === 200,
        result: resultText === '' ? undefined : Number(resultText),
        ...(kind === 'credentials' ? { challengeResult: challengeText === '' ? undefined : Number(challengeText) } : {}),
      });
    }
    const missing = indexes.filter((i) => !answers.has(i));
    if (missing.length > 0) {
      problems.push(
        `${missing.length} of ${indexes.length} ${kind} questions got no answer, e.g. ` +
          missing
            .slice(0, 5)
            .map((i) => `#${i} ${JSON.stringify(questions[i])}`)
            .join(', '),
      );
    }
    const diagnostics =
      problems.length === 0
        ? ''
        : [
            `sipp ${kind} run: ${exit}${killedByTimeout ? ' (killed after timeout)' : ''}; ${problems.join('; ')}`,
            `--- sipp ${args.join(' ')} ---`,
            `--- sipp output (tail) ---\n${output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n').slice(-30).join('\n')}`,
            `--- sipp errors (tail) ---\n${await tailOf(errorPath, 30)}`,
            `--- sipp messages (tail) ---\n${await tailOf(messagePath, 60)}`,
            `--- kamailio log (tail) ---\n${kamailio.logTail(60)}`,
          ].join('\n');
    return { answers, diagnostics };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Asks Kamailio every question, batching all questions of one kind into a single sipp
 * run (at most three runs, one after the other).
 *
 * @param kamailio a started {@link KamailioProcess}; group questions may only name groups
 *   it was started with.
 * @param questions the questions; a question that cannot be encoded (unknown group,
 *   credentials with characters outside the URI-safe sets) throws before sipp runs.
 * @returns one answer per question, in question order.
 * @throws Error when a question gets no answer, naming sipp's errors, the last SIP
 *   messages and Kamailio's log.
 */
export async function askKamailio(
  kamailio: KamailioProcess,
  questions: readonly Question[],
  options: AskOptions = {},
): Promise<Answer[]> {
  if (questions.length === 0) return [];
  const sipp = findBinary('sipp');
  if (sipp === undefined) throw new Error('"sipp" is not installed; install the Debian package "sip-tester"');
  if (!kamailio.running) throw new Error(`kamailio is not running:\n${kamailio.logTail()}`);

  const byKind = new Map<Question['kind'], number[]>();
  questions.forEach((question, index) => {
    csvFields(kamailio, question); // refuse unaskable questions before running anything
    const list = byKind.get(question.kind) ?? [];
    list.push(index);
    byKind.set(question.kind, list);
  });

  const answers = new Map<number, Answer>();
  for (const [kind, indexes] of byKind) {
    const run = await runSipp(sipp, kamailio, kind, questions, indexes, options);
    if (run.diagnostics !== '') throw new Error(run.diagnostics);
    for (const [index, answer] of run.answers) answers.set(index, answer);
  }
  return questions.map((_question, index) => {
    const answer = answers.get(index);
    if (answer === undefined) throw new Error(`askKamailio: question ${index} has no answer`);
    return answer;
  });
}
