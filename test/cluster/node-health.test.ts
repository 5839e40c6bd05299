import { describe, expect, it } from 'vitest';
import { NodeHealth } from '../../src/cluster/node-health.js';
import { OutageJournal } from '../../src/cluster/outage-journal.js';

describe('node health', () => {
  it('marks a server down only after the threshold of consecutive failures', () => {
    let now = 1000;
    const health = new NodeHealth(3, () => now);
    expect(health.recordFailure(new Error('a'))).toBe(false);
    expect(health.recordFailure(new Error('b'))).toBe(false);
    health.recordSuccess();
    expect(health.recordFailure(new Error('c'))).toBe(false);
    expect(health.recordFailure(new Error('d'))).toBe(false);
    now = 2000;
    expect(health.recordFailure(new Error('e'))).toBe(true);
    expect(health.state).toBe('down');
    expect(health.downSince).toBe(2000);
    // Further failures while down do not announce the outage again.
    expect(health.recordFailure(new Error('f'))).toBe(false);
    health.markUp();
    expect(health).toMatchObject({ state: 'up', consecutiveFailures: 0, downSince: undefined });
  });

  it('marks a server down at once on a fatal failure (a protocol violation), whatever the threshold', () => {
    const health = new NodeHealth(3, () => 5000);
    expect(health.recordFatal(new Error('garbage'))).toBe(true);
    expect(health).toMatchObject({ state: 'down', downSince: 5000, consecutiveFailures: 1 });
    expect(health.recordFatal(new Error('more garbage'))).toBe(false);
  });
});

describe('outage journal', () => {
  it('remembers each key once with every fallback server it went to', () => {
    const journal = new OutageJournal(10);
    journal.record('a', '127.0.0.1:2');
    journal.record('a', '127.0.0.1:3');
    journal.record('b', undefined);
    expect(journal.keyCount).toBe(2);
    expect(new Map([...journal.keys()].map(([k, v]) => [k, [...v]]))).toEqual(
      new Map([
        ['a', ['127.0.0.1:2', '127.0.0.1:3']],
        ['b', []],
      ]),
    );
  });

  it('overflows instead of growing past its capacity, and clears', () => {
    const journal = new OutageJournal(2);
    journal.record('a', undefined);
    journal.record('b', undefined);
    expect(journal.overflowed).toBe(false);
    journal.record('c', undefined);
    expect(journal.overflowed).toBe(true);
    expect(journal.keyCount).toBe(0);
    journal.clear();
    expect(journal.overflowed).toBe(false);
  });
});
