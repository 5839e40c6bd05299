/**
 * The soak's database: Kamailio's schema with `users` subscribers (every even one in `ipauth`),
 * address rows for 127.0.88.0–127.0.88.99 (even hosts allowed), and the provisioning churn the
 * soak applies while it runs: group memberships toggled, passwords changed, address rows added
 * and removed, all in plain SQL as a provisioning system would (the triggers log them).
 */
import type { ResultSetHeader } from 'mysql2/promise';
import { createKamailioDatabase, digestHa1, type KamailioDatabase } from '../../test/helpers/kamailio-db.js';
import { randomIndex, type Random } from '../../tools/random.js';

/** The domain of every soak user. */
export const DOMAIN = 'soak.example';
/** The `address` group the nodes ask about. */
export const ADDRESS_GROUP = 88;
/** Hosts 127.0.88.0 … 127.0.88.(HOSTS-1) are asked about. */
export const HOSTS = 100;

/** User name of rank `i`. */
export const userName = (i: number): string => `s${String(i).padStart(7, '0')}`;
/** Host address of index `i`. */
export const hostAddress = (i: number): string => `127.0.88.${i}`;

/** Creates the database and the population, in batches. */
export async function createPopulation(users: number): Promise<KamailioDatabase> {
  const db = await createKamailioDatabase();
  for (let first = 0; first < users; first += 1000) {
    const batch = Array.from({ length: Math.min(1000, users - first) }, (_, n) => first + n);
    await db.query(
      `INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
      batch.flatMap((i) => [userName(i), DOMAIN, `pw${i}`, digestHa1(userName(i), DOMAIN, `pw${i}`), '']),
    );
    const members = batch.filter((i) => i % 2 === 0);
    if (members.length > 0) {
      await db.query(`INSERT INTO grp (username, domain, grp) VALUES ${members.map(() => '(?, ?, ?)').join(', ')}`, members.flatMap((i) => [userName(i), DOMAIN, 'ipauth']));
    }
  }
  const hosts = Array.from({ length: HOSTS / 2 }, (_, n) => n * 2);
  await db.query(`INSERT INTO address (grp, ip_addr, mask, port) VALUES ${hosts.map(() => '(?, ?, 32, 0)').join(', ')}`, hosts.flatMap((i) => [ADDRESS_GROUP, hostAddress(i)]));
  return db;
}

/** Applies provisioning changes and remembers whom they touched. */
export class Churn {
  /** Changes applied so far. */
  changes = 0;
  /** User ranks whose rows changed. */
  readonly users = new Set<number>();
  private version = 0;

  constructor(
    private readonly db: KamailioDatabase,
    private readonly userCount: number,
    private readonly random: Random,
  ) {}

  /** One change: a membership toggled (half), a password changed (40 %), or an address row toggled. */
  async step(): Promise<void> {
    const roll = this.random();
    if (roll < 0.9) {
      const i = randomIndex(this.random, Math.min(this.userCount, 2000)); // hot users, as the nodes ask them most
      this.users.add(i);
      if (roll < 0.5) {
        const removed = await this.db.query<ResultSetHeader>('DELETE FROM grp WHERE username = ? AND grp = ?', [userName(i), 'ipauth']);
        if (removed.affectedRows === 0) await this.db.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', [userName(i), DOMAIN, 'ipauth']);
      } else {
        this.version += 1;
        await this.db.query('UPDATE subscriber SET ha1 = ? WHERE username = ?', [digestHa1(userName(i), DOMAIN, `pw${i}v${this.version}`), userName(i)]);
      }
    } else {
      const host = hostAddress(randomIndex(this.random, HOSTS));
      const removed = await this.db.query<ResultSetHeader>('DELETE FROM address WHERE grp = ? AND ip_addr = ?', [ADDRESS_GROUP, host]);
      if (removed.affectedRows === 0) await this.db.query('INSERT INTO address (grp, ip_addr, mask, port) VALUES (?, ?, 32, 0)', [ADDRESS_GROUP, host]);
    }
    this.changes += 1;
  }
}
