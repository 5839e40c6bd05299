import { afterAll, beforeAll } from 'vitest';
import { createKamailioDatabase, loadFixtures, type KamailioDatabase } from './kamailio-db.js';
import { MemcachedProcess } from './services.js';

/** What {@link useServicesFixture} sets up for one describe block. */
export interface ServicesFixture {
  /** A fresh database with Kamailio's schema and the fixtures (set in beforeAll). */
  readonly db: KamailioDatabase;
  /** The memcached processes, in start order. */
  readonly servers: readonly MemcachedProcess[];
  /** Their addresses, `127.0.0.1:PORT`. */
  readonly addresses: string[];
}

/**
 * Registers beforeAll/afterAll hooks (call it inside `describe`) that create a Kamailio database
 * with the fixtures and start `memcachedCount` memcached processes, and drop and stop them after.
 * Read the fields inside tests or hooks, not at definition time.
 */
export function useServicesFixture(memcachedCount: number): ServicesFixture {
  let db: KamailioDatabase | undefined;
  const servers: MemcachedProcess[] = [];
  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
    for (let i = 0; i < memcachedCount; i++) servers.push(await MemcachedProcess.start());
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => (s.running ? s.stop() : undefined)));
    await db?.drop();
  });
  return {
    get db(): KamailioDatabase {
      if (!db) throw new Error('the services fixture is used before its beforeAll ran');
      return db;
    },
    servers,
    get addresses(): string[] {
      return servers.map((s) => s.address);
    },
  };
}
