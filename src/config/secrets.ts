import { resolve } from 'node:path';
import type { ConfigContext } from './context.js';
import type { MapReader } from './reader.js';
import { readSmallRegularFile } from './small-file.js';

/** The three keys that can give one secret: inline, environment variable, file. */
export interface SecretKeys<K extends string> {
  readonly inline: K;
  readonly env: K;
  readonly file: K;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Most bytes read from a `*_file` secret. A password or key is a few dozen bytes; the bound keeps
 * a mistaken path (`/dev/zero`, a log file) from filling memory.
 */
export const MAX_SECRET_FILE_BYTES = 4096;

/**
 * Reads a secret from whichever of its keys is set, at most one. An inline value is legal but
 * warned about; a missing environment variable, an unreadable file or an empty value is an issue
 * naming the key. File paths are relative to the config file's directory; trailing newlines are
 * trimmed. `undefined` when no key is set.
 */
export function readSecret<K extends string>(
  ctx: ConfigContext,
  reader: MapReader<K>,
  keys: SecretKeys<K>,
  what: string,
): string | undefined {
  ctx.markSecret(reader.node(keys.inline));
  const set = [keys.inline, keys.env, keys.file].filter((key) => reader.has(key));
  if (set.length > 1) {
    const expected = `only one of ${keys.inline}, ${keys.env}, ${keys.file}`;
    const second = set[1] as K;
    ctx.problem(reader.keyNode(second), reader.field(second), expected, `set ${expected}`, reader.path);
    return undefined;
  }
  if (reader.has(keys.inline)) {
    const value = nonEmpty(ctx, reader, keys.inline, reader.string(keys.inline), what);
    if (value !== undefined) {
      const text = `${what} is written in the config file; prefer ${keys.env} or ${keys.file}`;
      ctx.warn(reader.node(keys.inline), reader.field(keys.inline), text);
    }
    return value;
  }
  if (reader.has(keys.env)) return fromEnv(ctx, reader, keys.env, what);
  if (reader.has(keys.file)) return fromFile(ctx, reader, keys.file, what);
  return undefined;
}

function fromEnv<K extends string>(ctx: ConfigContext, reader: MapReader<K>, key: K, what: string): string | undefined {
  const name = reader.string(key, (v) => (ENV_NAME.test(v) ? undefined : 'an environment variable name'));
  if (name === undefined) return undefined;
  const value = ctx.env[name];
  if (value === undefined) {
    const expected = `environment variable ${name} to be set`;
    ctx.problem(reader.node(key), reader.field(key), expected, `environment variable ${name} is not set`, reader.field(key));
    return undefined;
  }
  return nonEmpty(ctx, reader, key, value, `${what} (environment variable ${name})`);
}

function fromFile<K extends string>(ctx: ConfigContext, reader: MapReader<K>, key: K, what: string): string | undefined {
  const name = reader.string(key, (v) => (v.length > 0 ? undefined : 'a file path'));
  if (name === undefined) return undefined;
  const path = resolve(ctx.baseDir, name);
  const file = readSmallRegularFile(path, MAX_SECRET_FILE_BYTES);
  if (!file.ok) {
    ctx.problem(reader.node(key), reader.field(key), file.expected, `cannot read ${what} file: ${file.reason}`, reader.field(key));
    return undefined;
  }
  if (process.platform !== 'win32' && (file.mode & 0o077) !== 0) {
    const text = `${path} is open to other users (mode ${(file.mode & 0o777).toString(8)}); chmod 600 it`;
    ctx.warn(reader.node(key), reader.field(key), text);
  }
  return nonEmpty(ctx, reader, key, file.text.replace(/[\r\n]+$/, ''), `${what} (file ${path})`);
}

function nonEmpty<K extends string>(
  ctx: ConfigContext,
  reader: MapReader<K>,
  key: K,
  value: string | undefined,
  what: string,
): string | undefined {
  if (value === undefined || value.length > 0) return value;
  ctx.problem(reader.node(key), reader.field(key), 'a non-empty value', `${what} is empty`, reader.field(key));
  return undefined;
}
