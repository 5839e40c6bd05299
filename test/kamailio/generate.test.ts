/**
 * The generators' output is accepted by the real programs: the nutcracker pool by
 * `nutcracker -t`, the Kamailio fragment (included in a full cfg) by `kamailio -c`, in every
 * shape the options and config can give it. Their contents are checked too: placement settings,
 * canonical server order, the key the route builds, TTLs, and the typed errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { canonicalServerOrder } from '../../src/cluster/ketama.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { parseConfig, type AuthringConfig } from '../../src/config/index.js';
import { AuthringError } from '../../src/errors.js';
import { kamailioConfig, nutcrackerConfig, type KamailioConfigOptions } from '../../src/kamailio/index.js';
import { KamailioConfigError } from '../../src/errors.js';
import { needKamailio } from '../helpers/kamailio.js';
import { needKamailioModule, renderCfg, sharedCacheTemplate } from '../helpers/kamailio-memcached.js';
import { findBinary, needBinary } from '../helpers/services.js';

/** A config from YAML lines after the memcached/mysql sections. */
function config(servers: readonly string[], ...extra: string[]): AuthringConfig {
  const text = [
    'memcached:',
    '  servers:',
    ...servers.map((s) => `    - ${JSON.stringify(s)}`),
    'mysql:',
    '  user: authring',
    '  database: authring_test',
    ...extra,
  ].join('\n');
  return parseConfig(`${text}\n`, 'authring.yaml', {});
}

const THREE = ['127.0.0.1:11313', '127.0.0.1:9574:2', '[::1]:11311'];

/** Asserts `fn` throws a KamailioConfigError for `field`. */
function configError(fn: () => unknown, field: string): KamailioConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KamailioConfigError);
    expect(error).toBeInstanceOf(AuthringError);
    const typed = error as KamailioConfigError;
    expect(typed.code).toBe('E_KAMAILIO_CONFIG');
    expect(typed.field).toBe(field);
    return typed;
  }
  throw new Error('expected a KamailioConfigError');
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'authring-generate-'));
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('nutcrackerConfig', () => {
  it('refuses servers that need SASL or TLS, which nutcracker cannot speak', () => {
    const cfg = config(THREE);
    const tls = { ca: undefined, cert: undefined, key: undefined, serverName: undefined };
    configError(() => nutcrackerConfig({ ...cfg, memcached: { ...cfg.memcached, tls } }, { listen: '127.0.0.1:22121' }), 'memcached.tls');
    const sasl = { username: 'authring', password: 'not-shown-here' };
    const error = configError(() => nutcrackerConfig({ ...cfg, memcached: { ...cfg.memcached, sasl } }, { listen: '127.0.0.1:22121' }), 'memcached.sasl');
    expect(error.message).not.toContain('not-shown-here');
  });

  it('writes a ketama/md5 pool in canonical server order with bare IPv6 hosts and no ejection', () => {
    const cfg = config(THREE);
    const yaml = nutcrackerConfig(cfg, { listen: '127.0.0.1:22121' });
    const parsed = parseYaml(yaml) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed)).toEqual(['authring']);
    const pool = parsed['authring'] ?? {};
    expect(pool).toMatchObject({
      listen: '127.0.0.1:22121',
      hash: 'md5',
      distribution: 'ketama',
      auto_eject_hosts: false,
      timeout: cfg.memcached.timeoutMs,
      server_retry_timeout: cfg.memcached.probeIntervalMs,
      server_failure_limit: cfg.memcached.failureThreshold,
      preconnect: true,
    });
    expect(pool['hash_tag']).toBeUndefined();
    const canonical = canonicalServerOrder(parseServerList(THREE)).map((s) => `${s.host}:${s.port}:${s.weight}`);
    expect(pool['servers']).toEqual(canonical);
    expect(pool['servers']).toEqual(['::1:11311:1', '127.0.0.1:9574:2', '127.0.0.1:11313:1']);
  });

  it('takes timeouts from the cluster config and a pool name', () => {
    const cfg = config(['127.0.0.1:11311']);
    const custom = parseConfig(
      'memcached:\n  servers: [127.0.0.1:11311]\n  timeout_ms: 120\n  failure_threshold: 5\n  probe_interval_ms: 700\nmysql:\n  user: a\n  database: b\n',
      'authring.yaml',
      {},
    );
    const pool = (parseYaml(nutcrackerConfig(custom, { listen: 'localhost:22122', poolName: 'ring_1' })) as Record<string, Record<string, unknown>>)['ring_1'];
    expect(pool).toMatchObject({ listen: 'localhost:22122', timeout: 120, server_failure_limit: 5, server_retry_timeout: 700 });
    expect(nutcrackerConfig(cfg, { listen: '127.0.0.1:1' })).toContain('authring:');
  });

  it('refuses listen addresses and pool names it cannot write', () => {
    const cfg = config(THREE);
    for (const listen of ['[::1]:22121', '::1:22121', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', ' 127.0.0.1:1', '']) {
      configError(() => nutcrackerConfig(cfg, { listen }), 'listen');
    }
    configError(() => nutcrackerConfig(cfg, { listen: '127.0.0.1:22121', poolName: 'a b' }), 'poolName');
    configError(() => nutcrackerConfig(cfg, { listen: '127.0.0.1:22121', poolName: '' }), 'poolName');
  });

  describe.skipIf(!needBinary('nutcracker'))('nutcracker -t', () => {
    const cases: [string, readonly string[]][] = [
      ['one server', ['127.0.0.1:11311']],
      ['weights, IPv6 and a host name', THREE],
      ['port 11211 and localhost', ['127.0.0.1:11211:3', 'localhost:11312', '127.0.0.2:11311']],
      ['64 servers', Array.from({ length: 64 }, (_, i) => `127.0.0.1:${11311 + i}:${(i % 5) + 1}`)],
    ];
    it.each(cases)('accepts the pool: %s', async (_name, servers) => {
      const file = path.join(dir, `nutcracker-${servers.length}.yml`);
      await writeFile(file, nutcrackerConfig(config(servers), { listen: '127.0.0.1:22121' }), 'utf8');
      const check = spawnSync(findBinary('nutcracker') ?? 'nutcracker', ['-t', '-c', file], { encoding: 'utf8', timeout: 10_000 });
      expect(`${check.stdout}${check.stderr}`).toContain('syntax is ok');
      expect(check.status).toBe(0);
    });
  });
});

