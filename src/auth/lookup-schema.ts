import type { RowDataPacket } from 'mysql2/promise';
import { SchemaError, SourceUnavailableError } from '../errors.js';
import type { FactStore } from './names/fact-store.js';
import { describeColumns, learnColumnFacts, type NameColumn } from './names/learn.js';
import type { NameKeys } from './names/name-keys.js';
import { nameColumns, schemaProblems, type LookupName, type TableUse } from './schema.js';
import type { SqlClient } from './sql.js';

/**
 * What the enabled lookups know of their tables: the tables checked against the configuration,
 * and the name columns' collation facts, learnt from MySQL when it answers and otherwise read
 * from memcached, where every node that learnt them left them. So a node starts while MySQL is
 * down, serves what the cache holds, and learns the facts itself once MySQL is back.
 */
export class LookupSchema {
  private learning: Promise<void> | undefined;
  private lastAttempt = -Infinity;
  private lastError: unknown;
  private verified = false;
  private problems: SchemaError | undefined;

  constructor(
    private readonly db: SqlClient,
    private readonly names: NameKeys,
    private readonly uses: readonly TableUse[],
    private readonly store: FactStore,
    private readonly timeoutMs: number,
    /** Milliseconds between attempts to reach MySQL while it fails. */
    private readonly retryMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * At start-up: learns from MySQL, or, when MySQL cannot be reached, takes the facts memcached
   * holds (lookups whose facts are still unknown fail with `E_SOURCE_UNAVAILABLE` until MySQL
   * answers).
   * @throws SchemaError when MySQL answers and the tables do not fit the configuration.
   */
  async start(): Promise<void> {
    try {
      await this.learn();
    } catch (error) {
      if (error instanceof SchemaError) throw error;
      this.names.use(await this.store.load(this.columns()));
    }
  }

  /**
   * True once this process learnt every enabled lookup's facts from MySQL and found the tables
   * fit: {@link ready} then has nothing to check or wait for, so a lookup may skip it.
   */
  get learnt(): boolean {
    return this.verified;
  }

  /**
   * Resolves when `lookup` can build its keys. Until facts were learnt from MySQL by this process,
   * each call may start one new attempt (at most one every `retryMs`) and waits for it only if
   * the lookup has no facts at all.
   * @throws SchemaError for a lookup whose tables do not fit; SourceUnavailableError when the
   *   lookup's facts are unknown and MySQL cannot be reached.
   */
  async ready(lookup: LookupName): Promise<void> {
    if (!this.verified && !this.learning && this.now() - this.lastAttempt >= this.retryMs) {
      this.learning = this.learn()
        .catch(() => undefined)
        .finally(() => (this.learning = undefined));
    }
    const columns = this.columns(lookup);
    if (this.learning && !this.known(columns)) await this.learning;
    const problems = this.problems?.problems.filter((p) => p.path.startsWith(`lookups.${lookup}.`)) ?? [];
    if (problems.length > 0) throw new SchemaError(problems);
    if (!this.known(columns)) {
      throw new SourceUnavailableError(`lookups.${lookup}`, this.lastError ?? new Error('the name columns’ collations are not known yet'));
    }
  }

  private known(columns: readonly NameColumn[]): boolean {
    return columns.every((column) => this.names.factsOf(column) !== undefined);
  }

  private columns(lookup?: LookupName): NameColumn[] {
    return nameColumns(this.uses.filter((use) => lookup === undefined || use.lookup === lookup));
  }

  /** The connection's database, for messages. */
  private async database(): Promise<string> {
    const [row] = await this.db.select<RowDataPacket>('SELECT DATABASE() AS d', [], this.timeoutMs);
    return row?.['d'] === null || row?.['d'] === undefined ? '(none selected)' : String(row['d']);
  }

  private async learn(): Promise<void> {
    this.lastAttempt = this.now();
    try {
      const described = this.uses.length === 0 ? new Map() : await describeColumns(this.db, this.uses.map((use) => use.table), this.timeoutMs);
      let problems = schemaProblems(this.uses, described, '');
      if (problems.length > 0) problems = schemaProblems(this.uses, described, await this.database());
      this.problems = problems.length > 0 ? new SchemaError(problems) : undefined;
      if (this.problems) throw this.problems;
      const facts = await learnColumnFacts(this.db, described, this.columns(), this.timeoutMs);
      this.names.use(facts.values());
      this.verified = true;
      this.lastError = undefined;
      await this.store.save(facts.values());
    } catch (error) {
      this.lastError = error;
      throw error;
    }
  }
}
