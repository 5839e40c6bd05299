/**
 * Writes the cluster config file every demo proxy node reads (`.services/authring.demo.yaml`,
 * next to the MySQL password in `.services/authring.demo.password`, mode 600). A fresh
 * `key_prefix` per run means phase B starts with nothing cached, whatever earlier runs left in
 * memcached.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoServices } from './services.js';

/** The gitignored directory scripts/services.sh keeps its state in. */
export const SERVICES_DIR = fileURLToPath(new URL('../.services/', import.meta.url));

/** The config file's path. */
export const DEMO_CONFIG_PATH = path.join(SERVICES_DIR, 'authring.demo.yaml');

const PASSWORD_FILE = 'authring.demo.password';

/** What was written. */
export interface DemoConfigFile {
  readonly path: string;
  readonly keyPrefix: string;
}

/**
 * Writes the config file (and the password file it names) for `database`.
 *
 * @returns its path and this run's key prefix.
 */
export async function writeDemoConfig(services: DemoServices, database: string): Promise<DemoConfigFile> {
  const keyPrefix = `demo-${randomBytes(4).toString('hex')}:`;
  await mkdir(SERVICES_DIR, { recursive: true });
  const passwordPath = path.join(SERVICES_DIR, PASSWORD_FILE);
  await writeFile(passwordPath, `${services.mysql.password}\n`, { mode: 0o600 });
  await chmod(passwordPath, 0o600); // in case an earlier file had another mode
  const yaml = [
    '# Written by demo/demo.ts for one run (npm run demo); rewritten by the next.',
    '# The full annotated reference is authring.example.yaml.',
    'memcached:',
    '  servers:',
    ...services.memcached.map((server) => `    - ${server}`),
    'mysql:',
    `  host: ${services.mysql.host}`,
    `  port: ${services.mysql.port}`,
    `  user: ${services.mysql.user}`,
    `  password_file: ${PASSWORD_FILE}`,
    `  database: ${database}`,
    'cache:',
    `  key_prefix: "${keyPrefix}" # fresh per run: phase B starts cold`,
    '  ttl_s: 300',
    '  negative_ttl_s: 60',
    'lookups:',
    '  # Subscribers live in several domains, so the lookups match the domain too',
    '  # (modparam("group", "use_domain", 1), modparam("auth_db", "use_domain", 1)).',
    '  group:',
    '    use_domain: true',
    '  credentials:',
    '    use_domain: true',
    '',
  ].join('\n');
  await writeFile(DEMO_CONFIG_PATH, yaml, 'utf8');
  return { path: DEMO_CONFIG_PATH, keyPrefix };
}
