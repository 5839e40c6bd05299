/**
 * `install-triggers` never leaves provisioning broken: it checks, before creating anything, that
 * the triggers (which run as their definer, the installing account) can write the change log,
 * and refuses with E_TRIGGER_PRIVILEGE naming what is missing. Each case runs as a real MariaDB
 * account with exactly the grants under test (a unique name, dropped afterwards).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqlClient } from '../../src/auth/sql.js';
import { ADDRESS_DEFAULTS, CREDENTIALS_DEFAULTS, GROUP_DEFAULTS } from '../../src/auth/tables.js';
import { TriggerPrivilegeError, errors } from '../../src/errors.js';
import { installTriggers } from '../../src/invalidation/triggers.js';
import { createKamailioDatabase, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';
import { mysqlUrl } from '../helpers/services.js';
import { authring, tempDir } from './cli.js';

const ready = await needKamailioDatabase();
const TABLES = { group: GROUP_DEFAULTS, credentials: CREDENTIALS_DEFAULTS, address: ADDRESS_DEFAULTS };

describe.skipIf(!ready)('install-triggers: privileges of the triggers definer', { timeout: 120_000 }, () => {
  let db: KamailioDatabase;
  let admin: Pool;
  const accounts: string[] = [];
  const pools: Pool[] = [];
  const url = new URL(mysqlUrl());

  beforeAll(async () => {
    db = await createKamailioDatabase();
    admin = mysql.createPool({ uri: mysqlUrl(db.name), connectionLimit: 2 });
  });

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end().catch(() => undefined)));
    // Each case starts from a database without the change log and triggers.
    const [triggers] = await admin.query<RowDataPacket[]>('SELECT TRIGGER_NAME AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()');
    for (const row of triggers) await admin.query(`DROP TRIGGER \`${String(row['t'])}\``);
    await admin.query('DROP TABLE IF EXISTS authring_changelog, authring_watcher');
  });

  afterAll(async () => {
    for (const account of accounts) await admin.query(`DROP USER IF EXISTS ${account}`).catch(() => undefined);
    await admin.query('DROP ROLE IF EXISTS authring_tp_role').catch(() => undefined);
    await admin?.end();
    await db?.drop();
  });

  /** A new account on 127.0.0.1 with exactly `grants` (each `PRIVS ON what`, this database's name as `DB`). */
  async function account(...grants: string[]): Promise<{ user: string; password: string; sql: SqlClient }> {
    const user = `authring_tp_${randomBytes(5).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const name = `'${user}'@'127.0.0.1'`;
    await admin.query(`CREATE USER ${name} IDENTIFIED BY '${password}'`);
    accounts.push(name);
    for (const grant of grants) await admin.query(`GRANT ${grant.replace(/\bDB\b/g, `\`${db.name}\``)} TO ${name}`);
    const pool = mysql.createPool({ host: '127.0.0.1', port: Number(url.port || 3306), user, password, database: db.name, connectionLimit: 2 });
    pools.push(pool);
    return { user, password, sql: new SqlClient(pool) };
  }

  async function changeLogObjects(): Promise<{ tables: string[]; triggers: number }> {
    const [tables] = await admin.query<RowDataPacket[]>(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'authring\\_%' ORDER BY 1",
    );
    const [[triggers]] = await admin.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()');
    return { tables: tables.map((r) => String(r['t'])), triggers: Number(triggers?.['n']) };
  }

  /** INSERT, UPDATE and DELETE on each watched table, as the admin; resolves with the change-log rows written. */
  async function provision(): Promise<number> {
    const tag = randomBytes(3).toString('hex');
    await admin.query("INSERT INTO grp (username, domain, grp) VALUES (?, 'example.com', 'ipauth')", [`u${tag}`]);
    await admin.query("UPDATE grp SET grp = 'voicemail' WHERE username = ?", [`u${tag}`]);
    await admin.query('DELETE FROM grp WHERE username = ?', [`u${tag}`]);
    await admin.query("INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, 'example.com', 'pw', 'h', 'hb')", [`u${tag}`]);
    await admin.query("UPDATE subscriber SET ha1 = 'h2' WHERE username = ?", [`u${tag}`]);
    await admin.query('DELETE FROM subscriber WHERE username = ?', [`u${tag}`]);
    await admin.query("INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES (77, '127.0.0.77', 32, 0, ?)", [tag]);
    await admin.query("UPDATE address SET port = 5060 WHERE tag = ?", [tag]);
    await admin.query('DELETE FROM address WHERE tag = ?', [tag]);
    const [[row]] = await admin.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM authring_changelog');
    return Number(row?.['n']);
  }

  async function refusal(sql: SqlClient): Promise<TriggerPrivilegeError> {
    const error = await installTriggers({ sql, tables: TABLES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TriggerPrivilegeError);
    expect(error).toBeInstanceOf(errors.E_TRIGGER_PRIVILEGE);
    expect((error as TriggerPrivilegeError).code).toBe('E_TRIGGER_PRIVILEGE');
    // Refused before anything was created, and provisioning is untouched.
    expect(await changeLogObjects()).toEqual({ tables: [], triggers: 0 });
    await admin.query("INSERT INTO grp (username, domain, grp) VALUES ('refused', 'example.com', 'x')");
    await admin.query("DELETE FROM grp WHERE username = 'refused'");
    return error as TriggerPrivilegeError;
  }

  const missing = (error: TriggerPrivilegeError): string[] =>
    error.missing.map((m) => `${m.privilege}${m.columns ? `(${m.columns.join(',')})` : ''} ${m.table.replace(/`/g, '').replace(`${db.name}.`, '')}`).sort();

  it('TRIGGER, CREATE and SELECT (the old documented set): refused, naming INSERT on the change log', async () => {
    const { user, sql } = await account('TRIGGER, CREATE, SELECT ON DB.*');
    const error = await refusal(sql);
    expect(missing(error)).toEqual(['INSERT authring_changelog']);
    expect(error.definer).toBe(`${user}@127.0.0.1`);
    expect(error.message).toContain(`GRANT INSERT ON \`${db.name}\`.\`authring_changelog\` TO '${user}'@'127.0.0.1';`);
  });

  it('exactly TRIGGER and CREATE: refused with every missing privilege, not an SQL syntax error', async () => {
    const { sql } = await account('TRIGGER, CREATE ON DB.*');
    expect(missing(await refusal(sql))).toEqual(['INSERT authring_changelog', 'SELECT(username,domain) subscriber', 'SELECT(username,domain,grp) grp']);
  });

  it('no TRIGGER on one table, no CREATE: each named', async () => {
    const { sql } = await account('INSERT ON DB.*', 'SELECT ON DB.grp', 'SELECT ON DB.subscriber', 'TRIGGER ON DB.grp', 'TRIGGER ON DB.subscriber');
    expect(missing(await refusal(sql))).toEqual(['CREATE authring_changelog', 'CREATE authring_watcher', 'TRIGGER address']);
  });

  it('INSERT through a role is not enough: triggers run without their definer roles', async () => {
    await admin.query('CREATE ROLE IF NOT EXISTS authring_tp_role');
    await admin.query(`GRANT INSERT ON \`${db.name}\`.* TO authring_tp_role`);
    const { user, sql } = await account('TRIGGER, CREATE, SELECT ON DB.*', 'authring_tp_role');
    await admin.query(`SET DEFAULT ROLE authring_tp_role FOR '${user}'@'127.0.0.1'`);
    expect(missing(await refusal(sql))).toEqual(['INSERT authring_changelog']);
  });

  it('with the documented privileges it installs, and provisioning by anyone still works and is logged', async () => {
    const { sql } = await account('TRIGGER, CREATE, INSERT ON DB.*', 'SELECT ON DB.grp', 'SELECT ON DB.subscriber');
    expect(await installTriggers({ sql, tables: TABLES })).toHaveLength(9);
    expect(await changeLogObjects()).toEqual({ tables: ['authring_changelog', 'authring_watcher'], triggers: 9 });
    // grp and subscriber: INSERT 1 + UPDATE 2 (old and new names) + DELETE 1; address: 1 each.
    expect(await provision()).toBe(11);
    // A provisioning account with only DML privileges works too.
    const { sql: dml } = await account('SELECT, INSERT, UPDATE, DELETE ON DB.grp');
    await dml.execute("INSERT INTO grp (username, domain, grp) VALUES ('dml', 'example.com', 'g')", [], 5000);
    await dml.execute("DELETE FROM grp WHERE username = 'dml'", [], 5000);
  });

  it('the least privileges: column SELECT, and INSERT on the change log once it exists; a re-install needs no CREATE', async () => {
    await admin.query('CREATE TABLE authring_changelog (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, tbl VARCHAR(16) NOT NULL, username VARCHAR(255) NULL, domain VARCHAR(255) NULL, grp VARCHAR(255) NULL, changed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))');
    await admin.query('CREATE TABLE authring_watcher (watcher_id VARCHAR(64) NOT NULL PRIMARY KEY, last_id BIGINT UNSIGNED NOT NULL)');
    const { sql } = await account(
      'TRIGGER ON DB.grp',
      'TRIGGER ON DB.subscriber',
      'TRIGGER ON DB.address',
      'SELECT (username, domain, grp) ON DB.grp',
      'SELECT (username, domain) ON DB.subscriber',
      'INSERT ON DB.authring_changelog',
      // Any privilege makes the watcher table visible to the installer, so it is not created again.
      'SELECT ON DB.authring_watcher',
    );
    expect(await installTriggers({ sql, tables: TABLES })).toHaveLength(9);
    expect(await provision()).toBe(11);
  });

  it('the command says what is missing and exits 1, creating nothing', async () => {
    const { user, password } = await account('TRIGGER, CREATE ON DB.*');
    const config = path.join(tempDir(), 'authring.yaml');
    writeFileSync(
      config,
      `memcached:\n  servers: [127.0.0.1:1]\nmysql:\n  host: 127.0.0.1\n  port: ${url.port || 3306}\n  user: ${user}\n  password_env: TP_PASSWORD\n  database: ${db.name}\n`,
    );
    const result = await authring(['-c', config, 'install-triggers'], { env: { TP_PASSWORD: password } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`authring: install-triggers refused, nothing was created: ${user}@127.0.0.1 lacks SELECT (username, domain, grp) on \`${db.name}\`.\`grp\``);
    expect(result.stderr).toContain('INSERT on');
    expect(result.stderr).not.toContain('syntax');
    expect(result.stderr).not.toContain(password);
    expect(await changeLogObjects()).toEqual({ tables: [], triggers: 0 });
  });
});
