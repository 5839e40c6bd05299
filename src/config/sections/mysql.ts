import { isIPv6 } from 'node:net';
import { isScalar } from 'yaml';
import type { ConfigContext } from '../context.js';
import { MYSQL_DEFAULTS as D } from '../../auth/mysql-options.js';
import { bool, int, keysOf, ms, readFields, type FieldValues, type Fields } from '../fields.js';
import type { MapReader } from '../reader.js';
import { readSecret } from '../secrets.js';
import { readTls, type TlsConfig } from '../tls.js';

/** The pool's options in `mysql:`, by their `MysqlOptions` name; their defaults are `MYSQL_DEFAULTS`. */
const POOL_FIELDS = {
  poolSize: int('pool_size', { min: 1, max: 1000, unit: 'connections' }),
  connectTimeoutMs: ms('connect_timeout_ms'),
  queryTimeoutMs: ms('query_timeout_ms'),
  batchQueries: bool('batch_queries'),
} satisfies Fields<typeof D>;

/** The keys of `mysql:`. */
export const MYSQL_KEYS = ['uri', 'host', 'port', 'user', 'database', 'password', 'password_env', 'password_file', ...keysOf(POOL_FIELDS), 'tls'];

type Key = string;

/**
 * `mysql:` — the Kamailio database, from `uri` or from the separate fields (docs/config.md lists
 * the keys), with `MysqlOptions`' defaults and the password read.
 */
export type MysqlConfig = FieldValues<typeof POOL_FIELDS> & {
  /** `host` (or the URI's host). */
  readonly host: string;
  /** `port` (or the URI's port). */
  readonly port: number;
  /** `user` (or the URI's user). Required. */
  readonly user: string;
  /** From `password_env`, `password_file` (trailing newlines trimmed), `password` or the URI; `undefined` when none is given. */
  readonly password: string | undefined;
  /** `database` (or the URI's path). Required. */
  readonly database: string;
  /** `tls`: encrypt the connection and verify the server; `undefined` (the key absent) is plain TCP. */
  readonly tls: TlsConfig | undefined;
};

const URI_SHAPE = '"mysql://user[:password]@host[:port]/database"';
const PASSWORD_KEYS = { inline: 'password', env: 'password_env', file: 'password_file' } as const;

/** What the URI gives; fields absent from it are `undefined`. */
interface UriParts {
  readonly host: string;
  readonly port: number | undefined;
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string;
}

/** Reads and checks `mysql:`, reading the password from wherever it is kept. */
export function readMysql(ctx: ConfigContext, section: MapReader<Key>): MysqlConfig {
  const options = readFields(section, D, POOL_FIELDS);
  const uriNode = section.node('uri');
  ctx.markSecret(uriNode, isScalar(uriNode) && typeof uriNode.value === 'string' ? redactUri(uriNode.value) : undefined);
  if (section.has('uri')) {
    const server = fromUri(ctx, section);
    return { ...server, ...options, tls: readTls(ctx, section, 'tls', server.host) };
  }
  const user = section.string('user', (v) => (/^[^\p{Cc}]{1,80}$/u.test(v) ? undefined : 'a MySQL user name'));
  const database = section.string('database', checkDatabase);
  if (!section.has('user')) section.missing('user', ' (or set `uri`)');
  if (!section.has('database')) section.missing('database', ' (or set `uri`)');
  const host = section.string('host', checkHost) ?? D.host;
  return {
    host,
    port: section.int('port', D.port, { min: 1, max: 65535 }),
    user: user ?? '',
    password: readSecret(ctx, section, PASSWORD_KEYS, 'the MySQL password'),
    database: database ?? '',
    ...options,
    tls: readTls(ctx, section, 'tls', host),
  };
}

function fromUri(ctx: ConfigContext, section: MapReader<Key>): Omit<MysqlConfig, keyof typeof POOL_FIELDS | 'tls'> {
  for (const key of ['host', 'port', 'user', 'database'] as const) {
    if (!section.has(key)) continue;
    const text = `\`${key}\` cannot be combined with \`uri\`, which already sets it; keep one`;
    ctx.problem(section.keyNode(key), section.field(key), `no ${key} next to uri`, text, section.path);
  }
  const uri = section.string('uri');
  const parts = uri === undefined ? undefined : parseUri(uri);
  if (parts === undefined || typeof parts === 'string') {
    if (parts !== undefined) ctx.invalid(section.node('uri'), section.field('uri'), parts);
    return { host: D.host, port: D.port, user: '', password: undefined, database: '' };
  }
  let password = readSecret(ctx, section, PASSWORD_KEYS, 'the MySQL password');
  if (parts.password !== undefined) {
    const other = (['password', 'password_env', 'password_file'] as const).find((key) => section.has(key));
    if (other !== undefined) {
      const text = `\`${other}\` cannot be combined with a password in \`uri\`; keep one`;
      ctx.problem(section.keyNode(other), section.field(other), 'one password', text, section.path);
    }
    ctx.warn(section.node('uri'), section.field('uri'), 'the MySQL password is written in the config file; prefer password_env or password_file');
    password = parts.password;
  }
  return { host: parts.host, port: parts.port ?? D.port, user: parts.user, password, database: parts.database };
}

/** Splits a `mysql://` URI, or says what was expected. */
export function parseUri(uri: string): UriParts | string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return URI_SHAPE;
  }
  if (url.protocol !== 'mysql:') return URI_SHAPE;
  if (url.search !== '' || url.hash !== '') return `${URI_SHAPE} without ?options or #fragment (use the other mysql keys)`;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (checkHost(host) !== undefined) return `${URI_SHAPE} with a host`;
  if (url.username === '') return `${URI_SHAPE} with a user`;
  const database = decode(url.pathname.slice(1));
  if (database === undefined || checkDatabase(database) !== undefined) return `${URI_SHAPE} with a database name`;
  const user = decode(url.username);
  const password = url.password === '' ? undefined : decode(url.password);
  if (user === undefined || (url.password !== '' && password === undefined)) return `${URI_SHAPE} with valid %-escapes`;
  return { host, port: url.port === '' ? undefined : Number(url.port), user, password, database };
}

/**
 * A URI as it may be shown in messages: the password, the query and the fragment replaced by
 * `***` (a query may carry a password too); `undefined` when it does not parse, since then
 * nothing in it can be told apart from the password.
 */
export function redactUri(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const user = url.username === '' ? '' : `${url.username}${url.password === '' ? '' : ':***'}@`;
  const query = url.search === '' ? '' : '?***';
  const fragment = url.hash === '' ? '' : '#***';
  return `${url.protocol}//${user}${url.host}${url.pathname}${query}${fragment}`;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function checkHost(host: string): string | undefined {
  // `_` is not in RFC 1123 names, but resolvers and /etc/hosts accept it (Docker service names).
  return /^[A-Za-z0-9_.-]{1,253}$/.test(host) || isIPv6(host) ? undefined : 'a host name or IP address';
}

function checkDatabase(name: string): string | undefined {
  return /^[^/\\.\s\p{Cc}]{1,64}$/u.test(name) ? undefined : 'a MySQL database name (1..64 characters, no / \\ . or spaces)';
}
