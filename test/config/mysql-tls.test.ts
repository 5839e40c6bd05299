/** `mysql.tls` in the config file: files read and checked at load, every mistake named. */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { needBinary } from '../helpers/services.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

describe.skipIf(!needBinary('openssl'))('mysql.tls', () => {
  let certs: TestCertificates;
  let config: string;
  beforeAll(() => {
    certs = makeTestCertificates();
    config = path.join(certs.dir, 'authring.yaml');
  });
  const withTls = (...lines: string[]): string => yaml(...MINIMAL, '  host: db.example.net', '  tls:', ...lines.map((l) => `    ${l}`));

  it('reads the CA, client certificate and key, relative to the config file', () => {
    const parsed = parseConfig(withTls('ca_file: ca.pem', 'cert_file: client.pem', 'key_file: client.key', 'server_name: mysql.authring.test'), config, {});
    expect(parsed.mysql.tls).toEqual({
      ca: readFileSync(certs.ca, 'utf8'),
      cert: readFileSync(certs.clientCert, 'utf8'),
      key: readFileSync(certs.clientKey, 'utf8'),
      serverName: 'mysql.authring.test',
    });
    expect(parsed.warnings).toEqual([]);
  });

  it('is off without the key, and on with system CAs when empty', () => {
    expect(parseConfig(yaml(...MINIMAL), config, {}).mysql.tls).toBeUndefined();
    expect(parseConfig(yaml(...MINIMAL, '  host: db.example.net', '  tls: {}'), config, {}).mysql.tls).toEqual({ ca: undefined, cert: undefined, key: undefined, serverName: undefined });
  });

  it('warns when the host is an IP address and no server_name is given', () => {
    const parsed = parseConfig(yaml(...MINIMAL, '  host: 127.0.0.1', '  tls:', '    ca_file: ca.pem'), config, {});
    expect(parsed.warnings).toEqual([
      `${config}:7:3: mysql.tls: 127.0.0.1 is an IP address: the server's certificate is checked against the CA but not against a name; set server_name to the name it carries`,
    ]);
    const named = parseConfig(yaml(...MINIMAL, '  host: 127.0.0.1', '  tls:', '    ca_file: ca.pem', '    server_name: mysql.authring.test'), config, {});
    expect(named.warnings).toEqual([]);
    const uri = parseConfig(yaml(...MINIMAL.slice(0, 3), '  uri: mysql://a@127.0.0.1/b', '  tls: { ca_file: ca.pem }'), config, {});
    expect(uri.warnings[0]).toContain('127.0.0.1 is an IP address');
  });

  it('names each mistake: a missing half of the pair, a non-PEM file, a mismatched or encrypted key, a device, a bad name', () => {
    writeFileSync(path.join(certs.dir, 'not.pem'), 'hello\n');
    execFileSync('openssl', ['pkey', '-in', certs.clientKey, '-out', path.join(certs.dir, 'encrypted.key'), '-aes256', '-passout', 'pass:x'], { stdio: 'ignore' });
    copyFileSync(certs.serverKey, path.join(certs.dir, 'other.key'));
    chmodSync(path.join(certs.dir, 'other.key'), 0o600);
    const cases: Array<[string[], string, string]> = [
      [['cert_file: client.pem'], 'mysql.tls.key_file', '`cert_file` needs `key_file` (a client certificate and its key)'],
      [['key_file: client.key'], 'mysql.tls.cert_file', '`key_file` needs `cert_file`'],
      [['ca_file: not.pem'], 'mysql.tls.ca_file', 'not.pem: expected a PEM certificate (-----BEGIN CERTIFICATE-----), found none'],
      [['ca_file: client.key'], 'mysql.tls.ca_file', 'expected a PEM certificate'],
      [['cert_file: client.pem', 'key_file: encrypted.key'], 'mysql.tls.key_file', 'expected an unencrypted PEM private key, found an encrypted one'],
      [['cert_file: client.pem', 'key_file: other.key'], 'mysql.tls.key_file', "the key does not match cert_file's certificate"],
      [['ca_file: /dev/zero'], 'mysql.tls.ca_file', '/dev/zero is a character device, not a regular file'],
      [['ca_file: missing.pem'], 'mysql.tls.ca_file', 'ENOENT'],
      [['server_name: 10.0.0.1'], 'mysql.tls.server_name', 'a host name'],
      [['verify: false'], 'mysql.tls.verify', 'unknown key `verify` in mysql.tls'],
    ];
    for (const [lines, field, text] of cases) {
      const error = configError(withTls(...lines), {}, config);
      expect(error.field, lines.join(', ')).toBe(field);
      expect(error.message).toContain(text);
    }
  });
});
