/**
 * Before the phases: a throwaway database with Kamailio's real schema (made as the tests make
 * theirs, test/helpers/kamailio-db.ts), its rows written as statements the churn reuses, authring's
 * change log triggers, and the cluster config file every node reads.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDRESS_DEFAULTS, CREDENTIALS_DEFAULTS, GROUP_DEFAULTS, installStatements, type AddressRow } from '../src/index.js';
import { createKamailioDatabase, type KamailioDatabase } from '../test/helpers/kamailio-db.js';
import type { DemoOptions } from './options.js';
import { addressTable, ha1Of, passwordOf, type Population } from './population.js';

/** The gitignored directory scripts/services.sh keeps its state in. */
export const SERVICES_DIR = fileURLToPath(new URL('../.services/', import.meta.url));

/** One SQL statement and its parameters. */
export type Statement = readonly [string, readonly unknown[]];

/** INSERTs of `rows` into `table`, 1,000 rows a statement. */
function inserts(table: string, columns: string, rows: readonly (readonly unknown[])[]): Statement[] {
  return Array.from({ length: Math.ceil(rows.length / 1000) }, (_, n) => {
    const batch = rows.slice(n * 1000, n * 1000 + 1000);
    return [`INSERT INTO ${table} (${columns}) VALUES ${batch.map((r) => `(${r.map(() => '?').join(', ')})`).join(', ')}`, batch.flat()];
  });
}

/** People's `subscriber` rows (their password after `version(i)` changes; the first by default) and their `grp` rows. */
export function peopleRows(population: Population, indices: readonly number[], version = (_i: number): number => 0): Statement[] {
  const people = indices.map((i) => ({ ...population.person(i), password: passwordOf(i, version(i)) }));
  return [
    ...inserts('subscriber', 'username, domain, password, ha1, ha1b', people.map((p) => [p.user, p.domain, p.password, ...Object.values(ha1Of(p.user, p.domain, p.password))])),
    ...inserts('grp', 'username, domain, grp', people.flatMap((p) => p.groups.map((g) => [p.user, p.domain, g]))),
  ];
}

/** The address table's rows. */
export function addressRows(rows: readonly AddressRow[]): Statement[] {
  return inserts('address', 'grp, ip_addr, mask, port, tag', rows.map((a) => [a.group, a.ip, a.mask, a.port, a.tag]));
}

/** Writes people's `subscriber` and `grp` rows with their first password (bench/scenarios/auth.ts too). */
export async function insertPeople(db: Pick<KamailioDatabase, 'query'>, population: Population, indices: readonly number[]): Promise<void> {
  for (const [sql, values] of peopleRows(population, indices)) await db.query(sql, values);
}

/** Creates the demo database, triggers as `authring install-triggers` installs them; `onProgress` gets subscribers written. */
export async function createDemoDatabase(population: Population, onProgress: (done: number) => void): Promise<KamailioDatabase> {
  const db = await createKamailioDatabase();
  try {
    for (let start = 0; start < population.size; start += 10_000) {
      const end = Math.min(population.size, start + 10_000);
      await insertPeople(db, population, Array.from({ length: end - start }, (_, i) => start + i));
      onProgress(end);
    }
    for (const [sql, values] of addressRows(addressTable())) await db.query(sql, values);
    for (const statement of installStatements({ group: GROUP_DEFAULTS, credentials: CREDENTIALS_DEFAULTS, address: ADDRESS_DEFAULTS })) await db.query(statement);
    return db;
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/**
 * Writes `.services/authring.<name>.yaml` (the MySQL password beside it, mode 600) for the demo
 * database, with a fresh `key_prefix` so that nothing an earlier run cached is read. Its own name
 * per program, so that the bench and a demo running at once do not send each other's nodes to a
 * database the other drops.
 */
export async function writeConfig(db: KamailioDatabase, servers: readonly string[], name = 'demo'): Promise<string> {
  const url = new URL(db.url);
  await mkdir(SERVICES_DIR, { recursive: true });
  await writeFile(path.join(SERVICES_DIR, `authring.${name}.password`), `${decodeURIComponent(url.password)}\n`, { mode: 0o600 });
  const file = path.join(SERVICES_DIR, `authring.${name}.yaml`);
  const lines = [
    '# Written by demo/demo.ts for one run (npm run demo); authring.example.yaml is the annotated reference.',
    `memcached: { servers: ${JSON.stringify(servers)} }`,
    `mysql: { host: ${url.hostname}, port: ${url.port || 3306}, user: ${decodeURIComponent(url.username)}, password_file: authring.${name}.password, database: ${db.name}, connect_timeout_ms: 10000 }`,
    `cache: { key_prefix: "demo-${randomBytes(4).toString('hex')}:", ttl_s: 300, negative_ttl_s: 60 } # a fresh prefix per run; each phase adds its name, so every phase starts cold`,
    '# Subscribers live in several domains (modparam("group", "use_domain", 1), modparam("auth_db", "use_domain", 1)).',
    'lookups: { group: { use_domain: true }, credentials: { use_domain: true } }',
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** What every phase shares: the sizes and rates of the command line, the database and the config file. */
export interface PhaseSetup extends Pick<DemoOptions, 'nodes' | 'requests' | 'rate' | 'concurrency' | 'zipf' | 'churn' | 'htableTtl'> {
  readonly configPath: string;
  readonly db: KamailioDatabase;
  /** The people (population.ts), from which every process derives them; the seed seeds everything else too. */
  readonly population: { readonly size: number; readonly seed: number };
}
