import { EventEmitter } from 'node:events';
import type { MemcacheCluster } from '../../cluster/cluster.js';
import type { Item } from '../../cluster/item.js';
import { AuthringError, PartialResultError, UnexpectedError } from '../../errors.js';
import type { ValueCodec } from '../codec.js';
import { decodeBeat, decodeRecord, type FeedBeat, type FeedKeys, type FeedRecord } from './feed-format.js';
import type { BypassReason, FollowedTier } from './local-tier.js';

/** What the follower needs from memcached. */
export type FeedFollowerStore = Pick<MemcacheCluster, 'getMulti'>;

/** Options of {@link FeedFollower}. */
export interface FeedFollowerOptions {
  /** Milliseconds between polls (one multi-get each). @default 50 */
  readonly pollMs?: number;
  /** Milliseconds a poll's multi-get may take. @default 200 */
  readonly timeoutMs?: number;
  /**
   * Milliseconds a numbered record may stay unreadable (its writer died between numbering and
   * writing it, or its server is down) before the follower drops every entry and moves past it.
   * @default 200
   */
  readonly gapGraceMs?: number;
  /** Records beyond the last heartbeat read ahead each poll (explicit invalidations). @default 4 */
  readonly readAhead?: number;
  /** Records read per poll at most while catching up. @default 64 */
  readonly maxPerPoll?: number;
  /** Monotonic clock in milliseconds; the tier's. @default performance.now */
  readonly now?: () => number;
}

/** Events of {@link FeedFollower}. */
export interface FeedFollowerEvents {
  /** A record was applied (not a heartbeat's empty one): the local keys it removed, or `all`. */
  applied: [record: FeedRecord];
  /** The tier was proven current up to `coveredAt` (the follower's clock). */
  proven: [coveredAt: number];
  /** Every entry was dropped: a gap the follower could not close, or a new generation. */
  dropped: [why: 'gap' | 'generation'];
  /** A namespace generation newer than the tier's was announced. */
  generation: [generation: bigint];
  /** A poll could not read the feed. */
  'poll-error': [error: AuthringError];
  /** A poll finished (read or not). */
  polled: [];
}

/** A heartbeat newer than the proof, waiting for the records it names to be applied. */
interface Candidate {
  readonly seq: bigint;
  readonly coveredAt: number;
}

/**
 * A node's side of the invalidation feed (./feed-format.ts): one multi-get per poll reads the
 * heartbeat and the records after the last applied one, applies them in order to the
 * local tier, and proves the tier current once every record up to a heartbeat is applied.
 *
 * The proof uses only this process's clock: a heartbeat first seen in poll k was written after
 * the previous poll's read was sent (that read still found an older one), and it vouches for
 * every change committed `lagMs` before it was written; so the tier is current up to the
 * previous poll's send time minus `lagMs`, whatever the watcher's clock says.
 *
 * A record overwritten before it was read, a counter gone backwards or too far ahead, or a record
 * unreadable past `gapGraceMs` is a gap: every entry is dropped (and lookups in flight refused),
 * which is always safe, and the follower goes on from there.
 */
export class FeedFollower extends EventEmitter<FeedFollowerEvents> {
  private readonly options: Required<FeedFollowerOptions>;
  /** Last record applied; undefined until the first heartbeat is read. */
  private applied: bigint | undefined;
  /** Highest heartbeat number seen. */
  private beatSeq = -1n;
  /** Send time of the last poll that read the heartbeat (or its absence) successfully. */
  private lastBeatReadAt: number | undefined;
  private candidate: Candidate | undefined;
  /** Since when the next record has been unreadable although numbered. */
  private holeSince: number | undefined;
  private lastPollAt = -Infinity;
  /** Bumped by {@link routingChanged}: a read sent before a change proves nothing after it. */
  private routing = 0;
  private lastError: AuthringError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Set by {@link stop}: polls ended on purpose, not stalled. */
  private halted = false;

