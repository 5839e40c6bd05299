import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { forgetDir, removeOnExit } from '../helpers/exit-cleanup.js';
import { MemcachedProcess, findBinary } from '../helpers/services.js';

const run = promisify(execFile);

/** A temporary directory removed when the test process exits (or by `remove`). */
export function scratchDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  removeOnExit(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      forgetDir(path);
    },
  };
}

/** Whether saslpasswd2 (Debian's sasl2-bin) and openssl are installed. */
export function haveSecurityTools(): boolean {
  return findBinary('saslpasswd2') !== undefined && findBinary('openssl') !== undefined;
}

/**
 * memcached with SASL (`-S`): a Cyrus SASL config allowing PLAIN only, and a sasldb holding
 * `users`, both in `dir`, found through `SASL_CONF_PATH`.
 */
export async function startSaslMemcached(dir: string, users: Readonly<Record<string, string>>, extraArgs: readonly string[] = []): Promise<MemcachedProcess> {
  const sasldb = join(dir, 'sasldb2');
  writeFileSync(join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${sasldb}\n`);
  for (const [user, password] of Object.entries(users)) {
    const child = execFile('saslpasswd2', ['-a', 'memcached', '-c', '-f', sasldb, '-p', user]);
    child.stdin?.end(password);
    await new Promise<void>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`saslpasswd2 exited ${String(code)}`)))),
    );
  }
  return MemcachedProcess.start({ extraArgs: ['-S', ...extraArgs], env: { SASL_CONF_PATH: dir } });
}

/** PEM files of a throwaway PKI, all in one directory. */
export interface Certificates {
  /** The CA that signed the server and client certificates. */
  readonly ca: string;
  /** Another CA, which signed nothing here. */
  readonly otherCa: string;
  /** The server's certificate (SAN: IP 127.0.0.1, DNS memcached.test) and key. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** A client certificate and key signed by `ca`. */
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Makes a CA, a server and a client certificate with openssl (EC P-256, one day) in `dir`. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  const key = (name: string): Promise<unknown> => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at(name));
  const selfSigned = async (name: string, subject: string): Promise<void> => {
    await key(`${name}.key`);
    await openssl('req', '-x509', '-new', '-key', at(`${name}.key`), '-days', '1', '-subj', subject, '-out', at(`${name}.pem`), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  };
  const signed = async (name: string, subject: string, extensions: string): Promise<void> => {
    await key(`${name}.key`);
    await openssl('req', '-new', '-key', at(`${name}.key`), '-subj', subject, '-out', at(`${name}.csr`));
    writeFileSync(at(`${name}.ext`), extensions);
    await openssl('x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at(`${name}.ext`), '-out', at(`${name}.pem`));
  };
  await selfSigned('ca', '/CN=authring test CA');
  await selfSigned('other-ca', '/CN=some other CA');
  await signed('server', '/CN=memcached.test', 'subjectAltName=IP:127.0.0.1,DNS:memcached.test\nextendedKeyUsage=serverAuth\n');
  await signed('client', '/CN=authring client', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: at('ca.pem'),
    otherCa: at('other-ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
  };
}

/** memcached with TLS (`-Z`) on the server certificate; `verifyClients` demands a client certificate signed by the CA. */
export function startTlsMemcached(certs: Certificates, options: { verifyClients?: boolean; extraArgs?: readonly string[]; env?: Record<string, string> } = {}): Promise<MemcachedProcess> {
  const settings = [`ssl_chain_cert=${certs.serverCert}`, `ssl_key=${certs.serverKey}`, `ssl_ca_cert=${certs.ca}`];
  if (options.verifyClients) settings.push('ssl_verify_mode=2');
  return MemcachedProcess.start({ extraArgs: ['-Z', '-o', settings.join(','), ...(options.extraArgs ?? [])], env: options.env });
}
