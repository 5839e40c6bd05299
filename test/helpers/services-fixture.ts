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
 * Registers beforeAll/afterAll hooks (call it inside `describe`) that create a database with
 * Kamailio's schema and the fixtures, and drop it after. Read `db` inside tests or hooks.
 */
export function useKamailioDatabase(): { readonly db: KamailioDatabase } {
  let db: KamailioDatabase | undefined;
  beforeAll(async () => {
    db = await createKamailioDatabase();
    await loadFixtures(db);
  });
  afterAll(async () => {
    await db?.drop();
  });
  return {
    get db(): KamailioDatabase {
      if (!db) throw new Error('the database fixture is used before its beforeAll ran');
      return db;
    },
  };
}

/**
 * {@link useKamailioDatabase} plus `memcachedCount` memcached processes, started before the
 * describe's tests and stopped after.
 */
export function useServicesFixture(memcachedCount: number): ServicesFixture {
  const database = useKamailioDatabase();
  const servers: MemcachedProcess[] = [];
  beforeAll(async () => {
    for (let i = 0; i < memcachedCount; i++) servers.push(await MemcachedProcess.start());
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => (s.running ? s.stop() : undefined)));
  });
  return {
    get db(): KamailioDatabase {
      return database.db;
    },
    servers,
    get addresses(): string[] {
      return servers.map((s) => s.address);
    },
  };
}
