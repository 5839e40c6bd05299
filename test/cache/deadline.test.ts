import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { raceDeadline } from '../../src/cache/deadline.js';

/** The one deadline race the engine, the lookups and the CLI share; time is the subject: fake timers. */
describe('raceDeadline', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  const pending = <T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } => {
    let resolve: (value: T) => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  it('settles with the work when it finishes first, and leaves no timer behind', async () => {
    const work = pending<string>();
    const raced = raceDeadline(work.promise, 100, () => new Error('expired'));
    await vi.advanceTimersByTimeAsync(99);
    work.resolve('done');
    await expect(raced).resolves.toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes the work’s own failure through', async () => {
    const work = pending<string>();
    const raced = raceDeadline(work.promise, 100, () => new Error('expired'));
    work.reject(new Error('failed'));
    await expect(raced).rejects.toThrow('failed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with the deadline’s error once the time is up, not a moment before; a late outcome is dropped', async () => {
    const work = pending<string>();
    let settled: unknown;
    const raced = raceDeadline(work.promise, 100, () => new Error('expired')).then(
      (value) => (settled = value),
      (error: unknown) => (settled = error),
    );
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await raced;
    expect(settled).toEqual(new Error('expired'));
    // A late rejection is handled (no unhandled rejection fails the run) and changes nothing.
    work.reject(new Error('late'));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toEqual(new Error('expired'));
  });

  it('treats a spent deadline as 0 ms, and still lets already-settled work win', async () => {
    await expect(raceDeadline(Promise.resolve('ready'), -5, () => new Error('expired'))).resolves.toBe('ready');
    const raced = raceDeadline(pending<string>().promise, -5, () => new Error('expired'));
    const caught = raced.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(0);
    expect(await caught).toEqual(new Error('expired'));
  });
});
