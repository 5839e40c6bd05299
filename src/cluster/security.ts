import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions as TlsConnectOptions, type PeerCertificate } from 'node:tls';
import { inspect } from 'node:util';
import { InvalidArgumentError } from '../errors.js';
import { saslPlainRequest } from './protocol.js';

/** SASL PLAIN credentials, as {@link MemcacheClusterOptions.sasl} takes them. */
export interface SaslOptions {
  /** The SASL user name (memcached's sasldb user). */
  readonly username: string;
  /** Its password. Never printed: errors, `toJSON` and `util.inspect` show `(secret)`. */
  readonly password: string;
}

/** TLS settings, as {@link MemcacheClusterOptions.tls} takes them. PEM text or bytes. */
export interface TlsOptions {
  /** CA certificates that sign the servers' certificates; the system's CAs when omitted. */
  readonly ca?: string | Buffer;
  /** This client's certificate chain, for servers that verify clients (`ssl_verify_mode`). Needs `key`. */
  readonly cert?: string | Buffer;
  /** This client's private key. Needs `cert`. Never printed. */
  readonly key?: string | Buffer;
  /**
   * The name every server's certificate must carry (DNS name or IP address), when it is not the
   * host in the server list; also sent as SNI when it is a DNS name.
   */
  readonly serverName?: string;
}

const SECRET = '(secret)';

/**
 * SASL PLAIN credentials with the password out of reach of logs: it lives in a private field, and
 * `JSON.stringify`, `util.inspect` and `String()` show `(secret)` in its place.
 */
export class SaslCredentials {
  /** The SASL user name. */
  readonly username: string;
  readonly #password: string;

  private constructor(username: string, password: string) {
    this.username = username;
    this.#password = password;
  }

  /**
   * Checks and wraps `sasl` options; `undefined` stays `undefined`.
   * @throws InvalidArgumentError naming the field (never its value when it is the password).
   */
  static from(options: SaslOptions | undefined): SaslCredentials | undefined {
    if (options === undefined) return undefined;
    const { username, password } = options as Partial<SaslOptions>;
    if (typeof username !== 'string' || username.length === 0 || username.includes('\0')) {
      throw new InvalidArgumentError('sasl.username must be a non-empty string without NUL characters');
    }
    if (typeof password !== 'string' || password.length === 0 || password.includes('\0')) {
      throw new InvalidArgumentError('sasl.password must be a non-empty string without NUL characters (not shown: a secret)');
    }
    return new SaslCredentials(username, password);
  }

  /** The SASL_AUTH request for these credentials (holds the password: write it, never log it). */
  authRequest(): Buffer {
    return saslPlainRequest(this.username, this.#password);
  }

  /** Same user and password. */
  equals(other: SaslCredentials | undefined): boolean {
    return other !== undefined && other.username === this.username && other.#password === this.#password;
  }

  toJSON(): { username: string; password: string } {
    return { username: this.username, password: SECRET };
  }

  toString(): string {
    return `SASL PLAIN as ${this.username}`;
  }

  [inspect.custom](): string {
    return `SaslCredentials { username: ${JSON.stringify(this.username)}, password: ${SECRET} }`;
  }
}

/** Resolved TLS settings; the private key stays in a private field, out of logs. */
export class TlsSettings {
  /** The name certificates are checked against, when it is not the host. */
  readonly serverName: string | undefined;
  readonly #ca: string | Buffer | undefined;
  readonly #cert: string | Buffer | undefined;
  readonly #key: string | Buffer | undefined;

  private constructor(options: TlsOptions) {
    this.serverName = options.serverName;
    this.#ca = options.ca;
    this.#cert = options.cert;
    this.#key = options.key;
  }

  /**
   * Checks and wraps `tls` options; `undefined` stays `undefined`.
   * @throws InvalidArgumentError naming the field.
   */
  static from(options: TlsOptions | undefined): TlsSettings | undefined {
    if (options === undefined) return undefined;
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('tls must be an object');
    for (const field of ['ca', 'cert', 'key'] as const) {
      const value = options[field];
      if (value !== undefined && !(typeof value === 'string' || Buffer.isBuffer(value)) ) {
        throw new InvalidArgumentError(`tls.${field} must be PEM text or a Buffer`);
      }
      if (value !== undefined && value.length === 0) throw new InvalidArgumentError(`tls.${field} is empty`);
    }
    if ((options.cert === undefined) !== (options.key === undefined)) {
      throw new InvalidArgumentError('tls.cert and tls.key go together: give both or neither');
    }
    if (options.serverName !== undefined && (typeof options.serverName !== 'string' || options.serverName.length === 0)) {
      throw new InvalidArgumentError('tls.serverName must be a non-empty string');
    }
    return new TlsSettings(options);
  }

  /** Options for `tls.connect` to one server: certificates always verified. */
  connectOptions(host: string, port: number): TlsConnectOptions {
    const name = this.serverName ?? host;
    const options: TlsConnectOptions = { host, port, ca: this.#ca, cert: this.#cert, key: this.#key, rejectUnauthorized: true };
    // SNI carries DNS names only; an IP address is still checked against the certificate.
    if (isIP(name) === 0) options.servername = name;
    if (this.serverName !== undefined) {
      const expected = this.serverName;
      options.checkServerIdentity = (_host: string, cert: PeerCertificate) => checkServerIdentity(expected, cert);
    }
    return options;
  }

  /** Same certificates, key and name. */
  equals(other: TlsSettings | undefined): boolean {
    return (
      other !== undefined &&
      other.serverName === this.serverName &&
      samePem(other.#ca, this.#ca) &&
      samePem(other.#cert, this.#cert) &&
      samePem(other.#key, this.#key)
    );
  }

  toJSON(): Record<string, string | boolean> {
    const shown: Record<string, string | boolean> = { ca: this.#ca !== undefined, cert: this.#cert !== undefined, key: this.#key === undefined ? false : SECRET };
    if (this.serverName !== undefined) shown.serverName = this.serverName;
    return shown;
  }

  [inspect.custom](): string {
    return `TlsSettings ${JSON.stringify(this.toJSON())}`;
  }
}

function samePem(a: string | Buffer | undefined, b: string | Buffer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}
