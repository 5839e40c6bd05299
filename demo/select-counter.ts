/**
 * Counts SQL SELECTs where they cost: on the MySQL server. MariaDB's `Com_select` status counter
 * counts every SELECT the server ran, from every client (`SHOW STATUS` itself is not counted), so
 * anything else using the same server meanwhile is included too.
 */
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import type { DemoServices } from './services.js';

/** A connection that reads the server's global `Com_select`. */
export class SelectCounter {
  private constructor(private readonly connection: Connection) {}

  /** Connects as the demo's MySQL login. */
  static async open(services: DemoServices): Promise<SelectCounter> {
    const { host, port, user, password } = services.mysql;
    return new SelectCounter(await mysql.createConnection({ host, port, user, password, connectTimeout: 5000 }));
  }

  /** The server's SELECT count since it started. */
  async read(): Promise<number> {
    const [rows] = await this.connection.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Com_select'");
    const value = Number(rows[0]?.['Value']);
    if (!Number.isFinite(value)) throw new Error('the MySQL server did not report Com_select');
    return value;
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.connection.end();
  }
}
