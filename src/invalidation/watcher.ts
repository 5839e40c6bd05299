import { EventEmitter } from 'node:events';
import type { RowDataPacket } from 'mysql2/promise';
import type { AuthCache } from '../auth/auth-cache.js';
import { AuthringError, SourceUnavailableError } from '../errors.js';
import { CHANGELOG_TABLE, WATCHER_TABLE } from './change-log-sql.js';
import { Invalidator } from './invalidator.js';
import { keysOfChanges, readChanges, type Change } from './changes.js';
import { KamailioPlanner } from './kamailio-plan.js';
import type { KamailioNodes } from './kamailio-nodes.js';

/** Options of {@link ChangeWatcher.start}. */
export interface ChangeWatcherOptions {
  /** Names this watcher's saved position; watchers with different ids all apply every change. @default 'default' */
  readonly watcherId?: string;
  /** Milliseconds between polls of the change log: the main term of the invalidation bound. @default 100 */
  readonly intervalMs?: number;
  /** Changes read per poll. @default 1000 */
  readonly batchSize?: number;
  /**
   * Milliseconds a gap in change ids may stay open before the position moves past it. Ids are
   * allocated before commit, so a longer transaction can commit a smaller id later; until then the
   * saved position stays before the gap (changes after it are applied anyway). A gap's age counts
   * from when the first change after it was applied, so a run of missing ids (a large rolled-back
   * transaction, or ids pruned before a new watcher started) is passed in one step. @default 30000
   */
  readonly gapGraceMs?: number;
  /** Change log rows older than this (ms) and applied by this watcher are pruned. @default 86400000 */
  readonly retentionMs?: number;
  /** The clock gaps and pruning are timed by (ms since the epoch); tests pass a fake one. @default Date.now */
  readonly now?: () => number;
  /**
   * Kamailio nodes to tell what each batch changed (in the background: a slow node never holds up
   * the watcher). At start they are told to drop every configured table, since deletes may have
   * been lost while no watcher ran.
   */
  readonly kamailio?: KamailioNodes;
}

/** One applied batch. */
export interface AppliedBatch {
  /** Changes applied. */
  readonly changes: number;
  /** Keys deleted. */
  readonly keys: number;
  /** Milliseconds from each change's commit-time timestamp to its invalidation. */
  readonly lagsMs: readonly number[];
  /** The saved position after the batch. */
  readonly position: number;
}

/** Events of {@link ChangeWatcher}. */
export interface ChangeWatcherEvents {
  /** A batch of changes was applied. */
  applied: [batch: AppliedBatch];
  /**
   * A poll failed (MySQL or memcached unreachable); the same changes are read again on the next
   * poll. Not named `error`, so a watcher without listeners never crashes its process.
   */
  'poll-error': [error: AuthringError];
  /**
   * The invalidation feed could not be written (its counter's memcached server is down): nodes'
   * local tiers stop serving within their bound; memcached itself was invalidated as usual.
   */
  'feed-error': [error: AuthringError];
}

/**
 * Applies the change log (written by the triggers) to the cache: each change deletes the keys of
 * the answers it can alter. The position is saved in MySQL after each applied batch, so a
 * restarted watcher resumes where it stopped and no change is lost; several watchers (or several
 * with one id) do no harm, since deletes are idempotent. A batch whose deletes fail is retried on
 * the next poll, never skipped. A watcher whose position predates the pruned log, having missed
 * changes it can no longer read, invalidates the whole namespace instead.
 *
 * Where a watcher starts: an id with a saved position resumes after it. An id seen for the first
 * time starts before the oldest change still logged, so its first batches apply the whole backlog
 * the log holds (at most `retentionMs` old) before the changes made after it started; see
 * {@link ChangeWatcher.resumed}.
 *
 * The watcher's own cluster recovers servers from the change log like any node's when its
 * AuthCache comes from `createAuthCache` (which wires `useChangeLogForRecovery`); an AuthCache
 * built by hand calls `useChangeLogForRecovery` itself.
 */
export class ChangeWatcher extends EventEmitter<ChangeWatcherEvents> {
  private position = 0;
  private savedBefore = false;
  /** Ids applied beyond the position (a gap before them), with when each was applied. */
  private readonly applied = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastPrune = 0;
  /** When the last read that reached the end of the change log began (performance.now). */
  private coveredFrom: number | undefined;
  /** A record could not be written: nodes must drop everything before the next heartbeat. */
  private feedLost = false;
  private readonly invalidator: Invalidator;
  private readonly options: Required<Omit<ChangeWatcherOptions, 'kamailio'>>;
  private readonly kamailio: KamailioNodes | undefined;

  private constructor(
    private readonly auth: AuthCache,
    options: ChangeWatcherOptions,
  ) {
    super();
    this.options = {
      watcherId: options.watcherId ?? 'default',
      intervalMs: options.intervalMs ?? 100,
      batchSize: options.batchSize ?? 1000,
      gapGraceMs: options.gapGraceMs ?? 30_000,
      retentionMs: options.retentionMs ?? 86_400_000,
      now: options.now ?? Date.now,
    };
    this.kamailio = options.kamailio;
    this.invalidator = new Invalidator(auth, options.kamailio === undefined ? {} : { kamailio: options.kamailio });
  }

  /** Loads the saved position and starts polling. */
  static async start(auth: AuthCache, options: ChangeWatcherOptions = {}): Promise<ChangeWatcher> {
    const watcher = new ChangeWatcher(auth, options);
    watcher.kamailio?.tell([{ kind: 'everything' }]);
    await watcher.loadPosition();
    watcher.schedule(0);
    return watcher;
  }

