import type { Pool } from 'mysql2/promise';
import type { AuthCache } from '../../auth/auth-cache.js';
import type { AuthringConfig } from '../../config/index.js';
import { withDeadline } from '../deadline.js';
import { CommandFailedError } from '../../errors.js';
import { errorMessage } from '../exit.js';
import { forEachLimited } from './limit.js';
import type { Progress } from './progress.js';
import { countAfter, credentialsTable, groupsTable, pageAfter, type KeysetTable, type WarmRow } from './rows.js';
import { writeState, type TableProgress, type WarmState } from './state.js';

/** How to warm. */
export interface WarmSettings {
  /** Rows per keyset page (and per state write). */
  readonly batchSize: number;
  /** Lookups in flight at once. */
  readonly concurrency: number;
  /** Deadline of one batch (its page query and its lookups), in milliseconds. */
  readonly batchTimeoutMs: number;
  /** Where the state is written after every batch. */
  readonly statePath: string;
  /** Checked between batches: true stops the run after the batch in flight. */
  readonly shouldStop: () => boolean;
}

/** What one table's warm-up did in this run. */
export interface TableResult {
  readonly table: string;
  /** Rows looked up in this run. */
  readonly rows: number;
  /** Lookups that failed in this run. */
  readonly errors: number;
  /** The first failure's message, if any. */
  readonly firstError?: string;
  /** Primary key of the last row done. */
  readonly lastId: number;
  /** Rows done over every run of this warm-up (with --resume). */
  readonly warmedTotal: number;
  /** Whether the table was read to its end. */
  readonly done: boolean;
}

/** What a warm-up run did. */
export interface WarmResult {
  readonly credentials: TableResult;
  readonly groups: TableResult;
  readonly addresses: { readonly table: string; readonly rows: number; readonly loaded: boolean; readonly done: boolean };
  /** Stopped by a signal before the end. */
  readonly interrupted: boolean;
}

type Phase = 'credentials' | 'groups';

/**
 * Preloads the cache from MySQL: every subscriber's credentials, every grp row's membership
 * (keyset pages by `id`, each row through the AuthCache lookup, which loads and stores it), then
 * the address table. The state is written after every batch; a run started from a saved state
 * continues after its last ids.
 */
export class Warmer {
  private state: WarmState;

  constructor(
    private readonly auth: AuthCache,
    private readonly pool: Pool,
    private readonly config: AuthringConfig,
    initial: WarmState,
    private readonly settings: WarmSettings,
  ) {
    this.state = initial;
  }

  /** Rows left to do (the progress total), counting the address table's rows. */
  async remaining(): Promise<number> {
    const timeout = this.settings.batchTimeoutMs;
    const [credentials, groups, addresses] = await Promise.all([
      this.state.credentials.done ? 0 : countAfter(this.pool, this.config.lookups.credentials.table, this.state.credentials.lastId, timeout),
      this.state.groups.done ? 0 : countAfter(this.pool, this.config.lookups.group.table, this.state.groups.lastId, timeout),
      this.state.addresses.done ? 0 : countAfter(this.pool, this.config.lookups.address.table, 0, timeout),
    ]);
    return credentials + groups + addresses;
  }

  /** Runs the warm-up to its end, or until `shouldStop` says so between batches. */
  async run(progress: Progress): Promise<WarmResult> {
    const credentials = await this.table('credentials', credentialsTable(this.config), progress, (row) => this.auth.getCredentials(row.user, row.domain));
    const groups = credentials.done
      ? await this.table('groups', groupsTable(this.config), progress, (row) => this.auth.isUserInGroup(row.user, row.domain, row.group ?? ''))
      : this.untouched('groups', this.config.lookups.group.table);
    const addresses = groups.done && !this.settings.shouldStop() ? await this.addresses(progress) : { table: this.config.lookups.address.table, rows: 0, loaded: false, done: this.state.addresses.done };
    return { credentials, groups, addresses, interrupted: !addresses.done };
  }

  private async table(phase: Phase, source: KeysetTable, progress: Progress, lookup: (row: WarmRow) => Promise<unknown>): Promise<TableResult> {
    let rows = 0;
    let errors = 0;
    let firstError: string | undefined;
    while (!this.state[phase].done && !this.settings.shouldStop()) {
      const before = this.state[phase];
      const batch = await withDeadline(`warm: a batch of ${source.table}`, this.settings.batchTimeoutMs, async () => {
        const page = await pageAfter(this.pool, source, before.lastId, this.settings.batchSize, this.settings.batchTimeoutMs);
        let failed = 0;
        let first: string | undefined;
        await forEachLimited(page, this.settings.concurrency, async (row) => {
          try {
            await lookup(row);
          } catch (error) {
            failed += 1;
            first ??= `${source.table} id ${row.id}: ${errorMessage(error)}`;
          }
        });
        return { page, failed, first };
      });
      const { page, failed, first } = batch;
      if (page.length > 0 && failed === page.length) {
        // Nothing of this batch was warmed: stop without recording it, so --resume retries it.
        throw new CommandFailedError(`warm stopped: every lookup of a batch of ${source.table} failed (${first ?? 'unknown error'}); rerun with --resume`);
      }
      rows += page.length;
      errors += failed;
      firstError ??= first;
      const last = page[page.length - 1];
      const next: TableProgress = {
        lastId: last ? last.id : before.lastId,
        warmed: before.warmed + page.length,
        done: page.length < this.settings.batchSize,
      };
      this.state = { ...this.state, [phase]: next };
      await writeState(this.settings.statePath, this.state);
      progress.advance(source.table, page.length);
    }
    const end = this.state[phase];
    return { table: source.table, rows, errors, ...(firstError === undefined ? {} : { firstError }), lastId: end.lastId, warmedTotal: end.warmed, done: end.done };
  }

  private untouched(phase: Phase, table: string): TableResult {
    const s = this.state[phase];
    return { table, rows: 0, errors: 0, lastId: s.lastId, warmedTotal: s.warmed, done: s.done };
  }

  /** The address table is one cache entry: one lookup loads all of it. */
  private async addresses(progress: Progress): Promise<WarmResult['addresses']> {
    const table = this.config.lookups.address.table;
    if (this.state.addresses.done) return { table, rows: 0, loaded: false, done: true };
    const timeout = this.settings.batchTimeoutMs;
    const rows = await withDeadline(`warm: the ${table} table`, timeout, async () => {
      await this.auth.allowAddress('127.0.0.1', 0, 0);
      return countAfter(this.pool, table, 0, timeout);
    });
    this.state = { ...this.state, addresses: { done: true } };
    await writeState(this.settings.statePath, this.state);
    progress.advance(table, rows);
    return { table, rows, loaded: true, done: true };
  }
}
