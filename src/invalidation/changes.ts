import type { RowDataPacket } from 'mysql2/promise';
import type { AuthCache } from '../auth/auth-cache.js';
import type { SqlClient } from '../auth/sql.js';
import { CHANGELOG_TABLE } from './change-log-sql.js';

/** One row of the change log. */
export interface Change {
  readonly id: number;
  /** `grp`, `subscriber` or `address`. */
  readonly tbl: string;
  readonly username: string | null;
  readonly domain: string | null;
  readonly grp: string | null;
  /** Milliseconds since the row changed. */
  readonly lagMs: number;
}

/** Reads change log rows matching `where` (SQL after WHERE, with `?` parameters). */
export async function readChanges(sql: SqlClient, where: string, params: (string | number)[]): Promise<Change[]> {
  const rows = await sql.select<RowDataPacket>(
    `SELECT id, tbl, username, domain, grp, TIMESTAMPDIFF(MICROSECOND, changed_at, NOW(3)) / 1000 AS lag FROM ${CHANGELOG_TABLE} WHERE ${where}`,
    params,
    5000,
  );
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
  return rows.map((row) => ({
    id: Number(row['id']),
    tbl: String(row['tbl']),
    username: text(row['username']),
    domain: text(row['domain']),
    grp: text(row['grp']),
    lagMs: Number(row['lag']),
  }));
}

/** The cache keys (current generation) of the answers the changes can alter. */
export async function keysOfChanges(auth: AuthCache, changes: readonly Change[]): Promise<string[]> {
  const keys = new Set<string>();
  for (const change of changes) {
    const user = change.username ?? '';
    const domain = change.domain ?? '';
    if (change.tbl === 'address') keys.add(await auth.addressKey());
    else if (change.tbl === 'subscriber') {
      const { credentials } = await auth.keysFor({ user, domain });
      if (credentials !== undefined) keys.add(credentials);
    }
    else if (change.tbl === 'grp') {
      const { group } = await auth.keysFor({ user, domain, group: change.grp ?? '' });
      if (group !== undefined) keys.add(group);
    }
  }
  return [...keys];
}

/** Seconds of slack before a server was marked down: a change just before may not have reached it. */
const RECOVERY_MARGIN_S = 5;

/**
 * Makes the cluster's recovery consult the change log: before a memcached server that was down
 * takes traffic again, the keys of every change logged since shortly before it went down are
 * deleted from it. This covers changes applied by any watcher or process while this process could
 * not reach the server (its own outage journal only knows its own writes).
 */
export function useChangeLogForRecovery(auth: AuthCache): void {
  auth.cluster.setRecoverySource(async (downSince) => {
    let changes: Change[];
    try {
      changes = await readChanges(auth.database.sql, 'changed_at >= FROM_UNIXTIME(?)', [Math.floor(downSince / 1000) - RECOVERY_MARGIN_S]);
    } catch (error) {
      // Without triggers there is no change log, hence nothing to replay.
      if ((error as { code?: unknown }).code === 'ER_NO_SUCH_TABLE') return [];
      throw error;
    }
    return keysOfChanges(auth, changes);
  });
}
