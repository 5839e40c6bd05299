/**
 * `mysql.tls` against a real MariaDB with TLS: a private server (own data directory, a free
 * loopback port, throwaway certificates) whose accounts require TLS, one of them a client
 * certificate. The connection is encrypted and verified; a wrong CA or a wrong name is refused.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlPool } from '../../src/auth/mysql-options.js';
import { authCacheOptions, mysqlOptions } from '../../src/runtime/from-config.js';
import { parseConfig, type AuthringConfig } from '../../src/config/index.js';
import { PrivateMariadb } from '../helpers/private-mariadb.js';
import { needBinary } from '../helpers/services.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.js';
import { authringJson } from './cli.js';

// mariadb-install-db comes with mariadbd (Debian package mariadb-server).
const ready = needBinary('mariadbd') && needBinary('openssl');

describe.skipIf(!ready)('MySQL over TLS', { timeout: 180_000 }, () => {
  let certs: TestCertificates;
  let server: PrivateMariadb;

  beforeAll(async () => {
    certs = makeTestCertificates();
    server = await PrivateMariadb.start({ tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey } });
    await server.sql(`
      CREATE DATABASE kamailio;
      CREATE TABLE kamailio.grp (id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(64), domain VARCHAR(64), grp VARCHAR(64));
      CREATE USER 'tls'@'127.0.0.1' IDENTIFIED BY 'tls-pw' REQUIRE SSL;
      CREATE USER 'x509'@'127.0.0.1' IDENTIFIED BY 'x509-pw' REQUIRE X509;
      GRANT SELECT ON kamailio.* TO 'tls'@'127.0.0.1';
      GRANT SELECT ON kamailio.* TO 'x509'@'127.0.0.1';`);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** A config file for the private server: `tls` lines under `mysql.tls` (none: no `tls` key). */
  function config(user: string, tls: string[] | undefined, host = '127.0.0.1'): { file: string; parsed: AuthringConfig } {
    const file = path.join(certs.dir, `${user}-${Math.random().toString(36).slice(2)}.yaml`);
    const lines = [
      'memcached:',
      '  servers: [127.0.0.1:1]',
      'mysql:',
      `  host: ${host}`,
      `  port: ${server.port}`,
      `  user: ${user}`,
      `  password: ${user}-pw`,
      '  database: kamailio',
      '  connect_timeout_ms: 20000',
      ...(tls === undefined ? [] : ['  tls:', ...tls.map((l) => `    ${l}`)]),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    return { file, parsed: parseConfig(`${lines.join('\n')}\n`, file, {}) };
  }

  /** The TLS cipher of a session opened with these options, or the error code. */
  async function cipher(options: Parameters<typeof createMysqlPool>[0]): Promise<string> {
    const pool = createMysqlPool(options);
    try {
      const [rows] = await pool.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      return String(rows[0]?.['Value'] ?? '');
    } catch (error) {
      return `error: ${String((error as { code?: unknown }).code)}: ${(error as Error).message}`;
    } finally {
      await pool.end().catch(() => undefined);
    }
  }

  it('connects encrypted with the CA from ca_file and checks the name given in server_name', async () => {
    const { parsed } = config('tls', ['ca_file: ca.pem', `server_name: ${certs.serverName}`]);
    // The lookups' pool (authCacheOptions) and the command line's (mysqlOptions) both use it.
    expect(await cipher(authCacheOptions(parsed).mysql as Parameters<typeof createMysqlPool>[0])).toMatch(/^TLS_|^ECDHE|AES/);
    expect(await cipher(mysqlOptions(parsed.mysql, 1))).toMatch(/^TLS_|^ECDHE|AES/);
  });

  it('checks the host name when it is one', async () => {
    const { parsed } = config('tls', ['ca_file: ca.pem'], 'localhost');
    expect(await cipher(mysqlOptions(parsed.mysql, 1))).toMatch(/^TLS_|AES/);
  });

  it('refuses a server whose certificate chains to another CA', async () => {
    const { parsed } = config('tls', [`ca_file: ${certs.otherCa}`, `server_name: ${certs.serverName}`]);
    expect(await cipher(mysqlOptions(parsed.mysql, 1))).toMatch(/^error: HANDSHAKE_SSL_ERROR: self[- ]signed certificate/);
    // With Node's built-in CAs (an empty tls mapping) the throwaway CA is unknown too.
    const { parsed: system } = config('tls', []);
    expect(await cipher(mysqlOptions(system.mysql, 1))).toMatch(/^error: HANDSHAKE_SSL_ERROR/);
  });

  it('refuses a certificate that does not carry server_name', async () => {
    const { parsed } = config('tls', ['ca_file: ca.pem', 'server_name: other.authring.test']);
    expect(await cipher(mysqlOptions(parsed.mysql, 1))).toMatch(/^error: HANDSHAKE_SSL_ERROR: Hostname\/IP does not match certificate's altnames: Host: other\.authring\.test/);
  });

  it('presents the client certificate to an account that requires one', async () => {
    const { parsed } = config('x509', ['ca_file: ca.pem', `server_name: ${certs.serverName}`, 'cert_file: client.pem', 'key_file: client.key']);
    expect(await cipher(mysqlOptions(parsed.mysql, 1))).toMatch(/^TLS_|AES/);
    const { parsed: without } = config('x509', ['ca_file: ca.pem', `server_name: ${certs.serverName}`]);
    expect(await cipher(mysqlOptions(without.mysql, 1))).toMatch(/^error: ER_ACCESS_DENIED_ERROR/);
  });

  it('without mysql.tls an account that requires TLS is refused: the setting is what encrypts', async () => {
    const { parsed } = config('tls', undefined);
    expect(await cipher(mysqlOptions(parsed.mysql, 1))).toMatch(/^error: ER_ACCESS_DENIED_ERROR/);
  });

  it('authring check reaches MySQL over TLS, and reports a wrong CA as down', async () => {
    const good = config('tls', ['ca_file: ca.pem', `server_name: ${certs.serverName}`]);
    const up = await authringJson<{ checks: Array<{ kind: string; status: string; error?: string }> }>(['-c', good.file, '--timeout', '30000', 'check']);
    expect(up.json.checks.find((c) => c.kind === 'mysql')).toMatchObject({ status: 'up' });
    const bad = config('tls', [`ca_file: ${certs.otherCa}`, `server_name: ${certs.serverName}`]);
    const down = await authringJson<{ checks: Array<{ kind: string; status: string; error?: string }> }>(['-c', bad.file, '--timeout', '30000', 'check']);
    expect(down.result.code).toBe(1);
    expect(down.json.checks.find((c) => c.kind === 'mysql')).toMatchObject({ status: 'down', error: expect.stringMatching(/self[- ]signed certificate/) });
  });
});
