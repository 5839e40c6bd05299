import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const KEY_BODY = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRET';
const PEM_KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;

describe('memcached.sasl and memcached.tls in the cluster file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authring-config-tls-'));
  const file = join(dir, 'authring.yaml');
  const write = (name: string, text: string, mode = 0o600): string => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), mode);
    return name;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the SASL password from the environment or a file, and the PEM files relative to the config file', () => {
    write('ca.pem', PEM_CERT);
    write('client.pem', PEM_CERT);
    write('client.key', PEM_KEY);
    write('sasl.pw', 'from-a-file\n');
    const fromEnv = parseConfig(
      yaml(...MINIMAL.slice(0, 2), '  sasl: { username: authring, password_env: MC_PW }', '  tls:', '    ca_file: ca.pem', '    cert_file: client.pem', '    key_file: client.key', '    server_name: memcached.test', ...MINIMAL.slice(2)),
      file,
      { MC_PW: 'from-env' },
    );
    expect(fromEnv.memcached.sasl).toEqual({ username: 'authring', password: 'from-env' });
    expect(fromEnv.memcached.tls).toEqual({ ca: PEM_CERT, cert: PEM_CERT, key: PEM_KEY, serverName: 'memcached.test' });
    expect(fromEnv.warnings).toEqual([]);
    const fromFile = parseConfig(yaml(...MINIMAL.slice(0, 2), '  sasl: { username: authring, password_file: sasl.pw }', '  tls: {}', ...MINIMAL.slice(2)), file, {});
    expect(fromFile.memcached.sasl?.password).toBe('from-a-file');
    expect(fromFile.memcached.tls).toEqual({ ca: undefined, cert: undefined, key: undefined, serverName: undefined });
    // The resolved section is what MemcacheCluster takes, as it is.
    new MemcacheCluster(fromEnv.memcached).close();
  });

  it('leaves both off by default, and warns about SASL without TLS', () => {
    const plain = parseConfig(yaml(...MINIMAL), file, {});
    expect(plain.memcached.sasl).toBeUndefined();
    expect(plain.memcached.tls).toBeUndefined();
    const clear = parseConfig(yaml(...MINIMAL.slice(0, 2), '  sasl: { username: authring, password_env: MC_PW }', ...MINIMAL.slice(2)), file, { MC_PW: 'x' });
    expect(clear.warnings.join('\n')).toMatch(/memcached\.sasl: SASL PLAIN without tls sends the password in clear text/);
  });

  it('names each mistake by its key, and never shows the password or the private key', () => {
    write('not-pem.txt', 'hello');
    write('open.key', PEM_KEY, 0o644);
    const error = configError(
      yaml(
        ...MINIMAL.slice(0, 2),
        '  sasl: { password: 12345678901234 }',
        '  tls:',
        '    ca_file: missing.pem',
        '    cert_file: not-pem.txt',
        '    server_name: "bad name!"',
        ...MINIMAL.slice(2),
      ),
      {},
      file,
    );
    const fields = error.issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining(['memcached.sasl.username', 'memcached.sasl.password', 'memcached.tls.ca_file', 'memcached.tls.cert_file', 'memcached.tls.server_name']),
    );
    expect(error.message).toContain('cert_file and key_file go together');
    expect(error.message).toMatch(/not-pem\.txt holds no PEM CERTIFICATE/);
    expect(error.message).not.toContain('12345678901234');

    const keyIssue = configError(yaml(...MINIMAL.slice(0, 2), '  tls: { cert_file: missing.pem, key_file: not-pem.txt }', ...MINIMAL.slice(2)), {}, file);
    expect(keyIssue.message).toMatch(/not-pem\.txt holds no PEM PRIVATE KEY/);
    const open = parseConfig(yaml(...MINIMAL.slice(0, 2), `  tls: { cert_file: ${write('c.pem', PEM_CERT)}, key_file: open.key }`, ...MINIMAL.slice(2)), file, {});
    expect(open.warnings.join('\n')).toMatch(/open\.key is open to other users \(mode 644\); chmod 600 it/);
    expect(JSON.stringify(open.warnings)).not.toContain(KEY_BODY);
  });

  it('refuses a secret file that is no regular file, or too large, without reading it', () => {
    const error = configError(yaml(...MINIMAL.slice(0, 2), '  sasl: { username: a, password_file: /dev/zero }', '  tls: { ca_file: /dev/zero }', ...MINIMAL.slice(2)), {}, file);
    expect(error.issues.map((i) => i.field)).toEqual(['memcached.sasl.password_file', 'memcached.tls.ca_file']);
    expect(error.message).toMatch(/\/dev\/zero is a character device, not a regular file/);
  });
});
