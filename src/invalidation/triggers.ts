import type { SqlClient } from '../auth/sql.js';
import { CHANGELOG_DDL, removeStatements, triggerNames, triggerStatements, WATCHER_DDL, type WatchedTables } from './change-log-sql.js';
import { checkTriggerPrivileges } from './privileges.js';

/**
 * What trigger installation needs: a SQL connection to the lookup database and the table and
 * column names, nothing else (no memcached, no collation probes). The command line passes a bare
 * pool's client and the config file's `lookups`; an AuthCache's `database` is one too.
 */
export interface TriggerTarget {
  readonly sql: SqlClient;
  readonly tables: WatchedTables;
}

/** Options of {@link installTriggers} and {@link removeTriggers}. */
export interface TriggerOptions {
  /** Milliseconds each statement may take. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * Installs the change log and the triggers on `grp`, `subscriber` and `address` (per the
 * configured table names), so a provisioning system that only writes SQL needs no change.
 * Idempotent; resolves with the trigger names. First checks that the triggers, once installed, can write the change log (see
 * {@link checkTriggerPrivileges}); change-log tables that exist are not created again, so a
 * re-install needs no `CREATE`.
 *
 * @throws TriggerPrivilegeError before anything is created, naming each missing privilege.
 * @throws InvalidArgumentError before anything is created, when a lookup table or column is missing.
 */
export async function installTriggers(target: TriggerTarget, options: TriggerOptions = {}): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const plan = await checkTriggerPrivileges(target.sql, target.tables, timeoutMs);
  const tables = [...(plan.existing.changelog ? [] : [CHANGELOG_DDL]), ...(plan.existing.watcher ? [] : [WATCHER_DDL])];
  for (const statement of [...tables, ...triggerStatements(target.tables)]) await target.sql.execute(statement, [], timeoutMs);
  return unquoted(target.tables);
}

/** Removes the triggers (the change log stays). Idempotent. Resolves with the trigger names. */
export async function removeTriggers(target: TriggerTarget, options: TriggerOptions = {}): Promise<string[]> {
  for (const statement of removeStatements(target.tables)) await target.sql.execute(statement, [], options.timeoutMs ?? 30_000);
  return unquoted(target.tables);
}

function unquoted(tables: WatchedTables): string[] {
  return triggerNames(tables).map((name) => name.replace(/`/g, ''));
}
