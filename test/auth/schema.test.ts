/**
 * The lookups' tables as the configuration names them: readable errors naming the table, the
 * column and what is expected; lookups enabled per table, so a deployment runs without the tables
 * it does not use; and strict types for the JS API's questions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache, type AuthCacheOptions } from '../../src/auth/auth-cache.js';
import { MemcacheCluster } from '../../src/cluster/cluster.js';
import { InvalidArgumentError, LookupDisabledError, SchemaError } from '../../src/errors.js';
import { createKamailioDatabase, digestHa1, loadFixtures, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { MemcachedProcess, needBinary } from '../helpers/services.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

describe.skipIf(!ready)('lookup tables and questions', () => {
  let db: KamailioDatabase;
  let server: MemcachedProcess;
  let cluster: MemcacheCluster;
  let namespace = 0;

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    await db.query('CREATE TABLE grp_binary (username VARBINARY(64), domain VARBINARY(64), grp VARBINARY(64))');
    server = await MemcachedProcess.start();
    cluster = new MemcacheCluster({ servers: [server.address], timeoutMs: 1000 });
  });
  afterAll(async () => {
    cluster?.close();
    await server?.stop();
    await db?.drop();
  });

  function create(lookups: AuthCacheOptions['lookups'] = {}): Promise<AuthCache> {
    namespace += 1;
    return AuthCache.create({ memcached: cluster, mysql: { uri: db.url, poolSize: 2 }, cache: { keyPrefix: `s${process.pid}n${namespace}:` }, lookups });
  }

  it('refuses a missing table or column, naming it and what is expected', async () => {
    const error = await create({ group: { table: 'nosuchtable' }, credentials: { userColumn: 'user_name' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    const schema = error as SchemaError;
    expect(schema.code).toBe('E_SCHEMA');
    expect(schema.problems).toEqual([
      expect.objectContaining({ path: 'lookups.group.table', table: 'nosuchtable', found: `no table nosuchtable in database ${db.name}` }),
      expect.objectContaining({ path: 'lookups.credentials.user_column', table: 'subscriber', column: 'user_name', found: 'no column user_name in table subscriber' }),
    ]);
    expect(schema.message).toContain('lookups.group.table: no table nosuchtable');
    expect(schema.message).toContain('(or lookups.group.enabled: false)');
  });

  it('refuses VARBINARY name columns, naming each with its type, instead of an SQL syntax error', async () => {
    const error = await create({ group: { table: 'grp_binary' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    const message = (error as SchemaError).message;
    expect(message).toContain('lookups.group.user_column: grp_binary.username is varbinary(64); expected a character column (CHAR, VARCHAR or TEXT');
    expect(message).toContain('lookups.group.domain_column: grp_binary.domain is varbinary(64)');
    expect(message).toContain('lookups.group.group_column: grp_binary.grp is varbinary(64)');
    expect(message).not.toMatch(/ER_PARSE_ERROR|binary\)\)/);
  });

  it('runs a subscriber-only deployment without the other tables; a disabled lookup is a typed error', async () => {
    const auth = await create({ group: { enabled: false, table: 'nosuchtable' }, address: { enabled: false, table: 'nosuchtable' } });
    try {
      expect((await auth.getCredentials('alice', 'example.com'))?.ha1).toBe(digestHa1('alice', 'example.com', 'alice-pw'));
      await expect(auth.isUserInGroup('alice', 'example.com', 'ipauth')).rejects.toThrow(LookupDisabledError);
      await expect(auth.allowAddress('127.0.0.1', 1, 5060)).rejects.toMatchObject({ code: 'E_LOOKUP_DISABLED', lookup: 'address' });
      const keys = await auth.keysFor({ user: 'alice', domain: 'example.com', group: 'ipauth' });
      expect(keys.group).toBeUndefined();
      expect(keys.credentials).toMatch(/:cred:ALICE$/);
    } finally {
      await auth.close();
    }
  });

  it('takes numbers for address groups and ports and strings for names, and says so otherwise', async () => {
    const auth = await create();
    try {
      // Host row (127.0.0.1/32 port 5060) and subnet row (127.10.0.0/16) of group 1 agree.
      expect(await auth.allowAddress('127.0.0.1', 1, 5060)).toBe(true);
      expect(await auth.allowAddress('127.10.9.8', 1, 1)).toBe(true);
      const wrong: [string, unknown, unknown][] = [
        ['127.0.0.1', '1', 5060],
        ['127.10.9.8', '1', 1],
        ['127.0.0.1', 1, '5060'],
        ['127.0.0.1', 1.5, 0],
        ['127.0.0.1', -1, 0],
        ['127.0.0.1', 1, 65536],
      ];
      for (const [ip, group, port] of wrong) {
        await expect(auth.allowAddress(ip, group as number, port as number)).rejects.toThrow(InvalidArgumentError);
      }
      await expect(auth.allowAddress(42 as unknown as string, 1, 0)).rejects.toThrow(InvalidArgumentError);
      await expect(auth.isUserInGroup(42 as unknown as string, 'example.com', 'ipauth')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
      await expect(auth.getCredentials('alice', null as unknown as string)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
      await expect(auth.keysFor({ user: {} as unknown as string, domain: '' })).rejects.toThrow(InvalidArgumentError);
    } finally {
      await auth.close();
    }
  });
});
