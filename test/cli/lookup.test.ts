import { beforeAll, describe, expect, it } from 'vitest';
import { KetamaRing } from '../../src/cluster/ring.js';
import { parseServerList } from '../../src/cluster/server-spec.js';
import { toWireKey } from '../../src/cluster/wire-key.js';
import { FIXTURES, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { useServicesFixture } from '../helpers/services-fixture.js';
import { authring, authringJson, tempDir, writeConfig } from './cli.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

interface Secret {
  prefix: string;
  length: number;
  value?: string;
}

interface LookupJson {
  question: Record<string, string | number>;
  source: string;
  server: string | null;
  key: string | null;
  member?: boolean;
  allowed?: boolean;
  found?: boolean;
  credentials?: { ha1: Secret; ha1b: Secret; password?: Secret };
}

describe.skipIf(!ready)('authring lookup', () => {
  const services = useServicesFixture(3);
  const { servers } = services;
  let db: KamailioDatabase;
  let dir: string;
  let n = 0;
  const alice = FIXTURES.subscribers[0];

  beforeAll(() => {
    db = services.db;
    dir = tempDir();
  });

  /** A config with a fresh key prefix, so every test starts with an empty cache. */
  const freshConfig = (): string => {
    n += 1;
    return writeConfig(dir, { servers: servers.map((s) => s.address), mysqlUrl: db.url, keyPrefix: `lookup${n}:` }, `lookup${n}.yaml`);
  };
  const ring = (): KetamaRing => new KetamaRing(parseServerList(servers.map((s) => s.address)));

  it('group: first from MySQL, then from the cache, naming the server that owns the key', async () => {
    const file = freshConfig();
    const first = await authring(['-c', file, 'lookup', 'group', 'alice', 'example.com', 'ipauth']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('alice@example.com in group ipauth: yes');
    expect(first.stdout).toContain('source: MySQL');
    const second = await authring(['-c', file, 'lookup', 'group', 'ALICE', 'example.com', 'IPAUTH']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('source: cache');

    const { result, json } = await authringJson<LookupJson>(['-c', file, 'lookup', 'group', 'alice', 'example.com', 'ipauth']);
    expect(result.code).toBe(0);
    expect(json).toMatchObject({ question: { kind: 'group', user: 'alice', domain: 'example.com', group: 'ipauth' }, member: true, source: 'cache' });
    expect(json.key).toMatch(/^lookup\d+:\d+:grp:/);
    expect(json.server).toBe(ring().serverFor(toWireKey(json.key ?? '')).address);
    expect(second.stdout).toContain(`server: ${json.server} (owns the key ${json.key})`);

    const no = await authringJson<LookupJson>(['-c', file, 'lookup', 'group', 'bob', 'example.com', 'ipauth']);
    expect(no.json).toMatchObject({ member: false, source: 'mysql' });
  });

  it('credentials: masked in text and JSON, in full only with --json --show-secrets', async () => {
    const file = freshConfig();
    if (!alice) throw new Error('no fixture');
    const text = await authring(['-c', file, 'lookup', 'credentials', 'alice', 'example.com']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('source: MySQL');
    expect(text.stdout).toContain(`ha1:  ${alice.ha1.slice(0, 4)}… (32 chars)`);
    expect(text.stdout).not.toContain(alice.ha1);
    expect(text.stdout).not.toContain(alice.ha1b);

    const masked = await authringJson<LookupJson>(['-c', file, 'lookup', 'credentials', 'alice', 'example.com']);
    expect(masked.json).toMatchObject({ found: true, source: 'cache', credentials: { ha1: { prefix: alice.ha1.slice(0, 4), length: 32 } } });
    expect(masked.result.stdout).not.toContain(alice.ha1);

    const shown = await authringJson<LookupJson>(['-c', file, 'lookup', 'credentials', 'alice', 'example.com', '--show-secrets']);
    expect(shown.json.credentials?.ha1.value).toBe(alice.ha1);
    expect(shown.json.credentials?.ha1b.value).toBe(alice.ha1b);

    const refused = await authring(['-c', file, 'lookup', 'credentials', 'alice', 'example.com', '--show-secrets']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('--show-secrets needs --json');

    const unknown = await authringJson<LookupJson>(['-c', file, 'lookup', 'credentials', 'nobody', 'example.com']);
    expect(unknown.json).toMatchObject({ found: false, source: 'mysql' });
    expect(unknown.json.credentials).toBeUndefined();
  });

  it('address: from MySQL then the cache; the port is optional', async () => {
    const file = freshConfig();
    const first = await authringJson<LookupJson>(['-c', file, 'lookup', 'address', '127.0.0.1', '1', '5060']);
    expect(first.result.code).toBe(0);
    expect(first.json).toMatchObject({ question: { kind: 'address', ip: '127.0.0.1', group: 1, port: 5060 }, allowed: true, source: 'mysql' });
    expect(first.json.server).toMatch(/^127\.0\.0\.1:\d+$/);
    const second = await authring(['-c', file, 'lookup', 'address', '127.0.0.1', '1']);
    expect(second.stdout).toContain('127.0.0.1 port 0 in address group 1: not allowed');
    expect(second.stdout).toContain('source: cache');

    const bad = await authring(['-c', file, 'lookup', 'address', '127.0.0.1', 'one']);
    expect(bad.code).toBe(2);
  });

  it('exits 1 with the error on stderr when MySQL is unreachable on a miss', async () => {
    const url = new URL(db.url);
    url.port = '1'; // nothing listens on 127.0.0.1:1
    n += 1;
    const file = writeConfig(dir, { servers: servers.map((s) => s.address), mysqlUrl: url.toString(), keyPrefix: `lookup${n}:` }, 'nomysql.yaml');
    const result = await authring(['-c', file, '--timeout', '5000', 'lookup', 'group', 'alice', 'example.com', 'ipauth']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^authring: .+/m);
  });
});
