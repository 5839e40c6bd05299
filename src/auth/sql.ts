import type { PoolConnection, QueryError } from 'mysql2';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { InvalidArgumentError } from '../errors.js';
import { batchesQueries } from './mysql-options.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Quotes a table or column name for interpolation into SQL. Names come from configuration, not
 * from requests, but are still checked strictly since they cannot be bound as parameters.
 * @throws InvalidArgumentError for anything but a plain identifier.
 */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new InvalidArgumentError(`${JSON.stringify(name)} is not a plain SQL identifier`);
  return `\`${name}\``;
}

const SELECT = /^SELECT\s/i;

/** Most statements one batched query carries. */
export const MAX_BATCH = 32;

/** A SELECT waiting for the end of the event-loop turn, to leave in one batch with the others. */
interface Queued {
  readonly sql: string;
  readonly params: (string | number)[];
  readonly resolve: (rows: RowDataPacket[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Runs parameterized SELECTs with a time limit on a mysql2 pool, and knows which are in flight.
 *
 * mysql2 reports a timed-out query but keeps waiting on its connection, which would then block
 * every later query on it; so a connection whose query timed out is destroyed and the pool opens
 * a new one. `drain()` waits for queries in flight (each bounded by its timeout), so closing the
 * pool never hangs on a connection to a server that stopped answering.
 *
 * On a pool `createMysqlPool` opened with `batchQueries` (and so `multipleStatements`), the SELECTs asked in one turn of the
 * event loop with the same timeout leave as one multi-statement query, up to {@link MAX_BATCH}:
 * one write, one wake-up of the server and one answer where each would have had its own, which
 * on a loaded machine cost more than the lookups themselves (docs/reliability.md). A batch that
 * fails for another reason than its timeout runs again one statement at a time, so each SELECT
 * gets its own rows or its own error.
 */
export class SqlClient {
  private readonly inFlight = new Set<Promise<unknown>>();
  /** SELECTs asked this turn, by timeout. */
  private queued = new Map<number, Queued[]>();
  private sent = 0;

  /** Send the SELECTs of one turn together: only on a pool opened for it (`multipleStatements`). */
  private readonly batch: boolean;

  constructor(
    /** The pool queries run on; its SELECTs are batched when `createMysqlPool` opened it with `batchQueries`. */
    readonly pool: Pool,
  ) {
    this.batch = batchesQueries(pool);
  }

  /** Statements sent to MySQL so far (a batch counts each of its statements). */
  get statements(): number {
    return this.sent;
  }

  /** Runs one SELECT; rejects with the driver's error. */
  select<T extends RowDataPacket>(
    sql: string | { sql: string; rowsAsArray: boolean },
    params: (string | number)[],
    timeoutMs: number,
  ): Promise<T[]> {
    const timeout = Math.max(1, Math.floor(timeoutMs));
    // Only plain SELECTs are batched: a batch may run again statement by statement.
    if (this.batch && typeof sql === 'string' && SELECT.test(sql)) return this.track(this.enqueue<T>(sql, params, timeout));
    return this.track(this.run<T>(typeof sql === 'string' ? { sql } : sql, params, timeout));
  }

  /** Runs a statement that returns no rows (DDL, INSERT, UPDATE, DELETE), never in a batch. */
  async execute(sql: string, params: (string | number)[], timeoutMs: number): Promise<void> {
    await this.track(this.run<RowDataPacket>({ sql }, params, Math.max(1, Math.floor(timeoutMs))));
  }

  /** Resolves once no query is in flight. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Queries in flight. */
  get running(): number {
    return this.inFlight.size;
  }

  private track<T>(running: Promise<T>): Promise<T> {
    this.inFlight.add(running);
    const forget = (): boolean => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  private enqueue<T extends RowDataPacket>(sql: string, params: (string | number)[], timeout: number): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      if (this.queued.size === 0) setImmediate(() => this.flush());
      const same = this.queued.get(timeout);
      const queued: Queued = { sql, params, resolve: resolve as (rows: RowDataPacket[]) => void, reject };
      if (same === undefined) this.queued.set(timeout, [queued]);
      else same.push(queued);
    });
  }

  /** Sends the turn's SELECTs: alone when alone, else in batches of at most {@link MAX_BATCH}. */
  private flush(): void {
    const queued = this.queued;
    this.queued = new Map();
    for (const [timeout, all] of queued) {
      for (let at = 0; at < all.length; at += MAX_BATCH) {
        const batch = all.slice(at, at + MAX_BATCH);
        if (batch.length === 1) this.runOne(batch[0] as Queued, timeout);
        else this.runBatch(batch, timeout);
      }
    }
  }

  private runOne({ sql, params, resolve, reject }: Queued, timeout: number): void {
    this.run<RowDataPacket>({ sql }, params, timeout).then(resolve, reject);
  }

  private runBatch(batch: readonly Queued[], timeout: number): void {
    this.onConnection(
      (failed) => batch.forEach((q) => q.reject(failed)),
      (connection, done) => {
        const sql = batch.map((q) => connection.format(q.sql, q.params)).join(';\n');
        this.sent += batch.length;
        connection.query<RowDataPacket[][]>({ sql, timeout }, (error, results) => {
          done(error);
          if (error === null && Array.isArray(results) && results.length === batch.length) {
            batch.forEach((q, i) => q.resolve(results[i] as RowDataPacket[]));
          } else if (error?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
            batch.forEach((q) => q.reject(error));
          } else {
            // One bad statement stops those after it: each runs again alone, for its own answer.
            for (const q of batch) this.runOne(q, timeout);
          }
        });
      },
    );
  }

  /**
   * One query on a connection of the pool, through mysql2's callback API (the pool's documented
   * `pool` property): its promise wrappers cost a promise and a captured stack per step, and a
   * cold lookup's query is most of its CPU.
   */
  private run<T extends RowDataPacket>(options: { sql: string; rowsAsArray?: boolean }, params: (string | number)[], timeout: number): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      this.onConnection(reject, (connection, done) => {
        this.sent += 1;
        connection.query<T[]>({ ...options, timeout, values: params }, (error, rows) => {
          done(error);
          if (error === null) resolve(rows);
          else reject(error);
        });
      });
    });
  }

  /**
   * Hands `use` a connection of the pool, and takes it back through `done`: destroyed after a
   * timeout, released otherwise. Waiting for a connection is bounded by the pool's connect
   * timeout and by the queries ahead.
   */
  private onConnection(failed: (error: Error) => void, use: (connection: PoolConnection, done: (error: QueryError | null) => void) => void): void {
    this.pool.pool.getConnection((error, connection) => {
      if (error) return failed(error);
      use(connection, (queryError) => {
        if (queryError?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
        else connection.release();
      });
    });
  }
}
