import type { CallOptions } from '../cluster/call-options.js';
import { TEXT_FLAGS, type Item } from '../cluster/item.js';
import { AuthringError, DeadlineError, SourceUnavailableError, TimeoutError } from '../errors.js';
import type { CachedValue, Decoded } from './codec.js';
import { raceDeadline, type Deadline } from './deadline.js';
import { newCacheCounters, type CacheCounters } from './counters.js';
import { LEASE_FLAGS, LEASE_REFRESH_MS, LEASE_WINDOW_MS, encodeLease, isLease } from './lease.js';
import { LoadTimes, waitForLeader, type WaitContext } from './lease-wait.js';
import {
  resolveReadThroughOptions,
  type LoadOptions,
  type ReadThroughOptions,
  type ResolvedReadThroughOptions,
  type Validator,
} from './options.js';
import { KeySightings } from './key-sightings.js';
import { SingleFlight } from './single-flight.js';
import { loaderOf, readAnswer, validatorOf, valueKind, type LoadContext, type LookupKind } from './lookup-kind.js';
import type { CacheStore } from './store.js';

/** Loads a value from the source; `null` means "no such row" (cached with the negative TTL). */
export type Loader = (context: LoadContext) => Promise<CachedValue>;

/** Where an answer came from, filled in by `getOrLoad` when the caller passes one. */
export interface LookupStatus {
  /**
   * `local`: this process's local tier; `cache`: memcached; `peer`: another caller's lookup in
   * this process, joined (single flight); `lease`: another process's load, waited for through its
   * lease and read from memcached; `source`: this caller's load; `stale`: an expired entry served
   * because the source failed.
   */
  source?: 'local' | 'cache' | 'peer' | 'lease' | 'source' | 'stale';
  /** The memcached server (`host:port`) that owns the key. */
  server?: string;
  /** The memcached key the question was asked under (with its namespace generation). */
  key?: string;
}

interface Answer {
  readonly value: CachedValue;
  readonly source: NonNullable<LookupStatus['source']>;
  /** The store of a loaded value, still under way: the flight stays open for joiners until it lands. */
  readonly storing?: Promise<void>;
}

/**
 * The first read of a lookup, made before it joined or started a flight: what came back, or why
 * nothing did; or, for a key this process never asked (see {@link KeySightings}), the read and a
 * lease request sent with it, both still under way.
 */
type FirstRead =
  | { readonly item: Item | undefined }
  | { readonly failure: unknown }
  | { readonly read: Promise<Item | undefined>; readonly lease: Promise<bigint | undefined> };

/**
 * A generic read-through cache over memcached. It knows nothing of Kamailio: keys are strings,
 * values are strings or `null`, and the loader is the caller's.
 *
 * Guarantees: concurrent misses for a key cause one load per process (single flight) and, through
 * a lease placed at the key, one load across processes; a load that races an invalidation never
 * stores its result; memcached failures fall through to the loader; no lookup outlives its deadline.
 */
export class ReadThroughCache {
  /** Counters since creation. */
  readonly counters: CacheCounters = newCacheCounters();
  private readonly options: ResolvedReadThroughOptions;
  private readonly flights = new SingleFlight<Answer>((answer) => answer.storing);
  /** Stores under way, answered before they landed (see {@link settled}). */
  private readonly storing = new Set<Promise<void>>();
  private readonly refreshes = new SingleFlight<void>();
  private readonly loadTimes = new LoadTimes();
  private readonly sightings = new KeySightings();
  private readonly waitContext: WaitContext;
  /** See {@link firstReadOptions}. */
  private lastFirstRead: CallOptions = {};
  /** What {@link getOrLoad} answers without a validator of its own: values, checked by the configured one. */
  private readonly values: LookupKind<CachedValue, Loader>;

  constructor(
    private readonly store: CacheStore,
    options: ReadThroughOptions = {},
  ) {
    this.options = resolveReadThroughOptions(options);
    this.values = valueKind(this.options.validate);
    this.waitContext = {
      store,
      codec: this.options.codec,
      counters: this.counters,
      loadTimes: this.loadTimes,
      now: this.options.now,
      maxHoldMs: this.options.leaseMs,
      within: (deadline) => this.within(deadline),
    };
  }

