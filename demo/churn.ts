/**
 * The provisioning system: it changes the demo database with plain SQL at a set rate (users leave
 * and join ipauth, passwords change, subscribers come and go, address rows too), recording when
 * each change was sent and committed and the answers it changes. It draws users with the traffic's
 * popularity, so changed users are asked about during the phase, and puts everything back when
 * stopped, so every phase gets the same database and changes. It runs in the demo's process on a
 * connection of its own, as the soak's churn does: MySQL does the work, the process only waits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type Connection } from 'mysql2/promise';
import { randomIndex, seededRandom } from '../tools/random.js';
import { credentialsTag } from './answerers.js';
import type { PhaseSetup } from './setup.js';
import { addressTable, ASKED_GROUP, ha1Of, hasPbx, passwordOf, pbxRow, PBX_HOSTS, Population } from './population.js';
import { addressRows, peopleRows, type Statement } from './setup.js';
import { popular } from './workload.js';

/**
 * One answer a committed change altered: `g<person>` (in ipauth 0/1), `c<person>` (the credentials
 * tag, see {@link credentialsTag}) or `a` (the address table: a bit per PBX host row present).
 */
export interface Change {
  /** The provisioning change's number (a subscriber added or removed alters two answers). */
  readonly n: number;
  readonly key: string;
  readonly value: number;
  /** When the statement was sent and when its commit returned (ms since the epoch). */
  readonly sentAt: number;
  readonly at: number;
}

/** A running churn: changes committed so far, and `stop` (once), which resolves with them when the database is restored. */
export type Churn = Awaited<ReturnType<typeof startChurn>>;

/**
 * Starts changing the phase's database, `setup.churn` changes a second from `startAt` (ms since the
 * epoch); a failed statement ends the churn, and `stop` rejects with it.
 */
export async function startChurn(setup: Pick<PhaseSetup, 'db' | 'population' | 'churn' | 'zipf'>, startAt: number) {
  const population = new Population(setup.population.size, setup.population.seed);
  const [random, hot] = [seededRandom(setup.population.seed ^ 0xc0ffee), popular(population, setup.zipf)];
  const db = await createConnection({ uri: setup.db.url, multipleStatements: true, charset: 'utf8mb4' });
  const [exists, inGroup, version] = [new Map<number, boolean>(), new Map<number, boolean>(), new Map<number, number>()];
  let pbx: number = PBX_HOSTS.initialMask;
  const changes: Change[] = [];
  let [count, stopped] = [0, false];
  const isSubscriber = (i: number): boolean => exists.get(i) ?? i < population.size;
  const password = (i: number): string => passwordOf(i, version.get(i) ?? 0);
  const credentials = (i: number): number => credentialsTag(ha1Of(population.person(i).user, population.person(i).domain, password(i)).ha1);

  /** Runs statements as one transaction, then records the answers it changed (key, new value) with when it was sent and committed. */
  const commit = async (statements: readonly Statement[], answers: readonly (readonly [string, number])[]): Promise<void> => {
    const sentAt = Date.now();
    await transaction(db, statements);
    const [n, at] = [count++, Date.now()];
    for (const [key, value] of answers) changes.push({ n, key, value, sentAt, at });
  };
  const change = async (): Promise<void> => {
    const kind = random();
    if (kind < 0.15) {
      const bit = randomIndex(random, PBX_HOSTS.count);
      const [row, present] = [pbxRow(bit), hasPbx(pbx, bit)];
      pbx += present ? -(2 ** bit) : 2 ** bit;
      return commit(present ? [['DELETE FROM address WHERE ip_addr = ? AND grp = 1', [row.ip]]] : addressRows([row]), [['a', pbx]]);
    }
    const i = kind < 0.35 ? population.size + randomIndex(random, population.prospects) : hot(random);
    const p = population.person(i);
    const who = [p.user, p.domain];
    if (kind < 0.35) {
      // A subscriber added or removed, with its grp rows, in one transaction.
      const adding = !isSubscriber(i);
      exists.set(i, adding);
      inGroup.set(i, adding && p.groups.includes(ASKED_GROUP));
      const statements: Statement[] = adding ? peopleRows(population, [i], (j) => version.get(j) ?? 0) : [['DELETE FROM grp WHERE username = ? AND domain = ?', who], ['DELETE FROM subscriber WHERE username = ? AND domain = ?', who]];
      await commit(statements, [[`c${i}`, adding ? credentials(i) : -1], [`g${i}`, Number(inGroup.get(i))]]);
    } else if (!isSubscriber(i)) {
      return; // a removed subscriber: nothing to change
    } else if (kind < 0.65) {
      const member = inGroup.get(i) ?? p.groups.includes(ASKED_GROUP);
      inGroup.set(i, !member);
      await commit([member ? ['DELETE FROM grp WHERE username = ? AND domain = ? AND grp = ?', [...who, ASKED_GROUP]] : ['INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [...who, ASKED_GROUP]]], [[`g${i}`, member ? 0 : 1]]);
    } else {
      version.set(i, (version.get(i) ?? 0) + 1);
      const { ha1, ha1b } = ha1Of(p.user, p.domain, password(i));
      await commit([['UPDATE subscriber SET password = ?, ha1 = ?, ha1b = ? WHERE username = ? AND domain = ?', [password(i), ha1, ha1b, ...who]]], [[`c${i}`, credentials(i)]]);
    }
  };

  const running = (async () => {
    for (let n = 0; !stopped; n += 1) {
      await sleep(Math.max(0, startAt + (n * 1000) / setup.churn - Date.now()));
      if (!stopped) await change();
    }
  })();
  running.catch(() => undefined); // reported by stop()
  let stopping: Promise<Change[]> | undefined;
  const stop = async (): Promise<Change[]> => {
    stopped = true;
    try {
      await running;
      await restore(db, population, [...new Set([...exists.keys(), ...inGroup.keys(), ...version.keys()])]);
      return changes;
    } finally {
      await db.end();
    }
  };
  return { committed: () => count, stop: () => (stopping ??= stop()) };
}

/** Runs statements in one round trip, as one transaction when there are several. */
async function transaction(db: Connection, statements: readonly Statement[]): Promise<void> {
  const sql = statements.map(([text]) => text).join('; ');
  await db.query(statements.length > 1 ? `START TRANSACTION; ${sql}; COMMIT` : sql, statements.flatMap(([, params]) => params));
}

/** Puts the people it touched and the address table back as the demo created them. */
async function restore(db: Connection, population: Population, touched: readonly number[]): Promise<void> {
  for (let at = 0; at < touched.length; at += 500) {
    const batch = touched.slice(at, at + 500);
    const names = batch.map((i) => population.person(i)).flatMap((p) => [p.user, p.domain]);
    const where = `(username, domain) IN (${batch.map(() => '(?, ?)').join(', ')})`;
    await transaction(db, [[`DELETE FROM grp WHERE ${where}`, names], [`DELETE FROM subscriber WHERE ${where}`, names], ...peopleRows(population, batch.filter((i) => i < population.size))]);
  }
  await transaction(db, [["DELETE FROM address WHERE grp = 1 AND mask = 32 AND ip_addr LIKE '198.51.100.%'", []], ...addressRows(addressTable().filter((row) => row.tag?.startsWith('pbx-')))]);
}
