/**
 * Judges every answer of a phase against the database. The truth is the database as the demo
 * created it plus every change the churn committed, each known by when it was sent and when its
 * commit returned. An answer is stale when it contradicts a change committed more than the
 * invalidation bound before the question was asked: it must equal a value the database held at
 * some moment from (asked − bound) to answered, a change in flight counting as both old and new.
 */
import { AddressTable } from '../src/index.js';
import type { Change } from './churn.js';
import { credentialsTag, RECORD } from './node.js';
import { ASKED_GROUP, ha1Of, hasPbx, initialAddresses, pbxRow, PBX_HOSTS, type Population } from './population.js';
import type { Workload } from './workload.js';

/** The invalidation bound authring promises, in milliseconds. */
export const BOUND_MS = 1000;

/** What the judge found. */
export interface Verdict {
  /** Answers that contradict a change committed more than {@link BOUND_MS} before the question. */
  readonly stale: number;
  readonly staleByQuestion: { readonly group: number; readonly credentials: number; readonly address: number };
  /** Requests whose lookups threw (no answer to judge). */
  readonly failed: number;
  /** The latest any node still gave a change's old answer, after its commit (ms); null with no change asked about. */
  readonly worstRevocationMs: number | null;
  /** Different questions asked (a user's group and credentials, the address table). */
  readonly distinctQuestions: number;
  /** Changes followed by a question they altered: each needs one reload even from a perfect shared cache. */
  readonly invalidations: number;
}

/** One node's answers and the requests they answer. */
export interface NodeAnswers {
  readonly workload: Workload;
  readonly records: Float64Array;
}

type Question = 0 | 1 | 2; // group, credentials, address
const FIELD = [RECORD.inGroup, RECORD.credentials, RECORD.allowed] as const;

/** Judges the answers of all nodes of a phase. */
export function judge(population: Population, nodes: readonly NodeAnswers[], changes: readonly Change[]): Verdict {
  const timelines = new Map<string, Change[]>();
  for (const change of [...changes].sort((a, b) => a.at - b.at)) timelines.set(change.key, [...(timelines.get(change.key) ?? []), change]);
  const tables = new Map<number, AddressTable>();
  const pbxTable = (mask: number): AddressTable => {
    let table = tables.get(mask);
    if (table === undefined) {
      const pbx = Array.from({ length: PBX_HOSTS.count }, (_, bit) => bit).filter((bit) => hasPbx(mask, bit));
      table = new AddressTable([...initialAddresses().filter((row) => !row.tag?.startsWith('pbx-')), ...pbx.map((bit) => pbxRow(PBX_HOSTS.first + bit))]);
      tables.set(mask, table);
    }
    return table;
  };
  const initial = (key: string, person: number): number => {
    if (key === 'a') return PBX_HOSTS.initialMask;
    const p = population.person(person);
    if (!population.existsAtStart(person)) return key.startsWith('g') ? 0 : -1;
    return key.startsWith('g') ? Number(p.groups.includes(ASKED_GROUP)) : credentialsTag(ha1Of(p.user, p.domain, p.password).ha1);
  };

  const staleBy = [0, 0, 0];
  let failed = 0;
  const asked = new Set<number>();
  /** Answers about changed keys, judged per key below: [asked, answered, answer, expected(value)]. */
  const pending = new Map<string, { asked: number; answered: number; answer: number; expect: (value: number) => number }[]>();
  for (const { workload, records } of nodes) {
    for (let r = 0; r < workload.who.length; r += 1) {
      const at = r * RECORD.stride;
      if (Number.isNaN(records[at + RECORD.inGroup] ?? 0)) {
        failed += 1;
        continue;
      }
      const person = workload.who[r] ?? 0;
      asked.add(person);
      const p = population.person(person);
      for (const q of [0, 1, 2] as Question[]) {
        const key = q === 2 ? 'a' : `${q === 0 ? 'g' : 'c'}${person}`;
        const answer = records[at + FIELD[q]] ?? Number.NaN;
        const expect = q === 2 ? (mask: number) => Number(pbxTable(mask).allows(p.sourceIp, 1, workload.port[r] ?? 5060)) : (value: number) => value;
        if (!timelines.has(key)) {
          if (answer !== expect(initial(key, person))) staleBy[q] = (staleBy[q] ?? 0) + 1;
          continue;
        }
        const list = pending.get(key) ?? [];
        list.push({ asked: records[at + RECORD.askedAt] ?? 0, answered: records[at + RECORD.answeredAt] ?? 0, answer, expect });
        pending.set(key, list);
      }
    }
  }

  let worst: number | null = null;
  let invalidations = 0;
  for (const [key, answers] of pending) {
    const timeline = timelines.get(key) ?? [];
    const q: Question = key === 'a' ? 2 : key.startsWith('g') ? 0 : 1;
    const first = initial(key, Number(key.slice(1)));
    for (const a of answers) {
      const from = a.asked - BOUND_MS;
      const held = timeline.filter((c) => c.at <= from).at(-1)?.value ?? first;
      const valid = [held, ...timeline.filter((c) => c.at > from && c.sentAt <= a.answered).map((c) => c.value)];
      if (!valid.some((value) => a.expect(value) === a.answer)) staleBy[q] = (staleBy[q] ?? 0) + 1;
    }
    timeline.forEach((change, j) => {
      const before = timeline[j - 1]?.value ?? first;
      const until = timeline[j + 1]?.sentAt ?? Number.POSITIVE_INFINITY;
      const after = answers.filter((a) => a.asked >= change.at && a.answered < until);
      if (after.length > 0) invalidations += 1;
      for (const a of after) {
        if (a.answer === a.expect(before) && a.answer !== a.expect(change.value)) worst = Math.max(worst ?? 0, a.asked - change.at);
        else worst ??= 0;
      }
    });
  }
  // Changes to keys nobody asked about after them count for neither.
  const [group = 0, credentials = 0, address = 0] = staleBy;
  return {
    stale: group + credentials + address,
    staleByQuestion: { group, credentials, address },
    failed,
    worstRevocationMs: worst,
    distinctQuestions: asked.size * 2 + 1,
    invalidations,
  };
}
