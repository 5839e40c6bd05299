import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { identifier, type SqlClient } from '../auth/sql.js';
import { InvalidArgumentError, TriggerPrivilegeError, type MissingPrivilege } from '../errors.js';
import { CHANGELOG_TABLE, WATCHER_TABLE, type WatchedTables } from './change-log-sql.js';

/** What the check found besides privileges: who installs, and which change-log tables exist. */
export interface TriggerInstallPlan {
  /** The installing account, `user@host`: the definer of the triggers. */
  readonly definer: string;
  /** The database the triggers go into. */
  readonly database: string;
  /** Whether `authring_changelog` and `authring_watcher` exist already (then they are not created again). */
  readonly existing: { readonly changelog: boolean; readonly watcher: boolean };
}

/** MySQL's error numbers for the answers the probes expect. */
const ER_TABLEACCESS_DENIED = 1142;
const ER_COLUMNACCESS_DENIED = 1143;
const ER_BAD_FIELD = 1054;
const ER_NO_SUCH_TABLE = 1146;

/**
 * Checks, before anything is created, that the change-log triggers can be installed and, above
 * all, that once installed they can write the change log. A trigger runs with its definer's
 * privileges (the installing account, without its roles: MariaDB does not activate a definer's
 * roles for a trigger), so without them every INSERT, UPDATE and DELETE on the lookup tables, by
 * anyone, would fail. The definer needs:
 *
 * - `INSERT` on `authring_changelog` (what every trigger does),
 * - `SELECT` on the `grp` and `subscriber` columns the triggers read (`NEW.col`, `OLD.col`),
 * - `TRIGGER` on `grp`, `subscriber` and `address` (checked again each time a trigger fires);
 *
 * and the installer needs `CREATE` for a change-log table that does not exist yet.
 *
 * `INSERT` and `SELECT` are probed with statements that touch no row (`… WHERE 1 = 0`), so the
 * server's own privilege rules decide (global, database, table and column grants). `TRIGGER` and
 * `CREATE` cannot be probed without creating something, so they are read from
 * information_schema's privilege tables (the account's own grants, which is what a definer has).
 * The probes run on one connection with `SET ROLE NONE`, which is then closed.
 *
 * @throws TriggerPrivilegeError listing every missing privilege.
 * @throws InvalidArgumentError when a lookup table or one of its configured columns does not exist.
 */
export async function checkTriggerPrivileges(sql: SqlClient, tables: WatchedTables, timeoutMs: number): Promise<TriggerInstallPlan> {
  const connection = await sql.pool.getConnection();
  try {
    const run = async (text: string, values: unknown[] = []): Promise<RowDataPacket[]> => {
      const [rows] = await connection.query<RowDataPacket[]>({ sql: text, values, timeout: timeoutMs });
      return rows;
    };
    const [who] = await run('SELECT CURRENT_USER() AS definer, DATABASE() AS db');
    const definer = String(who?.['definer'] ?? '');
    const database = String(who?.['db'] ?? '');
    // Roles the session has are not the definer's when a trigger fires: probe without them.
    await run('SET ROLE NONE').catch(() => undefined); // MySQL 5.7 has no roles
    const qualified = (table: string): string => `${identifier(database)}.${identifier(table)}`;
    const missing: MissingPrivilege[] = [];
    const granted = grantChecker(run, definer, database);

    const read = [
      { table: tables.group.table, columns: [tables.group.userColumn, tables.group.domainColumn, tables.group.groupColumn] },
      { table: tables.credentials.table, columns: [tables.credentials.userColumn, tables.credentials.domainColumn] },
    ];
    for (const { table, columns } of read) {
      const denied = await probe(connection, `SELECT ${columns.map(identifier).join(', ')} FROM ${identifier(table)} WHERE 1 = 0`, timeoutMs, database, table);
      if (denied) missing.push({ privilege: 'SELECT', table: qualified(table), columns, why: 'the triggers read these columns' });
    }
    const subjects = [tables.group.table, tables.credentials.table, tables.address.table];
    for (const table of [...new Set(subjects)]) {
      if (!(await granted('TRIGGER', table))) missing.push({ privilege: 'TRIGGER', table: qualified(table), why: 'to create the triggers, and for them to fire' });
      else if (!(await tableVisible(run, table))) throw new InvalidArgumentError(`table ${qualified(table)} does not exist: install-triggers watches the configured lookup tables`);
    }

    const insert = `INSERT INTO ${CHANGELOG_TABLE} (tbl, username, domain, grp) SELECT NULL, NULL, NULL, NULL FROM DUAL WHERE 1 = 0`;
    const changelog = await probeInsert(connection, insert, timeoutMs);
    if (changelog === 'denied') missing.push({ privilege: 'INSERT', table: qualified(CHANGELOG_TABLE), why: 'every trigger writes the change log' });
    const existing = {
      changelog: changelog === 'exists' || (changelog === 'denied' && (await tableVisible(run, CHANGELOG_TABLE))),
      watcher: await tableVisible(run, WATCHER_TABLE),
    };
    for (const table of [CHANGELOG_TABLE, WATCHER_TABLE] as const) {
      const exists = table === CHANGELOG_TABLE ? existing.changelog : existing.watcher;
      if (!exists && !(await granted('CREATE', table))) {
        // Without any privilege on a table this account cannot tell whether it exists.
        missing.push({ privilege: 'CREATE', table: qualified(table), why: 'to create it: it does not exist, or this account has no privilege on it' });
      }
    }
    if (missing.length > 0) throw new TriggerPrivilegeError(definer, missing);
    return { definer, database, existing };
  } finally {
    // The connection runs without its roles now: it must not go back to the pool.
    connection.destroy();
  }
}

