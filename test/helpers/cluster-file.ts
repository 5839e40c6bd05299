/**
 * The cluster file tests and benchmarks write for the proxy-node processes they start. One writer,
 * so every such file reads its MySQL password from the environment the same way (never from the
 * file, as docs/config.md advises) and a new required key is added in one place.
 */
import { writeFileSync } from 'node:fs';

/** What goes into a test's cluster file. */
export interface ClusterFile {
  /** memcached servers, `host:port`. */
  readonly servers: readonly string[];
  /** The database's URL; its password goes to the environment variable `passwordEnv`, not the file. */
  readonly dbUrl: string;
  /** `cache.key_prefix`, so runs sharing the memcached servers never see each other's entries. */
  readonly keyPrefix: string;
  /** Further `mysql:` keys, one per line without indentation (`connect_timeout_ms: 1000`). */
  readonly mysql?: readonly string[];
  /** Further `cache:` keys, one per line without indentation (`local: { enabled: true }`). */
  readonly cache?: readonly string[];
  /** Lines appended as written, for top-level sections (`kamailio:`) or raw text. */
  readonly extra?: readonly string[];
  /** The variable `mysql.password_env` names; `AUTHRING_TEST_DB_PASSWORD` unless given. */
  readonly passwordEnv?: string;
}

const DEFAULT_PASSWORD_ENV = 'AUTHRING_TEST_DB_PASSWORD';

/** The YAML text of the cluster file (no side effects; see {@link writeClusterFile}). */
export function clusterFileText(file: ClusterFile): string {
  const url = new URL(file.dbUrl);
  return [
    'memcached:',
    `  servers: [${file.servers.map((s) => JSON.stringify(s)).join(', ')}]`,
    'mysql:',
    `  uri: ${JSON.stringify(`mysql://${url.username}@${url.host}${url.pathname}`)}`,
    `  password_env: ${file.passwordEnv ?? DEFAULT_PASSWORD_ENV}`,
    ...(file.mysql ?? []).map((line) => `  ${line}`),
    'cache:',
    `  key_prefix: ${JSON.stringify(file.keyPrefix)}`,
    ...(file.cache ?? []).map((line) => `  ${line}`),
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
