/**
 * MemoBound (src/auth/memo-bound.ts): a memo that pays keeps taking entries (started afresh when
 * full); one that filled up unused rests, taking none for sixteen times its bound, then tries again.
 */
import { describe, expect, it } from 'vitest';
import { MemoBound } from '../../src/auth/memo-bound.js';

/** A memo of numbers by the bound's rules, counting what it took. */
function memo(max: number): { ask(question: number): boolean; taken: () => number; size: () => number } {
  const held = new Set<number>();
  const bound = new MemoBound(max);
  let taken = 0;
  return {
    ask(question) {
      if (held.has(question)) {
        bound.hit();
        return true;
      }
      if (bound.admit(held.size, held)) {
        held.add(question);
        taken += 1;
      }
      return false;
    },
    taken: () => taken,
    size: () => held.size,
  };
}

describe('MemoBound', () => {
  it('keeps a working set within the bound, and starts afresh when a paying memo fills', () => {
    const m = memo(10);
    for (let round = 0; round < 50; round++) for (let q = 0; q < 10; q++) m.ask(q);
    expect(m.taken()).toBe(10);
    // New questions past the bound: it paid (490 hits for 10 entries), so it starts afresh and takes them.
    for (let q = 100; q < 105; q++) m.ask(q);
    expect(m.size()).toBe(5);
    expect(m.taken()).toBe(15);
  });

  it('rests when more questions go round than it holds, then tries again', () => {
    const m = memo(10);
    // 20 questions in turn: every one is dropped before it comes back, so nothing ever hits.
    let asked = 0;
    const ask = (count: number): void => {
      for (const end = asked + count; asked < end; asked++) m.ask(asked % 20);
    };
    ask(11);
    // Filled with 10 unused entries, then emptied at the 11th miss and resting since.
    expect(m.taken()).toBe(10);
    expect(m.size()).toBe(0);
    ask(16 * 10);
    expect(m.taken()).toBe(10);
    // Rested for 160 misses: takes entries again.
    ask(1);
    expect(m.taken()).toBe(11);
  });
});