type Run = (text: string, values?: unknown[]) => Promise<RowDataPacket[]>;

/**
 * Whether the definer holds `privilege` on `table` of `database` through its own grants: global,
 * on the database (a grant's database may be a `LIKE` pattern, `kamailio\_%`), or on the table.
 */
function grantChecker(run: Run, definer: string, database: string): (privilege: string, table: string) => Promise<boolean> {
  const at = definer.lastIndexOf('@');
  const grantee = `'${definer.slice(0, at).replace(/'/g, "''")}'@'${definer.slice(at + 1).replace(/'/g, "''")}'`;
  return async (privilege, table) => {
    const rows = await run(
      `SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ? AND PRIVILEGE_TYPE = ?
       UNION ALL SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ? AND PRIVILEGE_TYPE = ? AND ? LIKE TABLE_SCHEMA
       UNION ALL SELECT 1 FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ? AND PRIVILEGE_TYPE = ? AND TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [grantee, privilege, grantee, privilege, database, grantee, privilege, database, table],
    );
    return rows.length > 0;
  };
}

/** Whether a table of the current database is visible (it exists and the account has some privilege on it). */
async function tableVisible(run: Run, table: string): Promise<boolean> {
  const rows = await run('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table]);
  return rows.length > 0;
}

/** Runs a probe that reads no row; `true` when it is denied. A missing table or column is thrown. */
async function probe(connection: PoolConnection, text: string, timeoutMs: number, database: string, table: string): Promise<boolean> {
  try {
    await connection.query({ sql: text, timeout: timeoutMs });
    return false;
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    if (errno === ER_TABLEACCESS_DENIED || errno === ER_COLUMNACCESS_DENIED) return true;
    if (errno === ER_NO_SUCH_TABLE) throw new InvalidArgumentError(`table \`${database}\`.\`${table}\` does not exist: install-triggers watches the configured lookup tables`);
    if (errno === ER_BAD_FIELD) throw new InvalidArgumentError(`table \`${database}\`.\`${table}\`: ${(error as Error).message} (check lookups.* in the config)`);
    throw error;
  }
}

/** The INSERT probe: denied, allowed on an existing table, or allowed but the table is missing. */
async function probeInsert(connection: PoolConnection, text: string, timeoutMs: number): Promise<'denied' | 'exists' | 'absent'> {
  try {
    await connection.query({ sql: text, timeout: timeoutMs });
    return 'exists';
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    if (errno === ER_TABLEACCESS_DENIED || errno === ER_COLUMNACCESS_DENIED) return 'denied';
    if (errno === ER_NO_SUCH_TABLE) return 'absent';
    throw error;
  }
}
