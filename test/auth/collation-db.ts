/**
 * Kamailio databases whose name columns (`grp.username/domain/grp`, `subscriber.username/domain`)
 * use a chosen character set and collation, and MySQL's own answer to a lookup on them: the
 * oracle the key tests compare authring with.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { createKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';

/** A column collation the tests run under, with its character set. */
export interface ColumnCollation {
  readonly charset: string;
  readonly collation: string;
}

/** The three collations issue 11 names: Debian's default, a binary one, and an 8-bit one. */
export const TEST_COLLATIONS: readonly ColumnCollation[] = [
  { charset: 'utf8mb4', collation: 'utf8mb4_general_ci' },
  { charset: 'utf8mb4', collation: 'utf8mb4_bin' },
  { charset: 'latin1', collation: 'latin1_swedish_ci' },
];

/** Kamailio's schema with every name column of `grp` and `subscriber` in `collation`. */
export async function createCollationDatabase({ charset, collation }: ColumnCollation): Promise<KamailioDatabase> {
  const db = await createKamailioDatabase();
  try {
    const column = (name: string): string => `MODIFY ${name} VARCHAR(64) CHARACTER SET ${charset} COLLATE ${collation} NOT NULL DEFAULT ''`;
    await db.query(`ALTER TABLE grp ${['username', 'domain', 'grp'].map(column).join(', ')}`);
    await db.query(`ALTER TABLE subscriber ${['username', 'domain'].map(column).join(', ')}`);
    return db;
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** MySQL's "Illegal mix of collations": the name cannot be compared with the column at all. */
const ILLEGAL_MIX = 1267;

/**
 * MySQL's own answer to `is_user_in` (use_domain off): is there a `grp` row? A name the column's
 * character set cannot hold makes MySQL refuse the comparison (error 1267); no stored row can
 * equal it, so the answer is no.
 */
export async function mysqlIsUserInGroup(db: KamailioDatabase, user: string, group: string): Promise<boolean> {
  try {
    const rows = await db.query<RowDataPacket[]>('SELECT 1 FROM grp WHERE username = ? AND grp = ? LIMIT 1', [user, group]);
    return rows.length > 0;
  } catch (error) {
    if ((error as { errno?: unknown }).errno === ILLEGAL_MIX) return false;
    throw error;
  }
}

/** MySQL's own answer to auth_db's query (use_domain off): the first row's `ha1`, if any. */
export async function mysqlHa1(db: KamailioDatabase, user: string): Promise<string | undefined> {
  try {
    const rows = await db.query<RowDataPacket[]>('SELECT ha1 FROM subscriber WHERE username = ?', [user]);
    return rows[0] === undefined ? undefined : String(rows[0]['ha1']);
  } catch (error) {
    if ((error as { errno?: unknown }).errno === ILLEGAL_MIX) return undefined;
    throw error;
  }
}