  /**
   * The value for `key`: from memcached when present, else from `loader` (stored for the next
   * caller).
   * @throws SourceUnavailableError when the value is not cached and the loader failed.
   * @throws DeadlineError when the lookup took longer than its deadline.
   */
  getOrLoad(key: string, loader: Loader, options: LoadOptions & { status?: LookupStatus } = {}): Promise<CachedValue> {
    const kind = options.validate === undefined ? this.values : valueKind(options.validate);
    const deadlineMs = options.deadlineMs ?? this.options.deadlineMs;
    return this.answerWithin(key, kind, loader, this.options.now() + deadlineMs, deadlineMs, deadlineMs, options.status, options);
  }

  /**
   * {@link getOrLoad} for a kind of question made once (see {@link LookupKind}), within a
   * deadline the caller started (in this engine's clock): the question's arguments are handed to
   * the kind's loader, and a hit's value is read into the answer in the read's own callback.
   * Per-call options are `options`' (a kind's validation is its `read`).
   * @throws SourceUnavailableError when the value is not cached and the loader failed.
   * @throws DeadlineError when the deadline passes first (or has passed).
   */
  answer<T, A>(key: string, kind: LookupKind<T, A>, args: A, deadline: Deadline, status?: LookupStatus, options: LoadOptions = NO_OPTIONS): Promise<T> {
    const remaining = deadline.remainingMs();
    if (remaining <= 0) return Promise.reject(new DeadlineError(key, deadline.totalMs));
    return this.answerWithin(key, kind, args, deadline.at, remaining, deadline.totalMs, status, options);
  }

  /** {@link answer} with `remainingMs` of the deadline (`deadline`, of `deadlineMs` in all) left now. */
  private answerWithin<T, A>(
    key: string,
    kind: LookupKind<T, A>,
    args: A,
    deadline: number,
    remainingMs: number,
    deadlineMs: number,
    status: LookupStatus | undefined,
    options: LoadOptions,
  ): Promise<T> {
    this.counters.lookups += 1;
    if (this.flights.has(key)) return this.answerUnderDeadline(key, kind, args, deadlineMs, status, options, deadline, undefined);
    // A key never asked here is most likely a miss: the read and the lease a miss needs leave in
    // one write, in that order (one connection per server, so memcached answers them in order), and
    // a cold miss costs one round trip before its load instead of two.
    if (this.sightings.firstSight(key)) {
      const first = { read: this.store.get(key, this.within(deadline)), lease: this.takeLease(key, deadline) };
      return this.answerUnderDeadline(key, kind, args, deadlineMs, status, options, deadline, first);
    }
    // Most lookups are hits: read first, with no timer or race of its own and no async frame
    // (a hit is one callback on the read). The read cannot outlive the deadline (its
    // `remainingMs`), and a fresh hit is answered as soon as it arrives, in the read's own callback.
    const onFailure = (failure: unknown): Promise<T> => this.answerUnderDeadline(key, kind, args, deadlineMs, status, options, deadline, { failure });
    const onItem = (item: Item | undefined): T | Promise<T> => {
      try {
        if (item !== undefined && !isLease(item)) {
          const decoded = this.options.codec.decode(key, item.value.toString('utf8'));
          // Anything but a fresh, well-formed entry takes the full path, which decodes it again and counts.
          // Fresh as of the lookup's start (its deadline less its length): no clock read on a hit.
          if (decoded.kind === 'value' && (decoded.expiresAt === undefined || decoded.expiresAt > deadline - deadlineMs)) {
            const answer = decoded.value === null ? kind.answer(null) : readAnswer(kind, decoded.value, key);
            if (decoded.value === null || answer !== undefined) {
              if (decoded.value === null) this.counters.negativeHits += 1;
              else this.counters.hits += 1;
              if (decoded.expiresAt !== undefined && this.options.refreshAhead > 0) this.maybeRefresh(key, loaderOf(kind, args), options, decoded.expiresAt, item);
              if (status) {
                status.source = 'cache';
                status.server = this.store.serverFor(key);
              }
              return answer as T;
            }
          }
        }
      } catch (failure) {
        return onFailure(failure);
      }
      return this.answerUnderDeadline(key, kind, args, deadlineMs, status, options, deadline, { item });
    };
    const readOptions = this.firstReadOptions(remainingMs);
    if (this.store.getThen) return this.store.getThen(key, readOptions, onItem, onFailure);
    let read: Promise<Item | undefined>;
    try {
      read = this.store.get(key, readOptions);
    } catch (failure) {
      return onFailure(failure);
    }
    return read.then(onItem, onFailure);
  }

