import type { RowDataPacket } from 'mysql2/promise';
import type { SqlClient } from '../auth/sql.js';

/** The names of the triggers and of the tables that exist in the lookup database now. */
export async function existingObjects(sql: SqlClient, timeoutMs: number): Promise<{ triggers: Set<string>; tables: Set<string> }> {
  const triggers = await sql.select<RowDataPacket>('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()', [], timeoutMs);
  const tables = await sql.select<RowDataPacket>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()', [], timeoutMs);
  return { triggers: new Set(triggers.map((row) => String(row['name']))), tables: new Set(tables.map((row) => String(row['name']))) };
}