  /** The id of the last change applied with none missing before it. */
  get savedPosition(): number {
    return this.position;
  }

  /**
   * True when this watcher id had a saved position and resumed after it; false when the id was
   * new and started before the oldest change still logged (its first batches are that backlog).
   */
  get resumed(): boolean {
    return this.savedBefore;
  }

  /**
   * Runs one poll now (for tests and `authring watch --once`), then writes the feed's heartbeat:
   * nodes' local tiers are proven current by it (see docs/local-tier.md).
   */
  async poll(): Promise<AppliedBatch | undefined> {
    const startedAt = performance.now();
    // Ids already applied beyond a gap are read again and skipped: read enough to see new ones.
    const limit = this.options.batchSize + this.applied.size;
    const read = await readChanges(this.auth.database.sql, 'id > ? ORDER BY id LIMIT ?', [this.position, limit]);
    const batch = await this.apply(read.filter((change) => !this.applied.has(change.id)));
    // A read that reached the end of the log covers every change committed before it began; a
    // full batch may have left some behind, so it vouches for nothing newer than the last one.
    if (read.length < limit) this.coveredFrom = startedAt;
    await this.beat();
    return batch;
  }

  /**
   * Writes the heartbeat; after a record that could not be written, first an "everything" record,
   * so no heartbeat ever vouches for a change nodes were not told of. A failure is reported as
   * `feed-error` (nodes stop serving from memory within their bound) and tried again next poll.
   */
  private async beat(): Promise<void> {
    if (this.coveredFrom === undefined) return;
    try {
      const generation = await this.auth.namespaceGeneration();
      if (this.feedLost) await this.auth.feed.publishAll(generation);
      this.feedLost = false;
      await this.auth.feed.beat(performance.now() - this.coveredFrom, generation);
    } catch (error) {
      this.emit('feed-error', error instanceof AuthringError ? error : new SourceUnavailableError('invalidation feed', error));
    }
  }

  private async apply(changes: readonly Change[]): Promise<AppliedBatch | undefined> {
    if (changes.length === 0) {
      await this.advance();
      return undefined;
    }
    const keys = await keysOfChanges(this.auth, changes);
    await this.invalidator.deleteKeys(keys);
    await this.auth.feed.publishKeys(keys).catch((error: unknown) => {
      this.feedLost = true;
      this.emit('feed-error', error instanceof AuthringError ? error : new SourceUnavailableError('invalidation feed', error));
    });
    this.kamailio?.tell(KamailioPlanner.intentsOf(changes));
    const now = this.options.now();
    for (const change of changes) this.applied.set(change.id, now);
    if (changes.some((change) => change.tbl === 'address')) this.auth.forgetAddressTable();
    await this.advance();
    const batch = { changes: changes.length, keys: keys.length, lagsMs: changes.map((c) => c.lagMs), position: this.position };
    this.emit('applied', batch);
    return batch;
  }

  /** Stops polling; resolves when a poll in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll()
        .then(() => this.prune())
        .catch((error: unknown) => {
          this.emit('poll-error', error instanceof AuthringError ? error : new SourceUnavailableError('change log', error));
        })
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
  }

  /** Moves the saved position over every applied id with no open gap before it. */
  private async advance(): Promise<void> {
    let next = this.position;
    const now = this.options.now();
    for (;;) {
      if (this.applied.delete(next + 1)) {
        next += 1;
        continue;
      }
      // Ids from next + 1 are missing before applied ones: transactions still open, or rolled
      // back, or pruned. They have been missing since the earliest of the later ids was applied.
      let lowest: number | undefined;
      let since = Infinity;
      for (const [id, at] of this.applied) {
        if (lowest === undefined || id < lowest) lowest = id;
        since = Math.min(since, at);
      }
      if (lowest === undefined || now - since < this.options.gapGraceMs) break;
      next = lowest - 1;
    }
    if (next === this.position) return;
    this.position = next;
    await this.auth.database.sql.execute(
      `INSERT INTO ${WATCHER_TABLE} (watcher_id, last_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE last_id = GREATEST(last_id, VALUES(last_id))`,
      [this.options.watcherId, next],
      5000,
    );
  }

  private async loadPosition(): Promise<void> {
    const [saved] = await this.auth.database.sql.select<RowDataPacket>(`SELECT last_id FROM ${WATCHER_TABLE} WHERE watcher_id = ?`, [this.options.watcherId], 5000);
    const [oldest] = await this.auth.database.sql.select<RowDataPacket>(`SELECT MIN(id) AS id FROM ${CHANGELOG_TABLE}`, [], 5000);
    const first = oldest?.['id'] === null || oldest?.['id'] === undefined ? undefined : Number(oldest['id']);
    this.savedBefore = saved !== undefined;
    // A new id starts at the beginning: it applies everything the log holds. Ids below the oldest
    // row are a gap like any other (a transaction still open may yet commit one).
    this.position = saved ? Number(saved['last_id']) : 0;
    // Changes between the saved position and the oldest kept row were pruned unseen.
    if (saved && first !== undefined && first > this.position + 1) {
      await this.invalidator.invalidateNamespace();
      this.position = first - 1;
    }
  }

  private async prune(): Promise<void> {
    const now = this.options.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    await this.auth.database.sql.execute(
      `DELETE FROM ${CHANGELOG_TABLE} WHERE id <= ? AND changed_at < NOW(3) - INTERVAL ? SECOND`,
      [this.position, Math.floor(this.options.retentionMs / 1000)],
      30_000,
    );
  }
}
