/**
 * The provisioning system, as a separate process: from `go` until `stop` it changes the demo
 * database with plain SQL at a set rate, as a provisioning system would (users leave and join
 * ipauth, passwords change, subscribers are added and removed, address rows come and go), and
 * records when each change was sent and when its commit returned, with the answers it changes. The
 * users it changes are drawn with the same popularity as the traffic, so that changed users are
 * asked about while the phase runs. After `stop` it puts back what it changed, so every phase
 * starts from the same database and, with the same seed, applies the same changes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type Connection } from 'mysql2/promise';
import { isEntry, parentChannel, type ParentChannel } from '../tools/child-process.js';
import { randomIndex, seededRandom } from '../tools/random.js';
import { credentialsTag } from './node.js';
import { ASKED_GROUP, ha1Of, hasPbx, initialAddresses, passwordOf, pbxRow, PBX_HOSTS, Population, type Person } from './population.js';
import { insertAddresses, insertPeople } from './setup.js';
import { popular } from './workload.js';

/** What the parent passes. */
export interface ChurnInput {
  /** The demo database's `mysql://` URL. */
  readonly url: string;
  readonly population: { readonly size: number; readonly seed: number };
  /** Changes per second. */
  readonly rate: number;
  readonly zipf: number;
  readonly seed: number;
}

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

/** One SQL statement and its parameters. */
type Statement = readonly [string, (string | number | null)[]];

/** Changes the database from `go` until `stop`; run when this file is the forked process. */
async function provision({ input, ...parent }: ParentChannel<ChurnInput>): Promise<Change[]> {
  const population = new Population(input.population.size, input.population.seed);
  const random = seededRandom(input.seed);
  const hot = popular(population, input.zipf);
  const db = await createConnection({ uri: input.url, multipleStatements: true, charset: 'utf8mb4' });
  const exists = new Map<number, boolean>();
  const inGroup = new Map<number, boolean>();
  const version = new Map<number, number>();
  let pbx: number = PBX_HOSTS.initialMask;
  const changes: Change[] = [];
  let count = 0;
  const isSubscriber = (i: number): boolean => exists.get(i) ?? population.existsAtStart(i);
  const credentials = (i: number, p: Person): number => credentialsTag(ha1Of(p.user, p.domain, passwordOf(i, version.get(i) ?? 0)).ha1);

  /** Runs statements as one transaction; returns when it was sent and committed. */
  const commit = async (statements: readonly Statement[]): Promise<{ n: number; sentAt: number; at: number }> => {
    const sentAt = Date.now();
    await transaction(db, statements);
    return { n: count++, sentAt, at: Date.now() };
  };
  const change = async (): Promise<void> => {
    const kind = random();
    if (kind < 0.15) {
      const bit = randomIndex(random, PBX_HOSTS.count);
      const row = pbxRow(PBX_HOSTS.first + bit);
      const present = hasPbx(pbx, bit);
      const time = await commit([present ? ['DELETE FROM address WHERE ip_addr = ? AND grp = 1', [row.ip]] : ['INSERT INTO address (grp, ip_addr, mask, port, tag) VALUES (?, ?, ?, ?, ?)', [row.group, row.ip, row.mask, row.port, row.tag]]]);
      pbx += present ? -(2 ** bit) : 2 ** bit;
      changes.push({ key: 'a', value: pbx, ...time });
      return;
    }
    const i = kind < 0.35 ? population.size + randomIndex(random, population.prospects) : hot(random);
    const p = population.person(i);
    const who = [p.user, p.domain];
    if (kind < 0.35) {
      // A subscriber added or removed, with its grp rows, in one transaction.
      const adding = !isSubscriber(i);
      const { ha1, ha1b } = ha1Of(p.user, p.domain, passwordOf(i, version.get(i) ?? 0));
      const time = await commit(
        adding
          ? [['INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)', [...who, passwordOf(i, version.get(i) ?? 0), ha1, ha1b]], ...p.groups.map((g): Statement => ['INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [...who, g]])]
          : [['DELETE FROM grp WHERE username = ? AND domain = ?', who], ['DELETE FROM subscriber WHERE username = ? AND domain = ?', who]],
      );
      exists.set(i, adding);
      inGroup.set(i, adding && p.groups.includes(ASKED_GROUP));
      changes.push({ key: `c${i}`, value: adding ? credentials(i, p) : -1, ...time }, { key: `g${i}`, value: inGroup.get(i) ? 1 : 0, ...time });
    } else if (!isSubscriber(i)) {
      return; // a removed subscriber: nothing to change
    } else if (kind < 0.65) {
      const member = inGroup.get(i) ?? p.groups.includes(ASKED_GROUP);
      const time = await commit([member ? ['DELETE FROM grp WHERE username = ? AND domain = ? AND grp = ?', [...who, ASKED_GROUP]] : ['INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [...who, ASKED_GROUP]]]);
      inGroup.set(i, !member);
      changes.push({ key: `g${i}`, value: member ? 0 : 1, ...time });
    } else {
      version.set(i, (version.get(i) ?? 0) + 1);
      const password = passwordOf(i, version.get(i) ?? 0);
      const { ha1, ha1b } = ha1Of(p.user, p.domain, password);
      const time = await commit([['UPDATE subscriber SET password = ?, ha1 = ?, ha1b = ? WHERE username = ? AND domain = ?', [password, ha1, ha1b, ...who]]]);
      changes.push({ key: `c${i}`, value: credentials(i, p), ...time });
    }
  };

  try {
    await parent.send({ type: 'ready' });
    const { at: startAt } = await parent.next<{ type: 'go'; at: number }>('go');
    let stopped = false;
    void parent.next('stop').then(() => (stopped = true));
    for (let n = 0; !stopped; n += 1) {
      await sleep(Math.max(0, startAt + (n * 1000) / input.rate - Date.now()));
      if (stopped) break;
      await change();
      void parent.send({ type: 'progress', changes: count });
    }
    await restore(db, population, [...new Set([...exists.keys(), ...inGroup.keys(), ...version.keys()])]);
    return changes;
  } finally {
    await db.end();
  }
}

if (isEntry(import.meta.url)) {
  const channel = parentChannel<ChurnInput>();
  const changes = await provision(channel);
  await channel.send({ type: 'result', changes });
  process.exit(0);
}

/** Runs statements in one round trip, as one transaction when there are several (a failure ends the churn). */
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
    await transaction(db, [[`DELETE FROM grp WHERE ${where}`, names], [`DELETE FROM subscriber WHERE ${where}`, names]]);
    await insertPeople(db, population, batch.filter((i) => population.existsAtStart(i)));
  }
  await db.query("DELETE FROM address WHERE grp = 1 AND mask = 32 AND ip_addr LIKE '198.51.100.%'");
  await insertAddresses(db, initialAddresses().filter((row) => row.tag?.startsWith('pbx-')));
}
