import type { Env } from './context.js';
import { fileError } from './issues.js';
import { parseConfig } from './parse.js';
import { readSmallRegularFile } from './small-file.js';
import type { AuthringConfig } from './types.js';

/** Where the config file is looked for when neither a path nor the environment names one. */
export const DEFAULT_CONFIG_PATH = './authring.yaml';

/** The environment variable that names the config file. */
export const CONFIG_PATH_ENV = 'AUTHRING_CONFIG';

/**
 * The config file to use: `explicit` if given, else `$AUTHRING_CONFIG` if set and non-empty, else
 * `./authring.yaml` (relative to the working directory).
 */
export function resolveConfigPath(explicit?: string, env: Env = process.env): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = env[CONFIG_PATH_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_CONFIG_PATH;
}

/**
 * Reads, parses and validates the config file named by {@link resolveConfigPath}.
 * @throws ConfigError when the file cannot be read or is invalid (see {@link parseConfig}).
 */
export async function loadConfig(path?: string, env: Env = process.env): Promise<AuthringConfig> {
  const file = resolveConfigPath(path, env);
  return parseConfig(await readConfigText(file, path === undefined || path === ''), file, env);
}

/**
 * Most bytes read from a config file. A cluster file is a few KiB even with hundreds of servers;
 * the bound keeps a wrong path (`/dev/zero`, a log file) from filling memory.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The file's text: a regular file (links followed, as Kubernetes mounts config maps) of at most
 * {@link MAX_CONFIG_BYTES}; a FIFO, device or directory is refused without waiting on it.
 * @param implicit whether the path came from the environment or the default, to hint at how to change it.
 * @throws ConfigError when it cannot be read.
 */
export async function readConfigText(file: string, implicit = false): Promise<string> {
  const read = readSmallRegularFile(file, MAX_CONFIG_BYTES);
  if (read.ok) return read.text;
  const hint = implicit ? ` (pass a path or set ${CONFIG_PATH_ENV})` : '';
  throw fileError(file, new Error(read.reason), `cannot read config file${hint}`, read.expected);
}
