/**
 * The demo database, `authring_demo`: dropped and recreated on every run (only that database),
 * filled with Kamailio's real schema from kamailio-mysql-modules' create scripts, then with the
 * demo population.
 */
import mysql, { type Connection } from 'mysql2/promise';
import { loadKamailioSchema } from '../tools/kamailio-schema.js';
import type { Population } from './population.js';
import type { DemoServices } from './services.js';

/** The one database the demo creates and drops. */
export const DEMO_DATABASE = 'authring_demo';

/** Rows written per table. */
export interface DatabaseSummary {
  readonly subscribers: number;
  readonly groupRows: number;
  readonly addressRows: number;
}

const BATCH = 500;

async function insertRows(connection: Connection, table: string, columns: readonly string[], rows: readonly (readonly (string | number | null)[])[]): Promise<void> {
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    await connection.query(
      `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES ${batch.map(() => placeholders).join(', ')}`,
      batch.flat(),
    );
  }
}

/**
 * Recreates {@link DEMO_DATABASE} from the schema files and writes the population.
 *
 * @param schemaFiles Kamailio's create scripts (see tools/kamailio-schema.ts).
 */
export async function createDemoDatabase(services: DemoServices, schemaFiles: readonly string[], population: Population): Promise<DatabaseSummary> {
  const { host, port, user, password } = services.mysql;
  const connection = await mysql.createConnection({ host, port, user, password, multipleStatements: true, connectTimeout: 5000, charset: 'utf8mb4' });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${DEMO_DATABASE}\``);
    await connection.query(`CREATE DATABASE \`${DEMO_DATABASE}\``);
    await connection.query(`USE \`${DEMO_DATABASE}\``);
    await loadKamailioSchema(connection, schemaFiles, DEMO_DATABASE);
    const { subscribers, addresses } = population;
    await insertRows(connection, 'subscriber', ['username', 'domain', 'password', 'ha1', 'ha1b'], subscribers.map((s) => [s.username, s.domain, s.password, s.ha1, s.ha1b]));
    const groupRows = subscribers.flatMap((s) => s.groups.map((g) => [s.username, s.domain, g]));
    await insertRows(connection, 'grp', ['username', 'domain', 'grp'], groupRows);
    await insertRows(connection, 'address', ['grp', 'ip_addr', 'mask', 'port', 'tag'], addresses.map((a) => [a.grp, a.ipAddr, a.mask, a.port, a.tag]));
    return { subscribers: subscribers.length, groupRows: groupRows.length, addressRows: addresses.length };
  } finally {
    await connection.end();
  }
}
