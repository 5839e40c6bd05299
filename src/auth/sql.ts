import type { Pool, RowDataPacket } from 'mysql2/promise';
import { InvalidArgumentError } from '../errors.js';

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

/**
 * Runs parameterized SELECTs with a time limit on a mysql2 pool, and knows which are in flight.
 *
 * mysql2 reports a timed-out query but keeps waiting on its connection, which would then block
 * every later query on it; so a connection whose query timed out is destroyed and the pool opens
 * a new one. `drain()` waits for queries in flight (each bounded by its timeout), so closing the
 * pool never hangs on a connection to a server that stopped answering.
 */
export class SqlClient {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    /** The pool queries run on. */
    readonly pool: Pool,
  ) {}

  /** Runs one SELECT; rejects with the driver's error. */
  select<T extends RowDataPacket>(
    sql: string | { sql: string; rowsAsArray: boolean },
    params: (string | number)[],
    timeoutMs: number,
  ): Promise<T[]> {
    const running = this.run<T>(typeof sql === 'string' ? { sql } : sql, params, Math.max(1, Math.floor(timeoutMs)));
    this.inFlight.add(running);
    const forget = (): boolean => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Runs a statement that returns no rows (DDL, INSERT, UPDATE, DELETE). */
  async execute(sql: string, params: (string | number)[], timeoutMs: number): Promise<void> {
    await this.select<RowDataPacket>(sql, params, timeoutMs);
  }

  /** Resolves once no query is in flight. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Queries in flight. */
  get running(): number {
    return this.inFlight.size;
  }

  /**
   * One query on a connection of the pool, through mysql2's callback API (the pool's documented
   * `pool` property): its promise wrappers cost a promise and a captured stack per step, and a
   * cold lookup's query is most of its CPU.
   */
  private run<T extends RowDataPacket>(options: { sql: string; rowsAsArray?: boolean }, params: (string | number)[], timeout: number): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      // Waiting for a connection is bounded by the pool's connect timeout and by the queries ahead.
      this.pool.pool.getConnection((failed, connection) => {
        if (failed) return reject(failed);
        connection.query<T[]>({ ...options, timeout, values: params }, (error, rows) => {
          if (error === null) {
            connection.release();
            return resolve(rows);
          }
          if (error.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
          else connection.release();
          reject(error);
        });
      });
    });
  }
}