  constructor(
    private readonly store: FeedFollowerStore,
    private readonly keys: FeedKeys,
    private readonly codec: ValueCodec,
    private readonly tier: FollowedTier,
    options: FeedFollowerOptions = {},
  ) {
    super();
    this.options = {
      pollMs: options.pollMs ?? 50,
      timeoutMs: options.timeoutMs ?? 200,
      gapGraceMs: options.gapGraceMs ?? 200,
      readAhead: options.readAhead ?? 4,
      maxPerPoll: options.maxPerPoll ?? 64,
      now: options.now ?? (() => performance.now()),
    };
    tier.explain = () => this.reason();
  }

  /** Starts polling (the first poll at once). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halted = false;
    this.schedule(0);
  }

  /** Stops polling and the tier's serving; resolves when a poll in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    clearTimeout(this.timer);
    await this.running;
    this.tier.revoke();
  }

  /** The last record applied, once the feed was first read. */
  get position(): bigint | undefined {
    return this.applied;
  }

  /**
   * The heartbeat's server may have changed (a server marked down or up, a new server list): the
   * next new heartbeat may have been written long before this follower last read its old place,
   * so it is not taken as proof; the one after it is.
   */
  routingChanged(): void {
    this.lastBeatReadAt = undefined;
    this.routing += 1;
  }

  /** Why the tier is not current now (asked by the tier on a bypass). */
  reason(): BypassReason {
    const now = this.options.now();
    // The follower itself has not run: the event loop (or the whole process) stalled.
    if (!this.halted && now - this.lastPollAt > this.options.pollMs + this.options.timeoutMs + 100) return 'stalled';
    if (this.lastError !== undefined) return 'feed-unreadable';
    if (this.candidate !== undefined) return 'catching-up';
    return 'no-heartbeat';
  }

  /** Runs one poll now (tests; the timer calls it too). */
  async poll(): Promise<void> {
    const sentAt = this.options.now();
    const routing = this.routing;
    this.lastPollAt = sentAt;
    const wanted = this.wantedSlots();
    const keys = [this.keys.beat, ...wanted.map((n) => this.keys.slot(n))];
    let items: Map<string, Item>;
    let failed = new Set<string>();
    try {
      items = await this.store.getMulti(keys, { timeoutMs: this.options.timeoutMs });
      this.lastError = undefined;
    } catch (error) {
      if (!(error instanceof PartialResultError)) {
        this.lastError = error instanceof AuthringError ? error : new UnexpectedError(error);
        this.emit('poll-error', this.lastError);
        return;
      }
      items = error.hits as Map<string, Item>;
      failed = new Set(error.failures.flatMap((f) => f.keys));
      this.lastError = failed.has(this.keys.beat) ? error : undefined;
      if (this.lastError) this.emit('poll-error', error);
    }
    if (!failed.has(this.keys.beat)) this.readBeat(items.get(this.keys.beat), routing === this.routing ? sentAt : undefined);
    this.applyRecords(wanted, items, failed);
    this.settle();
  }

  /** Slots to read: from the next record up to the last heartbeat, plus a few beyond it. */
  private wantedSlots(): bigint[] {
    if (this.applied === undefined) return [];
    const last = (this.beatSeq > this.applied ? this.beatSeq : this.applied) + BigInt(this.options.readAhead);
    const wanted: bigint[] = [];
    for (let n = this.applied + 1n; n <= last && wanted.length < this.options.maxPerPoll; n++) wanted.push(n);
    return wanted;
  }

