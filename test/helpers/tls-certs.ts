/**
 * Throwaway certificates for TLS tests, made with openssl: a CA, a server certificate it signs
 * (for `mysql.authring.test`, `localhost` and 127.0.0.1), a client certificate it signs, and a
 * second, unrelated CA that must be refused. Files are PEM, in a temporary directory removed
 * when the test process exits.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeOnExit } from './exit-cleanup.js';

/** Paths of the PEM files {@link makeTestCertificates} writes. */
export interface TestCertificates {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed none of the above. */
  readonly otherCa: string;
  /** The DNS name in the server certificate. */
  readonly serverName: string;
}

/** Makes the certificates (EC P-256, valid for two days). */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authring-certs-'));
  removeOnExit(dir);
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const serverName = 'mysql.authring.test';
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...key, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=authring test CA');
  openssl('req', '-x509', ...key, '-keyout', file('other-ca.key'), '-out', file('other-ca.pem'), '-days', '2', '-subj', '/CN=authring other CA');
  const sign = (name: string, subject: string, extensions: string): void => {
    openssl('req', ...key, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file(`${name}.pem`), '-days', '2', '-extfile', file(`${name}.ext`));
    chmodSync(file(`${name}.key`), 0o600);
  };
  sign('server', `/CN=${serverName}`, `subjectAltName=DNS:${serverName},DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`);
  sign('client', '/CN=authring test client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    otherCa: file('other-ca.pem'),
    serverName,
  };
}