  /** The full path of {@link answer}, with the kind made a loader and a validator (allocated here, never on a hit). */
  private answerUnderDeadline<T, A>(
    key: string,
    kind: LookupKind<T, A>,
    args: A,
    deadlineMs: number,
    status: LookupStatus | undefined,
    options: LoadOptions,
    deadline: number,
    first: FirstRead | undefined,
  ): Promise<T> {
    const full = { ...options, deadlineMs, validate: validatorOf(kind, key), status };
    return this.underDeadline(key, loaderOf(kind, args), full, deadline, deadlineMs, first).then((value) => kind.answer(value));
  }

  /**
   * Anything but a fresh first read (a miss, a lease, an entry to replace, a failed read, a flight
   * in progress) takes the full path under the deadline, with the read handed on unless another
   * caller's flight is joined.
   */
  private async underDeadline(
    key: string,
    loader: Loader,
    options: LoadOptions & { status?: LookupStatus },
    deadline: number,
    deadlineMs: number,
    first: FirstRead | undefined,
  ): Promise<CachedValue> {
    const { promise, joined } = this.flights.run(key, () => this.lookup(key, loader, options, deadline, first));
    if (joined) this.counters.coalesced += 1;
    try {
      const answer = await raceDeadline(promise, deadline - this.options.now(), () => new DeadlineError(key, deadlineMs));
      if (options.status) {
        options.status.source = joined && answer.source !== 'stale' ? 'peer' : answer.source;
        options.status.server = this.store.serverFor(key);
      }
      return answer.value;
    } catch (error) {
      this.counters.errors += 1;
      throw error;
    }
  }

  /**
   * Loads without the cache, under the same deadline and counters: for when no key can be built
   * (memcached cannot even say which namespace generation is current).
   */
  async loadUncached(key: string, loader: Loader, options: LoadOptions & { status?: LookupStatus } = {}): Promise<CachedValue> {
    this.counters.lookups += 1;
    this.counters.cacheErrors += 1;
    const deadlineMs = options.deadlineMs ?? this.options.deadlineMs;
    try {
      const value = await raceDeadline(this.load(key, loader, this.options.now() + deadlineMs), deadlineMs, () => new DeadlineError(key, deadlineMs));
      if (options.status) options.status.source = 'source';
      return value;
    } catch (error) {
      this.counters.errors += 1;
      throw error;
    }
  }

  /**
   * Resolves once no lookup is running and every loaded value's store has landed (or failed). A
   * lookup answers as soon as its load returns and stores the value behind the answer, so whoever
   * closes the cluster waits here first; each store is bounded by `cacheTimeoutMs`, each load by
   * its loader's own timeout.
   */
  async settled(): Promise<void> {
    while (this.flights.size > 0 || this.storing.size > 0) {
      await Promise.allSettled([...this.storing, ...this.flights.all()]);
    }
  }

  /** Removes a key's entry (or a lease on it, voiding that load's store). */
  async invalidate(key: string): Promise<void> {
    await this.store.delete(key, { timeoutMs: this.options.cacheTimeoutMs });
  }

