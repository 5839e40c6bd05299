/**
 * Kamailio's real MySQL schema, as the Debian package kamailio-mysql-modules installs it: finding
 * the create scripts (`dpkg -L`) and loading the ones authring's lookups read (`version`, `grp`,
 * `re_grp`, `subscriber`, `trusted`, `address`) into a database. Never a hand-copied schema: the
 * tests, the Kamailio differential harness and the demo all load these same files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection, Pool } from 'mysql2/promise';

/** The Kamailio schema files authring loads, in load order. */
export const KAMAILIO_SCHEMA_FILES = [
  'standard-create.sql', // the `version` table the other scripts insert into
  'group-create.sql',
  'auth_db-create.sql',
  'permissions-create.sql',
] as const;

/** The Debian package that installs {@link KAMAILIO_SCHEMA_FILES}. */
export const KAMAILIO_SCHEMA_PACKAGE = 'kamailio-mysql-modules';

/** One line saying what to install when {@link findKamailioSchemaFiles} finds nothing. */
export const KAMAILIO_SCHEMA_HINT =
  `Kamailio's MySQL schema files (${KAMAILIO_SCHEMA_FILES.join(', ')}) are not installed: ` +
  `install the Debian package "${KAMAILIO_SCHEMA_PACKAGE}" ` +
  `(\`sudo apt-get install ${KAMAILIO_SCHEMA_PACKAGE}\`, or \`bash scripts/services.sh --interop\`)`;

/**
 * Finds the schema files through `dpkg -L kamailio-mysql-modules`.
 *
 * @returns absolute paths in {@link KAMAILIO_SCHEMA_FILES} order, or `undefined` when the
 *   package (or one of the files) is not installed, or there is no dpkg.
 */
export function findKamailioSchemaFiles(): string[] | undefined {
  const listing = spawnSync('dpkg', ['-L', KAMAILIO_SCHEMA_PACKAGE], { encoding: 'utf8', timeout: 10_000 });
  if (listing.error !== undefined || listing.status !== 0) return unpackedSchemaFiles();
  const installed = listing.stdout.split('\n').map((line) => line.trim());
  const found: string[] = [];
  for (const name of KAMAILIO_SCHEMA_FILES) {
    const file = installed.find((p) => p.endsWith(`/mysql/${name}`));
    if (file === undefined || !existsSync(file)) return undefined;
    found.push(file);
  }
  return found;
}

/**
 * The same package's files unpacked (not installed) by `scripts/services.sh --schema` into
 * `.services/kamailio-schema/`, for the demo on a machine without the package.
 */
function unpackedSchemaFiles(): string[] | undefined {
  const dir = fileURLToPath(new URL('../.services/kamailio-schema/usr/share/kamailio/mysql/', import.meta.url));
  const files = KAMAILIO_SCHEMA_FILES.map((name) => join(dir, name));
  return files.every((file) => existsSync(file)) ? files : undefined;
}

/**
 * Runs each create script on `db`, in order. The scripts hold several statements each, so `db`
 * must have been opened with `multipleStatements: true`; it must already use the target
 * (empty) database.
 *
 * @param db a mysql2 pool or connection on the database to fill.
 * @param files the scripts, normally {@link findKamailioSchemaFiles}'s answer.
 * @param database the database's name, for error messages.
 * @throws Error naming the file and database when a script fails.
 */
export async function loadKamailioSchema(db: Pool | Connection, files: readonly string[], database: string): Promise<void> {
  for (const file of files) {
    const sql = await readFile(file, 'utf8');
    try {
      await db.query(sql);
    } catch (error) {
      throw new Error(`loading ${file} into ${database} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
