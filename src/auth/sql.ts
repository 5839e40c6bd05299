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

/** Runs a parameterized SELECT with a server-side time limit. */
export async function select<T extends RowDataPacket>(
  pool: Pool,
  sql: string,
  params: (string | number)[],
  timeoutMs: number,
): Promise<T[]> {
  const [rows] = await pool.query<T[]>({ sql, timeout: Math.max(1, Math.floor(timeoutMs)) }, params);
  return rows;
}
