import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import type { MemcacheClusterOptions } from '../../src/cluster/options.js';
import { probeMemcached } from '../../src/cli/probe/memcached.js';
import { parseConfig } from '../../src/config/index.js';
import type { AuthringError } from '../../src/errors.js';
import { IN_CI, MemcachedProcess, needBinary } from '../helpers/services.js';
import { rawGet } from '../helpers/text-protocol.js';
import { haveSecurityTools, makeCertificates, scratchDir, startSaslMemcached, startTlsMemcached, type Certificates } from './secure-memcached.js';

const PASSWORD = 'pw-Zq81-never-printed';
const ready = needBinary('memcached') && (haveSecurityTools() || IN_CI);

/** Every request, in one place, so each test proves the whole API works over the secured link. */
async function roundTrip(cluster: MemcacheCluster, prefix: string): Promise<void> {
  const keys = Array.from({ length: 20 }, (_, i) => `${prefix}:${i}`);
  await Promise.all(keys.map((k) => cluster.set(k, `v:${k}`)));
  expect((await cluster.get(keys[0] as string))?.value.toString()).toBe(`v:${keys[0]}`);
  const hits = await cluster.getMulti(keys);
  expect(hits.size).toBe(keys.length);
  expect(await cluster.incr(`${prefix}:n`, 2n, { initial: 5n })).toBe(5n);
  expect(await cluster.incr(`${prefix}:n`, 2n)).toBe(7n);
  expect(await cluster.delete(keys[0] as string)).toBe(true);
}

async function failure(promise: Promise<unknown>): Promise<AuthringError> {
  const [result] = await Promise.allSettled([promise]);
  expect(result?.status).toBe('rejected');
  return (result as PromiseRejectedResult).reason as AuthringError;
}

/** What a caller could print about a failure: message, stack, causes, JSON. */
function printed(error: unknown): string {
  return `${inspect(error, { depth: 5 })}\n${JSON.stringify(error)}\n${String(error)}`;
}

