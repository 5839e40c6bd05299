import { describe, expect, it } from 'vitest';
import { AddressTable } from '../../src/index.js';
import type { Change } from '../../demo/churn.js';
import { judge, BOUND_MS } from '../../demo/judge.js';
import { credentialsTag } from '../../demo/answerers.js';
import { RECORD } from '../../demo/node.js';
import { addressTable, ASKED_GROUP, ha1Of, passwordOf, Population } from '../../demo/population.js';

const population = new Population(10, 42);
const person = population.person(0);
const inGroup = Number(person.groups.includes(ASKED_GROUP));
const allowed = Number(new AddressTable(addressTable()).allows(person.sourceIp, 1, 5060));
const oldTag = credentialsTag(ha1Of(person.user, person.domain, person.password).ha1);
const newTag = credentialsTag(ha1Of(person.user, person.domain, passwordOf(0, 1)).ha1);
/** A password change of person 0, sent at 9,990 ms and committed at 10,000 ms. */
const change: Change = { n: 0, key: 'c0', value: newTag, sentAt: 9990, at: 10_000 };

/** Person 0's requests: [asked, answered, credentials tag], group and address answered right. */
function answers(rows: readonly (readonly [number, number, number])[]): { workload: { who: Uint32Array; port: Uint16Array; warmup: number }; records: Float64Array } {
  const records = new Float64Array(rows.length * RECORD.stride);
  rows.forEach(([asked, answered, tag], i) => {
    records.set([asked, answered, 1, inGroup, tag, allowed], i * RECORD.stride);
  });
  return { workload: { who: new Uint32Array(rows.length), port: new Uint16Array(rows.length).fill(5060), warmup: 0 }, records };
}

describe('the demo judge', () => {
  it('finds an answer stale only when the change was committed more than the bound before the question', () => {
    const verdict = judge(population, [answers([[9000, 9001, oldTag], [10_500, 10_501, oldTag], [10_000 + BOUND_MS + 500, 11_501, oldTag], [12_000, 12_001, newTag]])], [change]);
    expect(verdict.stale).toBe(1);
    expect(verdict.staleByQuestion).toEqual({ group: 0, credentials: 1, address: 0 });
    // The last old answer was asked 1.5 s after the commit.
    expect(verdict.worstRevocationMs).toBe(1500);
    expect(verdict.invalidations).toBe(1);
    expect(verdict.distinctQuestions).toBe(3);
  });

  it('accepts either value while the change is in flight, and a new value right after the commit', () => {
    const verdict = judge(population, [answers([[9995, 10_001, newTag], [9995, 10_001, oldTag], [10_002, 10_003, newTag]])], [change]);
    expect(verdict.stale).toBe(0);
    expect(verdict.worstRevocationMs).toBe(0);
  });

  it('judges answers about unchanged keys against the database as created, and counts failed lookups apart', () => {
    const good = answers([[1000, 1001, oldTag]]);
    const wrong = answers([[1000, 1001, newTag]]);
    const failed = answers([[1000, 1001, oldTag]]);
    failed.records.fill(Number.NaN, RECORD.answer);
    const verdict = judge(population, [good, wrong, failed], []);
    expect(verdict).toMatchObject({ stale: 1, failed: 1, worstRevocationMs: null, invalidations: 0 });
  });
});
