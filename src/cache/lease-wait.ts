import type { CallOptions } from '../cluster/call-options.js';
import type { Item } from '../cluster/item.js';
import type { ValueCodec } from './codec.js';
import type { CacheCounters } from './counters.js';
import { decodeLease, isLease, sleep, type LeaseMarker } from './lease.js';
import type { CacheStore } from './store.js';

/**
 * Fraction of the lease's age a waiter lets pass between reads: it sees a result at most this
 * much late. Smaller fractions cut the delay but add reads, and on a busy node every read costs
 * CPU the leaders need too.
 */
export const POLL_FRACTION = 1 / 4;
/** Shortest pause between two reads of a leased key, in ms. */
export const MIN_POLL_MS = 2;
/** Longest pause between two reads of a leased key, in ms. */
export const MAX_POLL_MS = 50;
/** The first read comes after this fraction of the leader's expected load time. */
export const FIRST_POLL_FRACTION = 0.75;
/** How long past its hold a lease is still given for the leader's final write, in ms. */
export const ABANDON_GRACE_MS = 10;

/** A lease as one waiter sees it, in the waiter's own clock. */
export interface LeaseView {
  /** When the lease started (the marker's time, clamped to what this node can have seen). */
  readonly startedAt: number;
  /** From then on, a lease still at the key is abandoned: its leader died or overran its deadline. */
  readonly abandonedAt: number;
  /** When to read the key first. */
  readonly firstPollAt: number;
}

/**
 * How a waiter that first read `marker` at `seenAt` judges it. A marker is honoured for at most
 * `maxHoldMs` (the waiter's own `leaseMs`), whatever it claims, so a planted or replayed marker
 * costs at most that. Node clocks differ: a lease is taken to have started no later than this
 * node saw it and no earlier than its hold allows, so a slow clock never makes a waiter wait past
 * `seenAt + hold`, and a fast one only makes it take over early (one extra load).
 */
export function viewLease(marker: LeaseMarker, seenAt: number, maxHoldMs: number): LeaseView {
  const holdMs = Math.min(marker.holdMs, maxHoldMs);
  const startedAt = Math.min(seenAt, Math.max(marker.startedAt, seenAt - holdMs));
  return {
    startedAt,
    abandonedAt: startedAt + holdMs + ABANDON_GRACE_MS,
    firstPollAt: startedAt + Math.min(marker.expectMs, holdMs) * FIRST_POLL_FRACTION,
  };
}

/**
 * When to read the key next after a read at `now`: not before the leader can be expected to be
 * done, then at pauses proportional to the lease's age (bounded by {@link MIN_POLL_MS} and
 * {@link MAX_POLL_MS}), so a result is seen at most about a quarter of its load time late, with a
 * handful of reads however long the load, and never after the lease is abandoned.
 */
export function nextPollAt(view: LeaseView, now: number): number {
  const step = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, (now - view.startedAt) * POLL_FRACTION));
  return Math.min(view.abandonedAt, Math.max(view.firstPollAt, now + step));
}

/**
 * A moving average of load durations, this node's own and those it saw its peers take: what a
 * leader announces as its expected load time.
 */
export class LoadTimes {
  private averageMs: number;

  constructor(initialMs = 10) {
    this.averageMs = initialMs;
  }

  /** Records one load's duration. */
  record(ms: number): void {
    this.averageMs += (ms - this.averageMs) / 5;
  }

  /** The current estimate in ms. */
  get expectedMs(): number {
    return this.averageMs;
  }
}

/** How waiting on a lease ended. */
export type WaitOutcome =
  /** The leader finished (a value is at the key) or gave up (the key is empty). */
  | { readonly kind: 'done'; readonly item: Item | undefined }
  /** The lease is to be replaced: abandoned by its leader, or a marker that cannot be trusted. */
  | { readonly kind: 'abandoned' | 'untrusted'; readonly lease: Item };

/** What {@link waitForLeader} needs from the engine. */
export interface WaitContext {
  readonly store: CacheStore;
  readonly codec: ValueCodec;
  readonly counters: CacheCounters;
  /** Where a waiter records how long the leader it waited on took. */
  readonly loadTimes: LoadTimes;
  readonly now: () => number;
  /** The waiter's `leaseMs`: the longest any marker is honoured. */
  readonly maxHoldMs: number;
  /** The options of one memcached read made before `deadline` (its timeout and what is left). */
  within(deadline: number): CallOptions;
}

/**
 * Waits while a live leader holds the lease `first` found at `key`, reading the key on the
 * {@link nextPollAt} schedule until the leader's result appears, the lease is abandoned, or
 * `deadline` passes (then `onDeadline()` is thrown).
 */
export async function waitForLeader(ctx: WaitContext, key: string, first: Item, deadline: number, onDeadline: () => Error): Promise<WaitOutcome> {
  let lease = first;
  let view = judge(ctx, key, lease);
  for (;;) {
    if (view === undefined) return { kind: 'untrusted', lease };
    const now = ctx.now();
    if (now >= view.abandonedAt) return { kind: 'abandoned', lease };
    if (now >= deadline) throw onDeadline();
    const at = Math.min(nextPollAt(view, now), deadline);
    await sleep(Math.max(1, at - now));
    if (ctx.now() >= deadline) throw onDeadline();
    const item = await ctx.store.get(key, ctx.within(deadline));
    if (!item || !isLease(item)) {
      if (item) ctx.loadTimes.record(ctx.now() - view.startedAt);
      return { kind: 'done', item };
    }
    // Another leader took over (ours gave up, or was judged abandoned by someone else).
    if (item.cas !== lease.cas) {
      lease = item;
      view = judge(ctx, key, lease);
    }
  }
}

function judge(ctx: WaitContext, key: string, lease: Item): LeaseView | undefined {
  const read = decodeLease(ctx.codec, key, lease.value.toString('utf8'));
  if (read.kind === 'lease') return viewLease(read.marker, ctx.now(), ctx.maxHoldMs);
  ctx.counters[read.kind] += 1;
  return undefined;
}
