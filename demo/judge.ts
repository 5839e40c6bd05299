/**
 * Judges every answer of a phase against the database. The truth is the database as the demo
 * created it plus every change the churn committed, each known by when it was sent and when its
 * commit returned. An answer is stale when it contradicts a change committed more than the
 * invalidation bound before the question was asked: it must equal a value the database held at
 * some moment from (asked − bound) to answered, a change in flight counting as both old and new.
 */
import { AddressTable } from '../src/index.js';
import type { Change } from './churn.js';
import { credentialsTag } from './answerers.js';
import { RECORD, type NodeResult } from './node.js';
import { addressTable, ASKED_GROUP, ha1Of, PBX_HOSTS, type Population } from './population.js';

/** The invalidation bound authring promises, in milliseconds. */
export const BOUND_MS = 1000;

/** What the judge found. */
export type Verdict = ReturnType<typeof judge>;

/** Judges the answers of all nodes of a phase (each node's requests and what they got). */
export function judge(population: Population, nodes: readonly Pick<NodeResult, 'workload' | 'records'>[], changes: readonly Change[]) {
  const timelines = new Map<string, Change[]>();
  for (const change of [...changes].sort((a, b) => a.at - b.at)) timelines.set(change.key, [...(timelines.get(change.key) ?? []), change]);
  const tables = new Map<number, AddressTable>();
  const pbxTable = (mask: number): AddressTable => {
    if (!tables.has(mask)) tables.set(mask, new AddressTable(addressTable(mask)));
    return tables.get(mask) as AddressTable;
  };
  const initial = (key: string, person: number): number => {
    if (key === 'a') return PBX_HOSTS.initialMask;
    const p = population.person(person);
    if (person >= population.size) return key.startsWith('g') ? 0 : -1;
    return key.startsWith('g') ? Number(p.groups.includes(ASKED_GROUP)) : credentialsTag(ha1Of(p.user, p.domain, p.password).ha1);
  };

  const staleBy = [0, 0, 0];
  const [asked, invalidated] = [new Set<number>(), new Set<Change>()];
  let [failed, worst] = [0, null as number | null];
  for (const { workload, records } of nodes) {
    for (let r = 0; r < workload.who.length; r += 1) {
      const at = r * RECORD.stride;
      const [askedAt, answeredAt] = [records[at + RECORD.askedAt] ?? 0, records[at + RECORD.answeredAt] ?? 0];
      if (Number.isNaN(records[at + RECORD.answer] ?? 0)) {
        failed += 1;
        continue;
      }
      const person = workload.who[r] ?? 0;
      asked.add(person);
      const p = population.person(person);
      for (let q = 0; q < 3; q += 1) {
        const key = q === 2 ? 'a' : `${q === 0 ? 'g' : 'c'}${person}`;
        const answer = records[at + RECORD.answer + q] ?? Number.NaN;
        const expect = q === 2 ? (mask: number) => Number(pbxTable(mask).allows(p.sourceIp, 1, workload.port[r] ?? 5060)) : (value: number) => value;
        const [timeline, first] = [timelines.get(key) ?? [], initial(key, person)];
        // Valid: what the database held at (asked − bound), or any change sent from then until answered.
        const from = askedAt - BOUND_MS;
        const valid = [timeline.filter((c) => c.at <= from).at(-1)?.value ?? first, ...timeline.filter((c) => c.at > from && c.sentAt <= answeredAt).map((c) => c.value)];
        if (!valid.some((value) => expect(value) === answer)) staleBy[q] = (staleBy[q] ?? 0) + 1;
        // The change committed last before the question, if the next one was not yet sent when it was answered.
        const j = timeline.filter((c) => c.at <= askedAt).length - 1;
        const change = timeline[j];
        if (change === undefined || answeredAt >= (timeline[j + 1]?.sentAt ?? Number.POSITIVE_INFINITY)) continue;
        invalidated.add(change);
        const before = timeline[j - 1]?.value ?? first;
        worst = answer === expect(before) && answer !== expect(change.value) ? Math.max(worst ?? 0, askedAt - change.at) : (worst ?? 0);
      }
    }
  }
  // Changes to keys nobody asked about after them count for neither.
  const [group = 0, credentials = 0, address = 0] = staleBy;
  return {
    /** Answers that contradict a change committed more than {@link BOUND_MS} before the question. */
    stale: group + credentials + address,
    staleByQuestion: { group, credentials, address },
    /** Requests whose lookups threw (no answer to judge). */
    failed,
    /** The latest any node still gave a change's old answer, after its commit (ms); null with no change asked about. */
    worstRevocationMs: worst as number | null,
    /** Different questions asked (a user's group and credentials, the address table). */
    distinctQuestions: asked.size * 2 + 1,
    /** Changes followed by a question they altered: each needs one reload even from a perfect shared cache. */
    invalidations: invalidated.size,
  };
}
