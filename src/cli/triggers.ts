import type { RowDataPacket } from 'mysql2/promise';
import type { AuthCache } from '../auth/auth-cache.js';

/** The names of the triggers that exist in the lookup database now. */
export async function existingTriggers(auth: AuthCache, timeoutMs: number): Promise<Set<string>> {
  const rows = await auth.sql.select<RowDataPacket>('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()', [], timeoutMs);
  return new Set(rows.map((row) => String(row['name'])));
}
