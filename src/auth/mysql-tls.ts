import { connect, isIP } from 'node:net';
import type { PoolOptions } from 'mysql2/promise';

/** TLS for the MySQL connection: PEM texts, and the name the server's certificate must carry. */
export interface MysqlTlsOptions {
  /** PEM CA certificates to trust. @default Node's built-in CA list */
  readonly ca?: string;
  /** PEM client certificate, with `key`, for servers that require one. */
  readonly cert?: string;
  /** PEM private key of `cert`, unencrypted. */
  readonly key?: string;
  /** The name to verify the certificate against. @default the host, when it is a name */
  readonly serverName?: string;
}

/**
 * mysql2's options for TLS through its documented `ssl` option: the chain is always verified;
 * the name is verified when one is known. mysql2 checks the name against its `host`, so with a
 * `serverName` the pool is given that name as `host` and a `stream` factory that connects to the
 * real address (mysql2's documented way to supply the socket).
 */
export function mysql2TlsOptions(tls: MysqlTlsOptions, host: string, port: number): Pick<PoolOptions, 'ssl' | 'host' | 'stream'> {
  const ssl = {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    rejectUnauthorized: true,
    // An IP address cannot be checked this way (Node would check "localhost"): chain only.
    verifyIdentity: tls.serverName !== undefined || isIP(host) === 0,
  };
  if (tls.serverName === undefined || tls.serverName === host) return { ssl };
  const stream = (): ReturnType<typeof connect> => connect({ host, port, noDelay: true });
  return { ssl, host: tls.serverName, stream };
}
