import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { ConfigContext } from './context.js';
import type { MapReader } from './reader.js';
import { readSmallRegularFile } from './small-file.js';

/**
 * A `tls:` mapping, its files read at load time. Present (even empty) means TLS is required: the
 * server's certificate must chain to `ca` and, when a name is known, carry it.
 */
export interface TlsConfig {
  /** `ca_file`'s PEM text: the CA certificates to trust. @default Node's built-in CA list */
  readonly ca: string | undefined;
  /** `cert_file`'s PEM text: a client certificate, for servers that require one (with `key`). */
  readonly cert: string | undefined;
  /** `key_file`'s PEM text: the client certificate's unencrypted private key (with `cert`). */
  readonly key: string | undefined;
  /**
   * `server_name`: the name the server's certificate must carry, when it differs from the host
   * connected to. @default the host, when it is a name; no name check for an IP address (warned)
   */
  readonly serverName: string | undefined;
}

/** The keys of a `tls:` mapping (`mysql.tls`, `memcached.tls`). */
export const TLS_KEYS = ['ca_file', 'cert_file', 'key_file', 'server_name'] as const;

type TlsKey = (typeof TLS_KEYS)[number];

/** Most bytes read from a PEM file: a whole CA bundle (Debian's is about 220 KB) fits. */
export const MAX_PEM_FILE_BYTES = 1024 * 1024;

const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/;

/**
 * Reads `tls:` under `parent` (absent: `undefined`, TLS off; present, even empty: TLS on). The
 * files are read now, relative to the config file, as regular files of at most 1 MiB, and
 * checked: `ca_file` and `cert_file` must hold PEM certificates, `key_file` an unencrypted PEM
 * private key matching `cert_file`; the two come together or not at all. `key_file` is treated
 * as a secret (its mode is warned about like `password_file`'s).
 *
 * @param host the host the connection goes to: when it is an IP address and no `server_name` is
 *   given, no name can be checked, which is warned about.
 */
export function readTls<K extends string>(ctx: ConfigContext, parent: MapReader<K>, key: K, host: string | undefined): TlsConfig | undefined {
  if (!parent.has(key)) return undefined;
  const section = parent.map(key, TLS_KEYS);
  const ca = readPem(ctx, section, 'ca_file', 'certificate');
  const cert = readPem(ctx, section, 'cert_file', 'certificate');
  const keyText = readPem(ctx, section, 'key_file', 'key');
  const serverName = section.string('server_name', (v) => (HOST_NAME.test(v) && isIP(v) === 0 ? undefined : 'a host name (letters, digits, -, ., _)'));
  if (section.has('cert_file') !== section.has('key_file')) {
    const [given, other] = section.has('cert_file') ? (['cert_file', 'key_file'] as const) : (['key_file', 'cert_file'] as const);
    ctx.problem(section.keyNode(given), section.field(other), `${other} next to ${given}`, `\`${given}\` needs \`${other}\` (a client certificate and its key)`, section.path);
  } else if (cert !== undefined && keyText !== undefined) {
    checkPair(ctx, section, cert, keyText);
  }
  if (serverName === undefined && host !== undefined && isIP(host) !== 0) {
    const text = `${host} is an IP address: the server's certificate is checked against the CA but not against a name; set server_name to the name it carries`;
    ctx.warn(parent.keyNode(key), parent.field(key), text);
  }
  return { ca, cert, key: keyText, serverName };
}

/** Reads one PEM file; `undefined` when the key is absent or the file is refused (recorded). */
function readPem(ctx: ConfigContext, section: MapReader<TlsKey>, key: TlsKey, kind: 'certificate' | 'key'): string | undefined {
  const name = section.string(key, (v) => (v.length > 0 ? undefined : 'a file path'));
  if (name === undefined) return undefined;
  const path = resolve(ctx.baseDir, name);
  const file = readSmallRegularFile(path, MAX_PEM_FILE_BYTES);
  const field = section.field(key);
  if (!file.ok) {
    ctx.problem(section.node(key), field, file.expected, `cannot read ${path}: ${file.reason}`, field);
    return undefined;
  }
  const expected = kind === 'certificate' ? 'a PEM certificate (-----BEGIN CERTIFICATE-----)' : 'an unencrypted PEM private key';
  const problem = kind === 'certificate' ? certificateProblem(file.text) : keyProblem(file.text);
  if (problem !== undefined) {
    ctx.problem(section.node(key), field, expected, `${path}: expected ${expected}, ${problem}`, field);
    return undefined;
  }
  if (kind === 'key' && process.platform !== 'win32' && (file.mode & 0o077) !== 0) {
    ctx.warn(section.node(key), field, `${path} is open to other users (mode ${(file.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return file.text;
}

function certificateProblem(text: string): string | undefined {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return 'found none';
  try {
    new X509Certificate(text);
    return undefined;
  } catch (error) {
    return `it does not parse (${error instanceof Error ? error.message : String(error)})`;
  }
}

function keyProblem(text: string): string | undefined {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return 'found none';
  if (/ENCRYPTED/.test(text)) return 'found an encrypted one (no passphrase can be given)';
  try {
    createPrivateKey(text);
    return undefined;
  } catch (error) {
    return `it does not parse (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** A client certificate whose key is another one fails every handshake: say so at load. */
function checkPair(ctx: ConfigContext, section: MapReader<TlsKey>, cert: string, key: string): void {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
    if (new X509Certificate(cert).checkPrivateKey(privateKey)) return;
  } catch {
    return; // each file's own problem is already recorded
  }
  const field = section.field('key_file');
  ctx.problem(section.node('key_file'), field, 'the key of cert_file', "the key does not match cert_file's certificate", field);
}
