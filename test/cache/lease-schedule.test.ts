import { describe, expect, it } from 'vitest';
import { ABANDON_GRACE_MS, MAX_POLL_MS, MIN_POLL_MS, POLL_FRACTION, nextPollAt, viewLease } from '../../src/cache/lease-wait.js';

// Pure arithmetic on clock readings: time is the subject, and no timer is involved.
const T0 = 1_800_000_000_000;

/** The reads a waiter makes, from seeing a fresh lease at its start until the leader's result is there at `loadMs`. */
function readsUntil(loadMs: number, expectMs: number, holdMs = 500): number[] {
  const view = viewLease({ startedAt: T0, holdMs, expectMs }, T0, 2000);
  const reads: number[] = [];
  for (let now = T0; now < T0 + loadMs && now < view.abandonedAt; ) {
    now = nextPollAt(view, now);
    reads.push(now - T0);
  }
  return reads;
}

describe('lease waiting schedule', () => {
  // [load, what the leader expected, most reads]: few when the estimate is right, a bounded
  // number when it is 30 times off (the database just became slow).
  it.each([
    [3, 10, 2],
    [12, 10, 6],
    [40, 10, 16],
    [300, 300, 8],
    [300, 10, 40],
    [450, 20, 40],
  ])('sees a %i ms load (expected %i ms) at most a quarter late, in at most %i reads', (loadMs, expectMs, mostReads) => {
    const reads = readsUntil(loadMs, expectMs);
    const seenAt = reads.at(-1) ?? 0;
    expect(seenAt).toBeGreaterThanOrEqual(loadMs);
    const firstRead = expectMs / 2;
    expect(seenAt - loadMs).toBeLessThanOrEqual(Math.max(firstRead, Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, loadMs * POLL_FRACTION))) + 1e-9);
    expect(reads.length).toBeLessThanOrEqual(mostReads);
  });

  it('reads at the moment the lease is abandoned, not later', () => {
    const reads = readsUntil(Infinity, 10, 500);
    expect(reads.at(-1)).toBe(500 + ABANDON_GRACE_MS);
  });

  it('honours a marker at most for the waiter’s own lease time, whatever it claims', () => {
    const view = viewLease({ startedAt: T0, holdMs: 999_999_999, expectMs: 999_999_999 }, T0, 2000);
    expect(view.abandonedAt).toBe(T0 + 2000 + ABANDON_GRACE_MS);
    expect(view.firstPollAt).toBeLessThanOrEqual(view.abandonedAt);
  });

  it('treats a replayed old marker as abandoned at once', () => {
    const view = viewLease({ startedAt: T0 - 60_000, holdMs: 500, expectMs: 10 }, T0, 2000);
    expect(view.abandonedAt).toBe(T0 + ABANDON_GRACE_MS);
  });

  it('never waits past what it saw plus the hold when the leader’s clock runs ahead', () => {
    const view = viewLease({ startedAt: T0 + 3_600_000, holdMs: 500, expectMs: 10 }, T0, 2000);
    expect(view.startedAt).toBe(T0);
    expect(view.abandonedAt).toBe(T0 + 500 + ABANDON_GRACE_MS);
  });
});
