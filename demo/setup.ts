/**
 * What the demo sets up before its phases: a throwaway database with Kamailio's real schema (made
 * as the tests and the soak make theirs, test/helpers/kamailio-db.ts, and dropped at the end), the
 * people and authring's change log triggers, and the cluster config file every node reads.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDRESS_DEFAULTS, CREDENTIALS_DEFAULTS, GROUP_DEFAULTS, installStatements, type AddressRow } from '../src/index.js';
import { createKamailioDatabase, type KamailioDatabase } from '../test/helpers/kamailio-db.js';
import { ha1Of, initialAddresses, type Population } from './population.js';

/** The gitignored directory scripts/services.sh keeps its state in. */
export const SERVICES_DIR = fileURLToPath(new URL('../.services/', import.meta.url));

/** What runs SQL: a mysql2 pool or connection, or a {@link KamailioDatabase}. */
export interface Sql {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}

async function insert(db: Sql, table: string, columns: string, rows: readonly (readonly unknown[])[]): Promise<void> {
  for (let at = 0; at < rows.length; at += 1000) {
    const batch = rows.slice(at, at + 1000);
    await db.query(`INSERT INTO ${table} (${columns}) VALUES ${batch.map((r) => `(${r.map(() => '?').join(', ')})`).join(', ')}`, batch.flat());
  }
}

/** Writes people's `subscriber` rows (first password) and `grp` rows; resolves with the grp rows written. */
export async function insertPeople(db: Sql, population: Population, indices: readonly number[]): Promise<number> {
  const people = indices.map((i) => population.person(i));
  await insert(db, 'subscriber', 'username, domain, password, ha1, ha1b', people.map((p) => [p.user, p.domain, p.password, ...Object.values(ha1Of(p.user, p.domain, p.password))]));
  const groups = people.flatMap((p) => p.groups.map((g) => [p.user, p.domain, g]));
  await insert(db, 'grp', 'username, domain, grp', groups);
  return groups.length;
}

/** Writes the address table's rows. */
export function insertAddresses(db: Sql, rows: readonly AddressRow[]): Promise<void> {
  return insert(db, 'address', 'grp, ip_addr, mask, port, tag', rows.map((a) => [a.group, a.ip, a.mask, a.port, a.tag]));
}

/**
 * Creates the demo database: Kamailio's tables, the subscribers with their `grp` rows, the address
 * table, and the change log triggers (`installStatements`, as `authring install-triggers` runs
 * them). Calls `onProgress` with subscribers written.
 */
export async function createDemoDatabase(population: Population, onProgress: (done: number) => void): Promise<{ db: KamailioDatabase; groupRows: number; addressRows: number }> {
  const db = await createKamailioDatabase();
  try {
    let groupRows = 0;
    for (let start = 0; start < population.size; start += 10_000) {
      const end = Math.min(population.size, start + 10_000);
      groupRows += await insertPeople(db, population, Array.from({ length: end - start }, (_, i) => start + i));
      onProgress(end);
    }
    await insertAddresses(db, initialAddresses());
    for (const statement of installStatements({ group: GROUP_DEFAULTS, credentials: CREDENTIALS_DEFAULTS, address: ADDRESS_DEFAULTS })) await db.query(statement);
    return { db, groupRows, addressRows: initialAddresses().length };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/**
 * Writes `.services/authring.demo.yaml` (the MySQL password beside it, mode 600) for the demo
 * database, with a fresh `key_prefix` so that nothing an earlier run cached is read.
 */
export async function writeConfig(db: KamailioDatabase, servers: readonly string[]): Promise<string> {
  const url = new URL(db.url);
  await mkdir(SERVICES_DIR, { recursive: true });
  await writeFile(path.join(SERVICES_DIR, 'authring.demo.password'), `${decodeURIComponent(url.password)}\n`, { mode: 0o600 });
  const file = path.join(SERVICES_DIR, 'authring.demo.yaml');
  const mysql = `{ host: ${url.hostname}, port: ${url.port || 3306}, user: ${decodeURIComponent(url.username)}, password_file: authring.demo.password, database: ${db.name}, connect_timeout_ms: 10000 }`;
  await writeFile(
    file,
    [
      '# Written by demo/demo.ts for one run (npm run demo); authring.example.yaml is the annotated reference.',
      `memcached: { servers: [${servers.map((s) => JSON.stringify(s)).join(', ')}] }`,
      `mysql: ${mysql}`,
      'cache:',
      `  key_prefix: "demo-${randomBytes(4).toString('hex')}:" # fresh per run; each phase adds its name, so every phase starts cold`,
      '  ttl_s: 300',
      '  negative_ttl_s: 60',
      '# Subscribers live in several domains (modparam("group", "use_domain", 1), modparam("auth_db", "use_domain", 1)).',
      'lookups: { group: { use_domain: true }, credentials: { use_domain: true } }',
      '',
    ].join('\n'),
  );
  return file;
}
