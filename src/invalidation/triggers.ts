import type { AuthCache } from '../auth/auth-cache.js';
import { installStatements, removeStatements, triggerNames } from './change-log-sql.js';

/**
 * Installs the change log and the triggers on `grp`, `subscriber` and `address` (per the
 * configured table names), so a provisioning system that only writes SQL needs no change.
 * Idempotent. Resolves with the trigger names.
 */
export async function installTriggers(auth: AuthCache): Promise<string[]> {
  for (const statement of installStatements(auth.tables)) await auth.sql.execute(statement, [], 30_000);
  return triggerNames(auth.tables).map((name) => name.replace(/`/g, ''));
}

/** Removes the triggers (the change log stays). Idempotent. Resolves with the trigger names. */
export async function removeTriggers(auth: AuthCache): Promise<string[]> {
  for (const statement of removeStatements(auth.tables)) await auth.sql.execute(statement, [], 30_000);
  return triggerNames(auth.tables).map((name) => name.replace(/`/g, ''));
}