  private readBeat(item: Item | undefined, sentAt: number | undefined): void {
    const beat = item === undefined ? undefined : this.decodeBeat(item);
    const previousRead = this.lastBeatReadAt;
    this.lastBeatReadAt = sentAt;
    if (beat === undefined) return;
    const tierGeneration = this.tier.generation;
    if (tierGeneration === undefined || beat.generation > tierGeneration) {
      if (tierGeneration !== undefined) this.emit('dropped', 'generation');
      this.tier.useGeneration(beat.generation);
      this.emit('generation', beat.generation);
    }
    if (this.applied === undefined) {
      // The first read: nothing held yet, so nothing before this heartbeat needs applying.
      this.applied = beat.seq;
      this.beatSeq = beat.seq;
      return;
    }
    if (beat.seq <= this.beatSeq) return;
    this.beatSeq = beat.seq;
    // A heartbeat from a watcher still on an older generation vouches for nothing held now.
    if (beat.generation !== this.tier.generation) return;
    if (beat.seq - this.applied > BigInt(this.keys.ringSize)) this.gap(beat.seq);
    // Written after the previous read of the heartbeat was sent (that read found an older one).
    if (previousRead !== undefined) this.candidate = { seq: beat.seq, coveredAt: previousRead - beat.lagMs };
  }

  private applyRecords(wanted: readonly bigint[], items: Map<string, Item>, failed: ReadonlySet<string>): void {
    // The highest number known to be taken: a later record read, or the heartbeat's.
    let taken = this.beatSeq;
    for (const n of wanted) {
      const slot = this.keys.slot(n);
      const record = failed.has(slot) ? undefined : this.readRecord(slot, items.get(slot));
      if (record !== undefined && record.n === n && n > taken) taken = n;
    }
    for (const n of wanted) {
      if (this.applied === undefined || n !== this.applied + 1n) continue;
      const slot = this.keys.slot(n);
      const record = failed.has(slot) ? undefined : this.readRecord(slot, items.get(slot));
      if (record !== undefined && record.n > n) {
        // Overwritten by a newer lap of the ring: records were lost to this follower.
        this.gap(taken > record.n ? taken : record.n);
        return;
      }
      if (record !== undefined && record.n === n) {
        this.apply(record);
        continue;
      }
      if (n > taken) return; // not written yet
      const now = this.options.now();
      this.holeSince ??= now;
      if (now - this.holeSince < this.options.gapGraceMs) return;
      this.gap(n);
    }
  }

  private apply(record: FeedRecord): void {
    this.holeSince = undefined;
    this.applied = record.n;
    if (record.kind === 'all') {
      const current = this.tier.generation;
      if (current === undefined || record.generation > current) {
        this.tier.useGeneration(record.generation);
        this.emit('generation', record.generation);
      } else this.tier.clear();
    } else if (record.keys.length > 0) this.tier.invalidate(record.keys);
    // A heartbeat's own record is empty: nothing to tell.
    if (record.kind === 'all' || record.keys.length > 0) this.emit('applied', record);
  }

  /** Drops everything and continues after record `upTo`. */
  private gap(upTo: bigint): void {
    this.tier.clear();
    this.holeSince = undefined;
    this.applied = upTo;
    this.emit('dropped', 'gap');
  }

  /** Proves the tier once the waiting heartbeat's records are all applied. */
  private settle(): void {
    const candidate = this.candidate;
    if (candidate === undefined || this.applied === undefined || this.applied < candidate.seq) return;
    this.candidate = undefined;
    this.tier.prove(candidate.coveredAt);
    this.emit('proven', candidate.coveredAt);
  }

  private decodeBeat(item: Item): FeedBeat | undefined {
    const decoded = this.codec.decode(this.keys.beat, item.value.toString('utf8'));
    return decoded.kind === 'value' && decoded.value !== null ? decodeBeat(decoded.value) : undefined;
  }

  private readRecord(slot: string, item: Item | undefined): FeedRecord | undefined {
    if (item === undefined) return undefined;
    const decoded = this.codec.decode(slot, item.value.toString('utf8'));
    return decoded.kind === 'value' && decoded.value !== null ? decodeRecord(decoded.value) : undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll()
        .catch((error: unknown) => {
          this.lastError = error instanceof AuthringError ? error : new UnexpectedError(error);
          this.emit('poll-error', this.lastError);
        })
        .finally(() => {
          this.emit('polled');
          this.schedule(this.options.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
