import type { Pool, RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlPool } from '../../src/auth/mysql-options.js';
import { MAX_BATCH, SqlClient } from '../../src/auth/sql.js';
import { createKamailioDatabase, needKamailioDatabase, type KamailioDatabase } from '../helpers/kamailio-db.js';

/** How the lookups' SELECTs reach MySQL: those of one event-loop turn in one multi-statement query. */
describe.skipIf(!(await needKamailioDatabase()))('SqlClient batching on real MariaDB', () => {
  let db: KamailioDatabase;
  let pool: Pool | undefined;
  /** Connections taken from the pool: one per query sent, one per batch. */
  let taken = 0;

  beforeAll(async () => {
    db = await createKamailioDatabase();
    await db.query('CREATE TABLE t (k INT PRIMARY KEY, v VARCHAR(20))');
    await db.query('INSERT INTO t VALUES ' + Array.from({ length: 100 }, (_, k) => `(${k}, 'v${k}')`).join(', '));
  });

  afterEach(async () => {
    await pool?.end();
    pool = undefined;
  });

  afterAll(async () => {
    await db?.drop();
  });

  function client(batchQueries: boolean): SqlClient {
    pool = createMysqlPool({ uri: db.url, batchQueries });
    taken = 0;
    pool.on('acquire', () => (taken += 1));
    return new SqlClient(pool);
  }

  const value = (sql: SqlClient, k: number, timeoutMs = 2000): Promise<RowDataPacket[]> => sql.select<RowDataPacket>('SELECT v FROM t WHERE k = ?', [k], timeoutMs);

  it('sends the SELECTs of one turn as one query, each answered with its own rows', async () => {
    const sql = client(true);
    const rows = await Promise.all([3, 1, 4, 1, 5, 99].map((k) => value(sql, k)));
    expect(rows.map((r) => r.map((row) => row['v']))).toEqual([['v3'], ['v1'], ['v4'], ['v1'], ['v5'], ['v99']]);
    expect(taken).toBe(1);
    expect(sql.statements).toBe(6);
    // A SELECT alone in its turn goes alone, and a miss is an empty answer.
    expect(await value(sql, 1000)).toEqual([]);
    expect(taken).toBe(2);
  });

  it(`splits a turn's SELECTs into batches of ${MAX_BATCH}, and by timeout`, async () => {
    const sql = client(true);
    const answers = await Promise.all([...Array.from({ length: MAX_BATCH + 1 }, (_, k) => value(sql, k)), value(sql, 7, 3000), value(sql, 8, 3000)]);
    expect(answers.every((r) => r.length === 1)).toBe(true);
    expect(taken).toBe(3);
  });

  it('answers every other SELECT of a batch when one fails, and that one with its own error', async () => {
    const sql = client(true);
    const [before, bad, after] = await Promise.allSettled([value(sql, 2), sql.select('SELECT v FROM no_such_table WHERE k = ?', [1], 2000), value(sql, 9)]);
    expect(before).toMatchObject({ status: 'fulfilled', value: [{ v: 'v2' }] });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'ER_NO_SUCH_TABLE' } });
    expect(after).toMatchObject({ status: 'fulfilled', value: [{ v: 'v9' }] });
  });

  it('never batches a statement that changes data, so a retried batch cannot run it twice', async () => {
    const sql = client(true);
    await sql.execute('CREATE TABLE n (x INT)', [], 2000);
    await Promise.allSettled([sql.execute('INSERT INTO n VALUES (1)', [], 2000), sql.select('SELECT v FROM no_such_table', [], 2000), value(sql, 1)]);
    expect(await sql.select('SELECT COUNT(*) AS c FROM n', [], 2000)).toEqual([{ c: 1 }]);
  });

  it('sends each SELECT on its own without batchQueries', async () => {
    const sql = client(false);
    await Promise.all([1, 2, 3].map((k) => value(sql, k)));
    expect(taken).toBe(3);
    expect(sql.statements).toBe(3);
  });

  it('fails a whole batch at its timeout when MySQL does not answer in time', async () => {
    const sql = client(true);
    const slow = sql.select('SELECT SLEEP(2) AS s FROM t WHERE k = ?', [1], 300);
    const fast = sql.select('SELECT v FROM t WHERE k = ?', [1], 300);
    await expect(slow).rejects.toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    await expect(fast).rejects.toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    await sql.drain();
  });
});
