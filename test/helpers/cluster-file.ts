/**
 * The cluster file tests and benchmarks write for the proxy-node processes and commands they
 * start. One writer, so a new required key is added in one place. The MySQL password is read from
 * the environment (never from the file, as docs/config.md advises) unless a test parses the file
 * with no environment and asks for it in the URI.
 */
import { writeFileSync } from 'node:fs';

/** What goes into a test's cluster file. */
export interface ClusterFile {
  /** memcached servers, `host:port`. */
  readonly servers: readonly string[];
  /** The database's URL; its password goes where {@link password} says. */
  readonly dbUrl: string;
  /**
   * Where the MySQL password goes: `env`, the variable {@link passwordEnv} names (the default), or
   * `uri`, written into `mysql.uri` as it is in `dbUrl` (for tests that parse the file with an
   * empty environment, as the Kamailio tests do).
   */
  readonly password?: 'env' | 'uri';
  /** `cache.key_prefix`, so runs sharing the memcached servers never see each other's entries. */
  readonly keyPrefix: string;
  /** Further `mysql:` keys, one per line without indentation (`connect_timeout_ms: 1000`). */
  readonly mysql?: readonly string[];
  /** Further `cache:` keys, one per line without indentation (`local: { enabled: true }`). */
  readonly cache?: readonly string[];
  /** A `lookups:` section, one line per key without the section's indentation (`group:`, `  use_domain: true`). */
  readonly lookups?: readonly string[];
  /** Lines appended as written, for top-level sections (`kamailio:`) or raw text. */
  readonly extra?: readonly string[];
  /** The variable `mysql.password_env` names; `AUTHRING_TEST_DB_PASSWORD` unless given. */
  readonly passwordEnv?: string;
}

const DEFAULT_PASSWORD_ENV = 'AUTHRING_TEST_DB_PASSWORD';

/** The YAML text of the cluster file (no side effects; see {@link writeClusterFile}). */
export function clusterFileText(file: ClusterFile): string {
  const url = new URL(file.dbUrl);
  const indented = (lines: readonly string[] | undefined): string[] => (lines ?? []).map((line) => `  ${line}`);
  return [
    'memcached:',
    `  servers: [${file.servers.map((s) => JSON.stringify(s)).join(', ')}]`,
    'mysql:',
    ...(file.password === 'uri'
      ? [`  uri: ${JSON.stringify(file.dbUrl)}`]
      : [`  uri: ${JSON.stringify(`mysql://${url.username}@${url.host}${url.pathname}`)}`, `  password_env: ${file.passwordEnv ?? DEFAULT_PASSWORD_ENV}`]),
    ...indented(file.mysql),
    'cache:',
    `  key_prefix: ${JSON.stringify(file.keyPrefix)}`,
    ...indented(file.cache),
    ...(file.lookups === undefined ? [] : ['lookups:', ...indented(file.lookups)]),
    ...(file.extra ?? []),
    '',
  ].join('\n');
}

/** The password the file's `password_env` must carry: set it in the environment of the processes that read the file. */
export function clusterFilePassword(file: Pick<ClusterFile, 'dbUrl' | 'passwordEnv'>): Record<string, string> {
  return { [file.passwordEnv ?? DEFAULT_PASSWORD_ENV]: decodeURIComponent(new URL(file.dbUrl).password) };
}

/**
 * Writes the cluster file to `path` and puts its password into this process's environment, which
 * the node processes it starts inherit. Returns `path`.
 */
export function writeClusterFile(path: string, file: ClusterFile): string {
  Object.assign(process.env, clusterFilePassword(file));
  writeFileSync(path, clusterFileText(file));
  return path;
}
