import { identifier } from '../auth/sql.js';
import type { AddressTableColumns, CredentialsTable, GroupTable } from '../auth/tables.js';

/** The table the triggers write every change of `grp`, `subscriber` and `address` to. */
export const CHANGELOG_TABLE = 'authring_changelog';
/** Each watcher's last applied change, so a restarted watcher resumes where it stopped. */
export const WATCHER_TABLE = 'authring_watcher';

/** The tables the triggers watch. */
export interface WatchedTables {
  readonly group: GroupTable;
  readonly credentials: CredentialsTable;
  readonly address: AddressTableColumns;
}

type Operation = 'INSERT' | 'UPDATE' | 'DELETE';
const OPERATIONS: ReadonlyArray<[Operation, string]> = [
  ['INSERT', 'ai'],
  ['UPDATE', 'au'],
  ['DELETE', 'ad'],
];

/**
 * The SQL statements that create the change log, the watcher table and the triggers; idempotent
 * (each trigger is dropped and created again). Names are copied byte for byte (`utf8mb4_bin`), so
 * the watcher derives cache keys with the same collation rules as the lookups.
 */
export function installStatements(tables: WatchedTables): string[] {
  return [CHANGELOG_DDL, WATCHER_DDL, ...triggerStatements(tables)];
}

/** The statement that creates the change log, if it does not exist. */
export const CHANGELOG_DDL = `CREATE TABLE IF NOT EXISTS ${CHANGELOG_TABLE} (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tbl VARCHAR(16) NOT NULL,
  username VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  domain VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  grp VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  changed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY changed_at_idx (changed_at)
)`;

/** The statement that creates the watcher table, if it does not exist. */
export const WATCHER_DDL = `CREATE TABLE IF NOT EXISTS ${WATCHER_TABLE} (
  watcher_id VARCHAR(64) NOT NULL PRIMARY KEY,
  last_id BIGINT UNSIGNED NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
)`;

/** Each trigger dropped if it exists and created again. */
export function triggerStatements(tables: WatchedTables): string[] {
  return triggers(tables).flatMap(({ name, sql }) => [`DROP TRIGGER IF EXISTS ${name}`, sql]);
}

/** The statements that remove the triggers (the change log and watcher tables stay, for audit). */
export function removeStatements(tables: WatchedTables): string[] {
  return triggers(tables).map(({ name }) => `DROP TRIGGER IF EXISTS ${name}`);
}

/** Trigger names authring owns. */
export function triggerNames(tables: WatchedTables): string[] {
  return triggers(tables).map(({ name }) => name);
}

function triggers(tables: WatchedTables): Array<{ name: string; sql: string }> {
  const g = tables.group;
  const c = tables.credentials;
  const a = tables.address;
  const groupRow = (row: 'NEW' | 'OLD'): string =>
    `('grp', ${row}.${identifier(g.userColumn)}, ${row}.${identifier(g.domainColumn)}, ${row}.${identifier(g.groupColumn)})`;
  const subscriberRow = (row: 'NEW' | 'OLD'): string =>
    `('subscriber', ${row}.${identifier(c.userColumn)}, ${row}.${identifier(c.domainColumn)}, NULL)`;
  const rowsFor = (operation: Operation, row: (r: 'NEW' | 'OLD') => string): string =>
    operation === 'INSERT' ? row('NEW') : operation === 'DELETE' ? row('OLD') : `${row('OLD')}, ${row('NEW')}`;
  const make = (table: string, operation: Operation, suffix: string, values: string): { name: string; sql: string } => {
    const name = identifier(`authring_${table}_${suffix}`.slice(0, 64));
    return {
      name,
      sql:
        `CREATE TRIGGER ${name} AFTER ${operation} ON ${identifier(table)} FOR EACH ROW ` +
        `INSERT INTO ${CHANGELOG_TABLE} (tbl, username, domain, grp) VALUES ${values}`,
    };
  };
  return OPERATIONS.flatMap(([operation, suffix]) => [
    make(g.table, operation, suffix, rowsFor(operation, groupRow)),
    make(c.table, operation, suffix, rowsFor(operation, subscriberRow)),
    make(a.table, operation, suffix, `('address', NULL, NULL, NULL)`),
  ]);
}