describe('kamailioConfig', () => {
  const options: KamailioConfigOptions = { twemproxyListen: '127.0.0.1:22121', groups: ['ipauth'] };

  it('loads the memcached module on the local nutcracker with the cache TTL and string values', () => {
    const fragment = kamailioConfig(config(THREE), options);
    expect(fragment).toContain('loadmodule "memcached.so"');
    expect(fragment).toContain('modparam("memcached", "servers", "127.0.0.1:22121")');
    expect(fragment).toContain('modparam("memcached", "expire", 300)');
    expect(fragment).toContain('modparam("memcached", "stringify", 1)');
    expect(fragment).toContain('modparam("memcached", "mode", 0)');
    expect(fragment).toContain('route[AUTHRING_IS_USER_IN] {');
    // No line may start a preprocessor directive by accident.
    expect(fragment.split('\n').filter((line) => /^\s*##?!/.test(line))).toEqual([]);
  });

  it('builds <prefix><gen>:grp:<USER>[:<DOMAIN>]:<GROUP> with folded, escaped fixed parts', () => {
    const plain = kamailioConfig(config(THREE), { ...options, groups: ['ipauth', 'Ops', 'a:b c%'] });
    expect(plain).toContain('$var(authring_key) = "authring:" + $vn(authring_gen) + ":grp:" + $(fU{s.toupper}) + ":" + $var(authring_gpart);');
    expect(plain).toContain('$var(authring_nskey) = "authring:ns";');
    expect(plain).toContain('$var(authring_gpart) = "IPAUTH";');
    expect(plain).toContain('$var(authring_gpart) = "OPS";');
    expect(plain).toContain('$var(authring_gpart) = "A%3AB%20C%25";');
    expect(plain).toContain('is_user_in("From", "a:b c%");');

    const domain = kamailioConfig(config(THREE, 'lookups:', '  group:', '    use_domain: true'), options);
    expect(domain).toContain('":grp:" + $(fU{s.toupper}) + ":" + $(fd{s.toupper}) + ":" + $var(authring_gpart)');
    expect(domain).toContain('$fd =~ "^[-A-Za-z0-9.]+$"');

    const binary = kamailioConfig(config(THREE), { ...options, groups: ['Ops'], caseFolding: 'none' });
    expect(binary).toContain('":grp:" + $fU + ":" + $var(authring_gpart)');
    expect(binary).toContain('$var(authring_gpart) = "Ops";');

    const prefixed = kamailioConfig(config(THREE, 'cache:', '  key_prefix: "a\\"b\\\\c$d:"'), options);
    expect(prefixed).toContain('$var(authring_nskey) = "a\\"b\\\\c$d:ns";');
  });

  it('writes positive and negative entries with jittered TTLs, and no negatives when negative_ttl_s is 0', () => {
    const fragment = kamailioConfig(config(THREE, 'cache:', '  ttl_s: 600', '  negative_ttl_s: 30', '  jitter: 0.2'), options);
    expect(fragment).toContain('$var(authring_ttl) = 600 - ($TV(u) mod 120);');
    expect(fragment).toContain('$var(authring_ttl) = 30 - ($TV(u) mod 6);');
    expect(fragment).toContain('$mct($var(authring_key)=>$var(authring_ttl)) = "1";');
    expect(fragment).toContain('$mct($var(authring_key)=>$var(authring_ttl)) = "0";');

    const noNegative = kamailioConfig(config(THREE, 'cache:', '  negative_ttl_s: 0', '  jitter: 0'), options);
    expect(noNegative).toContain('$var(authring_ttl) = 300;');
    expect(noNegative).not.toContain('= "0";');
  });

  it('refuses what Kamailio cannot share or parse', () => {
    const signed = config(THREE, 'cache:', '  codec: signed', '  secret: "0123456789abcdef0123456789"');
    configError(() => kamailioConfig(signed, options), 'cache.codec');
    configError(() => kamailioConfig(config(THREE), { ...options, twemproxyListen: '[::1]:22121' }), 'twemproxyListen');
    configError(() => kamailioConfig(config(THREE), { ...options, twemproxyListen: '/run/nutcracker.sock' }), 'twemproxyListen');
    configError(() => kamailioConfig(config(THREE), { ...options, groups: [] }), 'groups');
    configError(() => kamailioConfig(config(THREE), { ...options, groups: ['ok', 'say "hi"'] }), 'groups[1]');
    configError(() => kamailioConfig(config(THREE), { ...options, groups: ['back\\slash'] }), 'groups[0]');
    configError(() => kamailioConfig(config(THREE), { ...options, groups: ['$var(x)'] }), 'groups[0]');
    configError(() => kamailioConfig(config(THREE), { ...options, groups: ['ipauth '] }), 'groups[0]');
    configError(() => kamailioConfig(config(THREE), { ...options, groups: ['josé'] }), 'groups[0]');
    configError(() => kamailioConfig(config(THREE), { ...options, groups: [''] }), 'groups[0]');
  });

  it('adds the credentials routes on request, keyed like authring, and refuses what they cannot serve', () => {
    const withCredentials = kamailioConfig(config(THREE), { ...options, groups: [], credentials: { sqlConnection: 'authdb' } });
    expect(withCredentials).not.toContain('route[AUTHRING_IS_USER_IN]');
    for (const route of ['AUTHRING_WWW_AUTHORIZE', 'AUTHRING_PROXY_AUTHORIZE', 'AUTHRING_CREDENTIALS']) expect(withCredentials).toContain(`route[${route}] {`);
    expect(withCredentials).toContain('$var(authring_key) = "authring:" + $vn(authring_gen) + ":cred:" + $(var(authring_user){s.toupper});');
    expect(withCredentials).toContain('sql_query("authdb", "$var(authring_sql)", "authring_cred");');
    expect(withCredentials).toContain('www_authorize("$var(authring_realm)", "subscriber");');
    expect(withCredentials).toContain('pv_proxy_authenticate("$var(authring_realm)", "$var(authring_ha1)", "1");');

    const domain = kamailioConfig(config(THREE, 'lookups:', '  credentials:', '    use_domain: true', '    table: subs', '    user_column: u'), {
      ...options,
      caseFolding: 'none',
      credentials: { sqlConnection: 'authring' },
    });
    expect(domain).toContain('":cred:" + $var(authring_user) + ":" + $var(authring_domain);');
    expect(domain).toContain('"SELECT `ha1`, `ha1b` FROM `subs` WHERE `u` = " + $(var(authring_user){sql.val.str}) + " AND `domain` = " + $(var(authring_domain){sql.val.str});');
    expect(domain).toContain('proxy_authorize("$var(authring_realm)", "subs");');
    expect(domain).toContain('route[AUTHRING_IS_USER_IN] {');

    configError(() => kamailioConfig(config(THREE), { ...options, groups: [] }), 'groups');
    configError(() => kamailioConfig(config(THREE), { ...options, credentials: { sqlConnection: 'a-b' } }), 'sqlConnection');
    const calc = config(THREE, 'lookups:', '  credentials:', '    calculate_ha1: true');
    configError(() => kamailioConfig(calc, { ...options, credentials: { sqlConnection: 'authring' } }), 'lookups.credentials.calculate_ha1');
  });

  const kamailioReady = needKamailio() && needKamailioModule('memcached', 'kamailio-memcached-modules') && needKamailioModule('db_mysql', 'kamailio-mysql-modules');

  describe.skipIf(!kamailioReady)('kamailio -c', () => {
    const cases: [string, AuthringConfig, KamailioConfigOptions, boolean][] = [
      ['defaults', config(THREE), options, false],
      ['use_domain', config(THREE, 'lookups:', '  group:', '    use_domain: true'), { ...options, groups: ['ipauth', 'voicemail'] }, true],
      ['binary collation, groups needing escapes', config(THREE), { ...options, caseFolding: 'none', groups: ['Ops', 'a:b c%', "it's#1"] }, false],
      ['odd prefix, no negative caching, no jitter', config(THREE, 'cache:', '  key_prefix: "a\\"b\\\\c$d=>:"', '  negative_ttl_s: 0', '  jitter: 0'), options, false],
      ['host name listen, long TTL', config(THREE, 'cache:', '  ttl_s: 86400'), { ...options, twemproxyListen: 'localhost:6000' }, false],
    ];
    /** `kamailio -c` of the test cfg including `fragment`. */
    async function check(slug: string, fragment: string, useDomain: boolean): Promise<{ status: number | null; output: string }> {
      const fragmentPath = path.join(dir, `fragment-${slug}.cfg`);
      await writeFile(fragmentPath, fragment, 'utf8');
      const cfgPath = path.join(dir, `kamailio-${slug}.cfg`);
      await writeFile(
        cfgPath,
        renderCfg(sharedCacheTemplate(fragmentPath), {
          DEBUG: '2',
          PORT: '25060',
          DB_URL: 'mysql://authring:authring@127.0.0.1:3306/authring_check_only',
          GROUP_USE_DOMAIN: useDomain ? '1' : '0',
        }),
        'utf8',
      );
      const run = spawnSync(findBinary('kamailio') ?? 'kamailio', ['-c', '-f', cfgPath], { encoding: 'utf8', timeout: 20_000 });
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    }

    it.each(cases)('accepts a cfg including the fragment: %s', async (name, cfg, opts, useDomain) => {
      const { status, output } = await check(name.replace(/[^a-z]+/g, '-'), kamailioConfig(cfg, opts), useDomain);
      expect(output, output).not.toMatch(/ERROR|CRITICAL/);
      expect(output).toContain('config file ok');
      expect(status, output).toBe(0);
    });

    it('rejects a broken fragment (the check is real)', async () => {
      const broken = kamailioConfig(config(THREE), options).replace('return($var(authring_rc));', 'return($var(authring_rc);');
      const { status, output } = await check('broken', broken, false);
      expect(output).toMatch(/syntax error/);
      expect(status).not.toBe(0);
    });
  });
});