describe.skipIf(!ready)('memcached with SASL and TLS', () => {
  const dir = scratchDir('authring-secure-');
  let certs: Certificates;
  let sasl: MemcachedProcess;
  let tls: MemcachedProcess;
  let mutualTls: MemcachedProcess;
  let both: MemcachedProcess;
  let plain: MemcachedProcess;
  let cluster: MemcacheCluster | undefined;

  beforeAll(async () => {
    certs = await makeCertificates(dir.path);
    [sasl, tls, mutualTls, plain] = await Promise.all([
      startSaslMemcached(dir.path, { authring: PASSWORD }),
      startTlsMemcached(certs),
      startTlsMemcached(certs, { verifyClients: true }),
      MemcachedProcess.start(),
    ]);
    both = await startTlsMemcached(certs, { extraArgs: ['-S'], env: { SASL_CONF_PATH: dir.path } });
  });

  afterEach(() => {
    cluster?.close();
    cluster = undefined;
  });

  afterAll(async () => {
    await Promise.all([sasl, tls, mutualTls, both, plain].map((s) => s?.stop()));
    dir.remove();
  });

  const pem = (file: string): string => readFileSync(file, 'utf8');
  function open(server: MemcachedProcess, options: Partial<MemcacheClusterOptions> = {}): MemcacheCluster {
    cluster = new MemcacheCluster({ timeoutMs: 3000, connectTimeoutMs: 3000, failureThreshold: 2, probeIntervalMs: 60_000, ...options, servers: [server.address] });
    return cluster;
  }

  describe('SASL (memcached -S)', () => {
    it('authenticates with PLAIN before the first request, then serves every operation', async () => {
      await roundTrip(open(sasl, { sasl: { username: 'authring', password: PASSWORD } }), 'sasl');
      // The same server refuses anyone who has not authenticated, text protocol included.
      await expect(rawGet(sasl.port, 'sasl:1')).rejects.toThrow();
    });

    it('a wrong password fails with E_AUTH, never shows the password, and counts toward marking the server down', async () => {
      const wrong = 'wrong-Kx7-not-printed';
      const c = open(sasl, { sasl: { username: 'authring', password: wrong } });
      const down = new Promise<string>((resolve) => c.once('server-down', resolve));
      const first = await failure(c.get('k'));
      expect(first).toMatchObject({ code: 'E_AUTH', server: sasl.address, key: 'k' });
      expect(first.message).toMatch(/SASL PLAIN authentication as "authring" refused/);
      expect(printed(first)).not.toContain(wrong);
      await failure(c.get('k'));
      expect(await down).toBe(sasl.address);
      expect(c.stats().servers[0]).toMatchObject({ state: 'down', authErrors: 2 });
    });

    it('without credentials, a server that demands them answers E_AUTH', async () => {
      const error = await failure(open(sasl).get('k'));
      expect(error).toMatchObject({ code: 'E_AUTH', server: sasl.address });
      expect(error.message).toContain('requires SASL authentication and none is configured');
    });

    it('credentials for a server without SASL fail rather than go unused', async () => {
      const error = await failure(open(plain, { sasl: { username: 'authring', password: PASSWORD } }).get('k'));
      expect(error).toMatchObject({ code: 'E_AUTH', server: plain.address });
      expect(error.message).toContain('does not offer SASL');
    });

    it('never prints the password: not the client, its stats, its errors, nor a bad option', () => {
      const c = open(sasl, { sasl: { username: 'authring', password: PASSWORD } });
      expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(PASSWORD);
      expect(JSON.stringify(c['options'])).not.toContain(PASSWORD);
      expect(JSON.stringify(c.stats())).not.toContain(PASSWORD);
      const bad = (() => {
        try {
          new MemcacheCluster({ servers: [sasl.address], sasl: { username: '', password: PASSWORD } });
        } catch (error) {
          return error;
        }
      })();
      expect(bad).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
      expect(printed(bad)).not.toContain(PASSWORD);
    });
  });

  describe('TLS (memcached -Z)', () => {
    it('verifies the server against the CA and its address, then serves every operation', async () => {
      await roundTrip(open(tls, { tls: { ca: pem(certs.ca) } }), 'tls');
    });

    it('checks the certificate against server_name when one is given', async () => {
      await roundTrip(open(tls, { tls: { ca: pem(certs.ca), serverName: 'memcached.test' } }), 'tls-name');
      const error = await failure(open(tls, { tls: { ca: pem(certs.ca), serverName: 'other.test' } }).get('k'));
      expect(error).toMatchObject({ code: 'E_CONNECTION', server: tls.address });
      expect(error.message).toMatch(/other\.test|altnames/);
    });

    it('refuses a server whose certificate another CA signed, before sending anything', async () => {
      const error = await failure(open(tls, { tls: { ca: pem(certs.otherCa) } }).get('k'));
      expect(error).toMatchObject({ code: 'E_CONNECTION', server: tls.address });
      expect(error.message).toMatch(/certificate/i);
    });

    it('presents a client certificate to a server that demands one', async () => {
      const withCert = { ca: pem(certs.ca), cert: pem(certs.clientCert), key: pem(certs.clientKey) };
      await roundTrip(open(mutualTls, { tls: withCert }), 'mtls');
      cluster?.close();
      const error = await failure(open(mutualTls, { tls: { ca: pem(certs.ca) } }).get('k'));
      expect(error).toMatchObject({ code: 'E_CONNECTION', server: mutualTls.address });
      expect(printed(error)).not.toContain(pem(certs.clientKey).split('\n')[1]);
    });

    it('plain TCP to a TLS server, and TLS to a plain server, fail without a hang', async () => {
      expect(await failure(open(tls).get('k'))).toMatchObject({ server: tls.address });
      cluster?.close();
      expect(await failure(open(plain, { tls: { ca: pem(certs.ca) } }).get('k'))).toMatchObject({ code: 'E_CONNECTION', server: plain.address });
    });

    it('carries SASL inside TLS', async () => {
      await roundTrip(open(both, { tls: { ca: pem(certs.ca) }, sasl: { username: 'authring', password: PASSWORD } }), 'both');
      const error = await failure(open(both, { tls: { ca: pem(certs.ca) }, sasl: { username: 'authring', password: 'nope-nope' } }).get('k'));
      expect(error).toMatchObject({ code: 'E_AUTH' });
    });

    it('runs from the cluster file: password from the environment, CA file next to it; authring check gets through', async () => {
      const file = join(dir.path, 'authring.yaml');
      const text = [
        'memcached:',
        `  servers: ["${both.address}"]`,
        '  timeout_ms: 3000',
        '  connect_timeout_ms: 3000',
        '  sasl: { username: authring, password_env: MEMCACHED_PASSWORD }',
        `  tls: { ca_file: ${certs.ca}, server_name: memcached.test }`,
        'mysql: { user: authring, database: authring_demo }',
      ].join('\n');
      writeFileSync(file, text);
      const config = parseConfig(text, file, { MEMCACHED_PASSWORD: PASSWORD });
      expect(config.warnings).toEqual([]);
      cluster = new MemcacheCluster(config.memcached);
      await roundTrip(cluster, 'from-config');
      const check = await probeMemcached(both.address, 'memcached', config.memcached, 3000);
      expect(check).toMatchObject({ status: 'up', version: expect.stringMatching(/^1\./) });
      const refused = await probeMemcached(both.address, 'memcached', { ...config.memcached, sasl: { username: 'authring', password: 'wrong-one' } }, 3000);
      expect(refused).toMatchObject({ status: 'down', error: expect.stringMatching(/SASL PLAIN authentication as "authring" refused/) });
      expect(JSON.stringify(refused)).not.toContain('wrong-one');
    });

    it('never prints the private key', () => {
      const key = pem(certs.clientKey);
      const c = open(mutualTls, { tls: { ca: pem(certs.ca), cert: pem(certs.clientCert), key } });
      const body = key.split('\n')[1] as string;
      expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(body);
      expect(JSON.stringify(c['options'])).not.toContain(body);
    });
  });
});