  private async lookup(key: string, loader: Loader, options: LoadOptions, deadline: number, first?: FirstRead): Promise<Answer> {
    let stale: CachedValue | undefined;
    let counted = false;
    const deadlineError = (): DeadlineError => new DeadlineError(key, options.deadlineMs ?? this.options.deadlineMs);
    for (;;) {
      // The caller stops waiting at the deadline; this loop must stop too.
      if (this.options.now() >= deadline) throw deadlineError();
      let item: Item | undefined;
      let fromPeer = false;
      // A lease taken with the first read, on a key found empty.
      let taken: bigint | undefined;
      try {
        if (first === undefined) item = await this.store.get(key, this.within(deadline));
        else {
          const given = first;
          first = undefined;
          if ('failure' in given) throw given.failure;
          if ('read' in given) ({ item, lease: taken } = await this.readWithLease(key, given));
          else item = given.item;
        }
        if (taken !== undefined && item !== undefined) {
          // The key was filled or emptied between the read and the add: give the lease back.
          this.release(key, taken);
          taken = undefined;
        }
        if (item && isLease(item)) {
          const waited = await waitForLeader(this.waitContext, key, item, deadline, deadlineError);
          if (waited.kind === 'abandoned') this.counters.abandonedLeases += 1;
          fromPeer = waited.kind === 'done';
          item = waited.kind === 'done' ? waited.item : waited.lease;
        }
      } catch (error) {
        if (error instanceof DeadlineError) throw error;
        // A read cut short by the deadline: the lookup is out of time, memcached did not fail.
        // Told by the read's own timeout (shorter than the configured one only when the deadline
        // cut it) as well as by the clock, which a timer may beat by a millisecond or more.
        if (this.options.now() >= deadline || cutByDeadline(error, this.options.cacheTimeoutMs)) throw deadlineError();
        return this.loadWithoutCache(key, loader, deadline, error);
      }
      const decoded = item && !isLease(item) ? this.decode(key, item, options.validate ?? this.options.validate) : undefined;
      if (decoded?.kind === 'value') {
        if (decoded.expiresAt === undefined || decoded.expiresAt > this.options.now()) {
          // A peer's fresh result counts as coalesced, not as a hit.
          if (fromPeer) this.counters.coalesced += 1;
          else if (decoded.value === null) this.counters.negativeHits += 1;
          else this.counters.hits += 1;
          this.maybeRefresh(key, loader, options, decoded.expiresAt, item);
          return { value: decoded.value, source: fromPeer ? 'lease' : 'cache' };
        }
        stale = decoded.value;
      }
      // One miss per lookup, however many times it loses the race for the lease.
      if (!counted) this.counters.misses += 1;
      counted = true;
      let lease = taken;
      if (lease === undefined) {
        try {
          // An expired, forged or malformed entry, or an abandoned lease, is replaced only if
          // nobody changed it since we read it.
          if (item) await this.store.delete(key, { cas: item.cas, ...this.within(deadline) });
          lease = await this.takeLease(key, deadline);
        } catch (error) {
          return this.loadWithoutCache(key, loader, deadline, error);
        }
      }
      // Someone else leased or filled the key between our read and our add: read again.
      if (lease === undefined) continue;
      return this.loadUnderLease(key, loader, options, deadline, lease, stale);
    }
  }

  /**
   * The answers to a read and the lease request sent with it. A lease taken when the read failed
   * is given back; a lease request that failed reads as the key taken (the lookup then tries the
   * ordinary way, whose own failure it handles).
   */
  private async readWithLease(key: string, given: { read: Promise<Item | undefined>; lease: Promise<bigint | undefined> }): Promise<{ item: Item | undefined; lease: bigint | undefined }> {
    const [read, lease] = await Promise.allSettled([given.read, given.lease]);
    const token = lease.status === 'fulfilled' ? lease.value : undefined;
    if (read.status === 'rejected') {
      if (token !== undefined) this.release(key, token);
      throw read.reason;
    }
    return { item: read.value, lease: token };
  }

  /** Removes this caller's lease (only if it is still there), in the background. */
  private release(key: string, lease: bigint): void {
    this.store.delete(key, { cas: lease, timeoutMs: this.options.cacheTimeoutMs }).catch(() => undefined);
  }

  /**
   * Places a lease marker at `key`; its CAS token, or undefined when the key is taken. A load's
   * lease first holds for {@link LEASE_WINDOW_MS} and its leader extends it while the load runs
   * ({@link keepLeaseAlive}), up to `leaseMs` in all: a loader may run past the caller's deadline
   * (it then fills the cache for the next caller), so only `leaseMs`, kept above the loader's own
   * timeout, bounds it; and a leader that died is found out within the window, not `leaseMs`.
   * A gate (`holdMs` given: the refresh-ahead's) holds for its whole time at once.
   */
  private takeLease(key: string, deadline: number, holdMs = Math.min(LEASE_WINDOW_MS, this.options.leaseMs)): Promise<bigint | undefined> {
    const { marker, options } = this.leaseMarker(key, this.options.now(), holdMs);
    return this.store.addItem(key, marker, { ...options, ...this.within(deadline) });
  }

