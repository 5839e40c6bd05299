import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LookupDeadline } from '../../src/auth/lookup-deadline.js';
import { DeadlineError, InvalidArgumentError, SourceUnavailableError } from '../../src/errors.js';

describe('a lookup’s deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails a step that has not settled exactly when the deadline passes', async () => {
    const deadline = new LookupDeadline(400);
    const outcome = deadline.run('grp:x', () => new Promise<never>(() => undefined)).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(399);
    expect(deadline.remainingMs()).toBe(1);
    let settled = false;
    void outcome.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ code: 'E_DEADLINE', deadlineMs: 400, key: 'grp:x' });
  });

  it('spends one budget over several steps', async () => {
    const deadline = new LookupDeadline(400);
    const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const first = deadline.run('key', () => wait(300));
    await vi.advanceTimersByTimeAsync(300);
    await first;
    const second = deadline.run('load', () => wait(200)).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await second).toBeInstanceOf(DeadlineError);
  });

  it('types a driver’s error, and keeps authring’s own', async () => {
    const deadline = new LookupDeadline(400);
    const raw = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
    const error = await deadline.run('cred:x', () => Promise.reject(raw)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as SourceUnavailableError).cause).toBe(raw);
    const own = new InvalidArgumentError('bad');
    expect(await deadline.run('x', () => Promise.reject(own)).catch((e: unknown) => e)).toBe(own);
    expect(await deadline.run('x', () => Promise.resolve(7))).toBe(7);
  });

  it('is whole while unspent (its synchronous start), and read from the clock otherwise', () => {
    let now = 1_000;
    const deadline = new LookupDeadline(400, () => now);
    expect(deadline.startedAt).toBe(1_000);
    expect(deadline.at).toBe(1_400);
    now = 1_100;
    expect(deadline.remainingMs()).toBe(300);
    deadline.unspent = true;
    expect(deadline.remainingMs()).toBe(400);
    deadline.unspent = false;
    now = 1_500;
    expect(deadline.remainingMs()).toBe(0);
  });
});
