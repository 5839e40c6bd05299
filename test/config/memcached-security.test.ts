import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { parseConfig } from '../../src/config/index.js';
import { haveSecurityTools, makeCertificates, scratchDir, type Certificates } from '../cluster/secure-memcached.js';
import { IN_CI } from '../helpers/services.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

/** `memcached:` with its servers, then `lines`, then the rest of the minimal file. */
const withMemcached = (...lines: string[]): string => yaml(...MINIMAL.slice(0, 2), ...lines, ...MINIMAL.slice(2));

describe.skipIf(!haveSecurityTools() && !IN_CI)('memcached.sasl and memcached.tls in the cluster file', () => {
  const dir = scratchDir('authring-config-tls-');
  const file = join(dir.path, 'authring.yaml');
  let certs: Certificates;
  const write = (name: string, text: string, mode = 0o600): string => {
    writeFileSync(join(dir.path, name), text);
    chmodSync(join(dir.path, name), mode);
    return name;
  };

  beforeAll(async () => {
    certs = await makeCertificates(dir.path);
  });
  afterAll(() => dir.remove());

  it('reads the SASL password from the environment or a file, and the PEM files relative to the config file', () => {
    write('sasl.pw', 'from-a-file\n');
    const fromEnv = parseConfig(
      withMemcached('  sasl: { username: authring, password_env: MC_PW }', '  tls:', '    ca_file: ca.pem', '    cert_file: client.pem', '    key_file: client.key', '    server_name: memcached.test'),
      file,
      { MC_PW: 'from-env' },
    );
    expect(fromEnv.memcached.sasl).toEqual({ username: 'authring', password: 'from-env' });
    expect(fromEnv.memcached.tls).toEqual({
      ca: readFileSync(certs.ca, 'utf8'),
      cert: readFileSync(certs.clientCert, 'utf8'),
      key: readFileSync(certs.clientKey, 'utf8'),
      serverName: 'memcached.test',
    });
    expect(fromEnv.warnings).toEqual([]);
    const fromFile = parseConfig(withMemcached('  sasl: { username: authring, password_file: sasl.pw }', '  tls: {}'), file, {});
    expect(fromFile.memcached.sasl?.password).toBe('from-a-file');
    expect(fromFile.memcached.tls).toEqual({ ca: undefined, cert: undefined, key: undefined, serverName: undefined });
    // The resolved section is what MemcacheCluster takes, as it is.
    new MemcacheCluster(fromEnv.memcached).close();
  });

  it('leaves both off by default, and warns about SASL without TLS', () => {
    const plain = parseConfig(yaml(...MINIMAL), file, {});
    expect(plain.memcached.sasl).toBeUndefined();
    expect(plain.memcached.tls).toBeUndefined();
    const clear = parseConfig(withMemcached('  sasl: { username: authring, password_env: MC_PW }'), file, { MC_PW: 'x' });
    expect(clear.warnings.join('\n')).toMatch(/memcached\.sasl: SASL PLAIN without tls sends the password in clear text/);
  });

  it('names each mistake by its key, and never shows the password or the private key', () => {
    write('not-pem.txt', 'hello');
    const error = configError(
      withMemcached('  sasl: { password: 12345678901234 }', '  tls:', '    ca_file: missing.pem', '    cert_file: not-pem.txt', '    server_name: "bad name!"'),
      {},
      file,
    );
    expect(error.issues.map((i) => i.field)).toEqual(
      expect.arrayContaining(['memcached.sasl.username', 'memcached.sasl.password', 'memcached.tls.ca_file', 'memcached.tls.cert_file', 'memcached.tls.server_name', 'memcached.tls.key_file']),
    );
    expect(error.message).toMatch(/not-pem\.txt: expected a PEM certificate/);
    expect(error.message).not.toContain('12345678901234');

    copyFileSync(certs.clientKey, join(dir.path, 'open.key'));
    chmodSync(join(dir.path, 'open.key'), 0o644);
    const open = parseConfig(withMemcached('  tls: { cert_file: client.pem, key_file: open.key }'), file, {});
    expect(open.warnings.join('\n')).toMatch(/open\.key is open to other users \(mode 644\); chmod 600 it/);
    const keyBody = readFileSync(certs.clientKey, 'utf8').split('\n')[1] as string;
    const mismatch = configError(withMemcached('  tls: { cert_file: client.pem, key_file: server.key }'), {}, file);
    expect(mismatch.message).toContain("the key does not match cert_file's certificate");
    expect(`${mismatch.message}${JSON.stringify(open.warnings)}`).not.toContain(keyBody);
  });

  it('refuses a secret or PEM file that is no regular file, without reading it', () => {
    const error = configError(withMemcached('  sasl: { username: a, password_file: /dev/zero }', '  tls: { ca_file: /dev/zero }'), {}, file);
    expect(error.issues.map((i) => i.field)).toEqual(['memcached.sasl.password_file', 'memcached.tls.ca_file']);
    expect(error.message).toMatch(/\/dev\/zero is a character device, not a regular file/);
  });
});
