/**
 * What the demo sets up before its phases: the services it needs (as scripts/services.sh runs
 * them), the database `authring_demo` with Kamailio's real schema, the people and authring's change
 * log triggers, and the cluster config file every node reads. Only `authring_demo` is ever dropped.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql, { type Connection } from 'mysql2/promise';
import { ADDRESS_DEFAULTS, CREDENTIALS_DEFAULTS, GROUP_DEFAULTS, installStatements, type AddressRow } from '../src/index.js';
import { benchServers } from '../bench/config.js';
import { loadKamailioSchema } from '../tools/kamailio-schema.js';
import { canConnect } from '../tools/tcp.js';
import { ha1Of, initialAddresses, type Population } from './population.js';

/** The one database the demo creates and drops. */
export const DEMO_DATABASE = 'authring_demo';
/** The gitignored directory scripts/services.sh keeps its state in. */
export const SERVICES_DIR = fileURLToPath(new URL('../.services/', import.meta.url));

/** MySQL's address and login, as scripts/services.sh sets it up. */
export interface MysqlLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database?: string;
}

/** Where the demo's services are: `AUTHRING_MARIADB_PORT` and the memcached variables bench/config.ts reads. */
export function demoServices(env = process.env): { mysql: MysqlLogin; memcached: string[] } {
  const port = Number(env.AUTHRING_MARIADB_PORT || 3306);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`AUTHRING_MARIADB_PORT must be a port number, got "${env.AUTHRING_MARIADB_PORT}"`);
  return { mysql: { host: '127.0.0.1', port, user: 'authring', password: 'authring' }, memcached: benchServers(env) };
}

/** The services that do not accept connections, as `what host:port`. */
export async function unreachable(services: ReturnType<typeof demoServices>): Promise<string[]> {
  const targets = [`MariaDB ${services.mysql.host}:${services.mysql.port}`, ...services.memcached.map((s) => `memcached ${s}`)];
  const up = await Promise.all(targets.map((t) => { const [host = '', port = ''] = t.split(' ')[1]?.split(':') ?? []; return canConnect(host, Number(port), 2000); }));
  return targets.filter((_, i) => !up[i]);
}

/** A connection to the demo database (or to the server, before it exists). */
export function connect(login: MysqlLogin, database?: string): Promise<Connection> {
  return mysql.createConnection({ ...login, database, multipleStatements: true, connectTimeout: 5000, charset: 'utf8mb4' });
}

async function insert(db: Connection, table: string, columns: string, rows: readonly (readonly unknown[])[]): Promise<void> {
  for (let at = 0; at < rows.length; at += 1000) {
    const batch = rows.slice(at, at + 1000);
    await db.query(`INSERT INTO ${table} (${columns}) VALUES ${batch.map((r) => `(${r.map(() => '?').join(', ')})`).join(', ')}`, batch.flat());
  }
}

/** Writes people's `subscriber` rows (first password) and `grp` rows; resolves with the grp rows written. */
export async function insertPeople(db: Connection, population: Population, indices: readonly number[]): Promise<number> {
  const people = indices.map((i) => population.person(i));
  const subscribers = people.map((p) => [p.user, p.domain, p.password, ...Object.values(ha1Of(p.user, p.domain, p.password))]);
  await insert(db, 'subscriber', 'username, domain, password, ha1, ha1b', subscribers);
  const groups = people.flatMap((p) => p.groups.map((g) => [p.user, p.domain, g]));
  await insert(db, 'grp', 'username, domain, grp', groups);
  return groups.length;
}

/** Writes the address table's rows. */
export function insertAddresses(db: Connection, rows: readonly AddressRow[]): Promise<void> {
  return insert(db, 'address', 'grp, ip_addr, mask, port, tag', rows.map((a) => [a.group, a.ip, a.mask, a.port, a.tag]));
}

/**
 * Recreates {@link DEMO_DATABASE}: Kamailio's create scripts, the subscribers with their `grp`
 * rows, the address table, and the change log triggers (`installStatements`, as `authring
 * install-triggers` runs them). Calls `onProgress` with subscribers written.
 */
export async function createDatabase(login: MysqlLogin, schemaFiles: readonly string[], population: Population, onProgress: (done: number) => void): Promise<{ groupRows: number; addressRows: number }> {
  const db = await connect(login);
  try {
    await db.query(`DROP DATABASE IF EXISTS ${DEMO_DATABASE}; CREATE DATABASE ${DEMO_DATABASE}; USE ${DEMO_DATABASE}`);
    await loadKamailioSchema(db, schemaFiles, DEMO_DATABASE);
    let groupRows = 0;
    for (let start = 0; start < population.size; start += 10_000) {
      const end = Math.min(population.size, start + 10_000);
      groupRows += await insertPeople(db, population, Array.from({ length: end - start }, (_, i) => start + i));
      onProgress(end);
    }
    const addresses = initialAddresses();
    await insertAddresses(db, addresses);
    for (const statement of installStatements({ group: GROUP_DEFAULTS, credentials: CREDENTIALS_DEFAULTS, address: ADDRESS_DEFAULTS })) await db.query(statement);
    return { groupRows, addressRows: addresses.length };
  } finally {
    await db.end();
  }
}

/**
 * Writes `.services/authring.demo.yaml` (the MySQL password beside it, mode 600) for the demo
 * database, with a fresh `key_prefix` so that nothing an earlier run cached is read.
 */
export async function writeConfig(services: ReturnType<typeof demoServices>): Promise<string> {
  await mkdir(SERVICES_DIR, { recursive: true });
  await writeFile(path.join(SERVICES_DIR, 'authring.demo.password'), `${services.mysql.password}\n`, { mode: 0o600 });
  const file = path.join(SERVICES_DIR, 'authring.demo.yaml');
  const { host, port, user } = services.mysql;
  await writeFile(
    file,
    [
      '# Written by demo/demo.ts for one run (npm run demo); authring.example.yaml is the annotated reference.',
      'memcached:',
      '  servers:',
      ...services.memcached.map((server) => `    - ${server}`),
      `mysql: { host: ${host}, port: ${port}, user: ${user}, password_file: authring.demo.password, database: ${DEMO_DATABASE}, connect_timeout_ms: 10000 }`,
      'cache:',
      `  key_prefix: "demo-${randomBytes(4).toString('hex')}:" # fresh per run; each phase adds its name, so every phase starts cold`,
      '  ttl_s: 300',
      '  negative_ttl_s: 60',
      'lookups:',
      '  # Subscribers live in several domains (modparam("group", "use_domain", 1), modparam("auth_db", "use_domain", 1)).',
      '  group: { use_domain: true }',
      '  credentials: { use_domain: true }',
      '',
    ].join('\n'),
  );
  return file;
}