  /** The marker of a lease on `key` started at `startedAt` and held `holdMs`, and the item options it is written with. */
  private leaseMarker(key: string, startedAt: number, holdMs: number): { marker: string; options: { ttl: number; flags: number } } {
    const marker = encodeLease(this.options.codec, key, { startedAt, holdMs, expectMs: this.loadTimes.expectedMs });
    // Gone soon after its hold even if nobody takes it over; waiters judge it by its hold.
    return { marker, options: { ttl: Math.ceil(holdMs / 1000) + 2, flags: LEASE_FLAGS } };
  }

  /**
   * Keeps the lease `lease` at `key` alive while its load runs: every {@link LEASE_REFRESH_MS} the
   * marker is replaced (compare-and-swap) by one whose hold ends {@link LEASE_WINDOW_MS} later, up
   * to `leaseMs` after `startedAt`. Loads shorter than the period write nothing. The returned
   * function stops it and resolves with the lease's current token, or undefined when the key
   * changed meanwhile (invalidated, or taken over): the load's result must not be stored then.
   */
  private keepLeaseAlive(key: string, lease: bigint, startedAt: number): () => Promise<bigint | undefined> {
    let token: bigint | undefined = lease;
    let refreshing: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (refreshing !== undefined || token === undefined) return;
      const holdMs = Math.min(this.options.leaseMs, this.options.now() - startedAt + LEASE_WINDOW_MS);
      const { marker, options } = this.leaseMarker(key, startedAt, holdMs);
      refreshing = this.store.casItem(key, marker, token, { ...options, timeoutMs: this.options.cacheTimeoutMs }).then(
        (next) => {
          token = next;
          refreshing = undefined;
        },
        // Not known to have changed anything: the final store finds out.
        () => {
          refreshing = undefined;
        },
      );
      // The longest hold is set: from here the lease lapses at `leaseMs`, as a leader's that died.
      if (holdMs >= this.options.leaseMs) clearInterval(timer);
    }, LEASE_REFRESH_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await refreshing;
      return token;
    };
  }

  private async loadUnderLease(
    key: string,
    loader: Loader,
    options: LoadOptions,
    deadline: number,
    lease: bigint,
    stale: CachedValue | undefined,
  ): Promise<Answer> {
    let value: CachedValue;
    const stopKeeping = this.keepLeaseAlive(key, lease, this.options.now());
    try {
      value = await this.load(key, loader, deadline);
    } catch (error) {
      const held = await stopKeeping();
      if (held !== undefined) this.release(key, held);
      if (stale !== undefined) {
        this.counters.staleServed += 1;
        return { value: stale, source: 'stale' };
      }
      throw error;
    }
    const held = await stopKeeping();
    if (held === undefined) {
      // Invalidated (or taken over) while loading: answered, never stored.
      this.counters.staleSetsPrevented += 1;
      return { value, source: 'source' };
    }
    // Answered now, stored behind the answer: the caller does not wait a round trip for a write
    // whose outcome it cannot use. It is bounded by its own timeout, not the caller's deadline.
    const storing = this.storeValue(key, value, options, held, undefined).catch(() => {
      this.counters.cacheErrors += 1;
    });
    this.storing.add(storing);
    void storing.finally(() => this.storing.delete(storing));
    return { value, source: 'source', storing };
  }

  /** Stores a loaded value over the lease `cas`, within `deadline` when there is one. */
  private async storeValue(key: string, value: CachedValue, options: LoadOptions, cas: bigint, deadline: number | undefined): Promise<void> {
    const ttl =
      value === null
        ? (options.negativeTtlSeconds ?? this.options.negativeTtlSeconds)
        : this.jittered(options.ttlSeconds ?? this.options.ttlSeconds);
    if (ttl === 0) {
      // Negative answers are not cached: give the key back to the next caller.
      await this.store.delete(key, { cas, ...this.within(deadline) }).catch(() => undefined);
      return;
    }
    const encoded = this.options.codec.encode(key, value, this.options.now() + ttl * 1000);
    try {
      // Quiet: nobody waits on this answer, and a store that leaves with the next read saves a
      // write and an answer, a cold lookup's largest costs.
      const stored = await this.store.cas(key, encoded, cas, {
        ttl: ttl + this.options.staleTtlSeconds,
        flags: TEXT_FLAGS,
        quiet: true,
        ...this.within(deadline),
      });
      if (stored !== 'stored') this.counters.staleSetsPrevented += 1;
    } catch {
      this.counters.cacheErrors += 1;
    }
  }

  private async loadWithoutCache(key: string, loader: Loader, deadline: number, cacheError: unknown): Promise<Answer> {
    if (cacheError !== undefined) this.counters.cacheErrors += 1;
    return { value: await this.load(key, loader, deadline), source: 'source' };
  }

  private async load(key: string, loader: Loader, deadline: number): Promise<CachedValue> {
    const started = this.options.now();
    const deadlineMs = deadline - started;
    if (deadlineMs <= 0) throw new DeadlineError(key, this.options.deadlineMs);
    this.counters.loads += 1;
    try {
      const value = await loader({ deadlineMs });
      this.loadTimes.record(this.options.now() - started);
      return value;
    } catch (error) {
      if (error instanceof AuthringError) throw error;
      // A loader that gave up at the deadline it was handed (its query timed out) ran out of
      // the lookup's time, whichever timer fired first.
      if (this.options.now() >= deadline - 1) throw new DeadlineError(key, this.options.deadlineMs);
      throw new SourceUnavailableError(key, error);
    }
  }

  /** Decodes an entry; a forged one, or a value the lookup's validator refuses, is counted and reads as a miss. */
  private decode(key: string, item: Item, validate: Validator): Decoded | undefined {
    const decoded = this.options.codec.decode(key, item.value.toString('utf8'));
    if (decoded.kind === 'forged') this.counters.forged += 1;
    if (decoded.kind !== 'value' || decoded.value === null || accepts(validate, decoded.value)) return decoded;
    this.counters.malformed += 1;
    return undefined;
  }

  /** Starts one background reload of a hot key nearing expiry; replaces the entry only if unchanged. */
  private maybeRefresh(key: string, loader: Loader, options: LoadOptions, expiresAt: number | undefined, item: Item | undefined): void {
    if (!item || expiresAt === undefined || this.options.refreshAhead === 0) return;
    const ttlMs = (options.ttlSeconds ?? this.options.ttlSeconds) * 1000;
    if (expiresAt - this.options.now() > ttlMs * this.options.refreshAhead) return;
    this.refreshes.run(key, async () => {
      // One refresh per cluster. A planted gate only delays this key's refresh to its expiry.
      const deadline = this.options.now() + this.options.leaseMs;
      const gate = await this.takeLease(`${key}:refresh`, deadline, this.options.leaseMs);
      if (gate === undefined) return;
      this.counters.refreshes += 1;
      const value = await this.load(key, loader, deadline);
      await this.storeValue(key, value, options, item.cas, deadline);
    }).promise.catch(() => {
      this.counters.cacheErrors += 1;
    });
  }

  private jittered(ttl: number): number {
    return Math.max(1, ttl - Math.floor(ttl * this.options.jitter * Math.random()));
  }

  /**
   * The options of a lookup's first read with `remainingMs` of its deadline left: the object of
   * the last such read when as much was left (a clock in whole milliseconds leaves the same
   * figure for most lookups of a busy moment), so a hit allocates none. Never changed once made.
   */
  private firstReadOptions(remainingMs: number): CallOptions {
    const left = Math.max(1, remainingMs);
    if (this.lastFirstRead.remainingMs !== left) this.lastFirstRead = { timeoutMs: this.options.cacheTimeoutMs, remainingMs: left };
    return this.lastFirstRead;
  }

  /**
   * A memcached request made before `deadline`: its own timeout, cut to what is left of the
   * deadline, so that a timeout caused by the deadline does not count against the server. With no
   * deadline (a store behind an answer), its own timeout alone.
   */
  private within(deadline: number | undefined): CallOptions {
    if (deadline === undefined) return { timeoutMs: this.options.cacheTimeoutMs };
    return { timeoutMs: this.options.cacheTimeoutMs, remainingMs: Math.max(1, deadline - this.options.now()) };
  }
}

/** Per-call options of a lookup that has none. */
const NO_OPTIONS: LoadOptions = {};

function accepts(validate: Validator, value: string): boolean {
  try {
    return validate(value);
  } catch {
    return false;
  }
}

/** Whether a failed read was a timeout the lookup's deadline imposed (shorter than `timeoutMs`). */
function cutByDeadline(error: unknown, timeoutMs: number): boolean {
  return error instanceof TimeoutError && error.timeoutMs < timeoutMs;
}
