/**
 * The set-up the fault tests share: a Kamailio database with a population of its own, two real
 * memcached servers and MariaDB, each reached through a {@link TcpProxy} so a test can stall,
 * slow, blackhole or reset one of them; and the true answer to every question, read from MySQL
 * directly (not through the proxy, not through authring).
 */
import type { RowDataPacket } from 'mysql2/promise';
import { AuthCache, type AuthCacheOptions } from '../../src/auth/auth-cache.js';
import { createKamailioDatabase, digestHa1, loadFixtures, type KamailioDatabase, type KamailioFixtures } from '../helpers/kamailio-db.js';
import { MemcachedProcess } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** One question a proxy node asks, with the answer MySQL gives. */
export type Question =
  | { readonly kind: 'group'; readonly user: string; readonly group: string; readonly truth: boolean }
  | { readonly kind: 'credentials'; readonly user: string; readonly truth: string | undefined }
  | { readonly kind: 'address'; readonly ip: string; readonly truth: boolean };

const DOMAIN = 'example.com';
const USERS = 60;
/** The `address` group the questions ask about (the population's own). */
export const ADDRESS_GROUP = 77;

/** Users fu0…fu59 with a password each; even ones in ipauth, every third in voice; host rows for even addresses. */
function population(): KamailioFixtures {
  const users = Array.from({ length: USERS }, (_, i) => `fu${i}`);
  return {
    subscribers: users.map((username, i) => ({
      username,
      domain: DOMAIN,
      password: `pw${i}`,
      ha1: digestHa1(username, DOMAIN, `pw${i}`),
      ha1b: '',
      secret: `pw${i}`,
      note: 'fault population',
    })),
    groups: users.flatMap((username, i) => [
      ...(i % 2 === 0 ? [{ username, domain: DOMAIN, grp: 'ipauth', note: 'fault population' }] : []),
      ...(i % 3 === 0 ? [{ username, domain: DOMAIN, grp: 'voice', note: 'fault population' }] : []),
    ]),
    addresses: Array.from({ length: 10 }, (_, i) => ({ grp: ADDRESS_GROUP, ipAddr: `127.0.77.${i * 2}`, mask: 32, port: 0, tag: null, note: 'fault population' })),
  };
}

/** The rig: services, proxies in front of them, and the questions with their true answers. */
export class FaultRig {
  private nodes = 0;

  private constructor(
    readonly db: KamailioDatabase,
    readonly memcached: readonly MemcachedProcess[],
    /** One proxy per memcached server, in the same order; the nodes reach memcached only through these. */
    readonly memcachedProxies: readonly TcpProxy[],
    /** The nodes reach MySQL only through this. */
    readonly mysqlProxy: TcpProxy,
    readonly questions: readonly Question[],
  ) {}

  /** Creates the database and population, starts two memcached servers and the proxies. */
  static async start(): Promise<FaultRig> {
    const db = await createKamailioDatabase();
    await loadFixtures(db, population());
    const memcached = [await MemcachedProcess.start(), await MemcachedProcess.start()];
    const memcachedProxies = await Promise.all(memcached.map((m) => TcpProxy.start(m.port)));
    const mysqlProxy = await TcpProxy.start(Number(new URL(db.url).port || 3306));
    return new FaultRig(db, memcached, memcachedProxies, mysqlProxy, await truth(db));
  }

  /** The MySQL URL through the proxy. */
  get proxiedMysqlUrl(): string {
    const url = new URL(this.db.url);
    url.port = String(this.mysqlProxy.port);
    return url.toString();
  }

  /**
   * A proxy node's AuthCache with default deadlines, pool size and failure handling, in a namespace of its
   * own (so each fault starts from a cold cache), reaching everything through the proxies.
   */
  async node(options: Partial<AuthCacheOptions> = {}): Promise<AuthCache> {
    this.nodes += 1;
    return AuthCache.create({
      memcached: { servers: this.memcachedProxies.map((p) => p.address) },
      mysql: { uri: this.proxiedMysqlUrl },
      ...options,
      cache: { keyPrefix: `flt${process.pid}n${this.nodes}:`, ...options.cache },
    });
  }

  /** Puts every proxy back to forwarding. */
  heal(): void {
    for (const proxy of [...this.memcachedProxies, this.mysqlProxy]) {
      proxy.mode = 'forward';
      proxy.delayMs = 0;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.memcachedProxies, this.mysqlProxy].map((p) => p.stop()));
    await Promise.all(this.memcached.map((m) => m.stop()));
    await this.db.drop();
  }
}

/** Every question, answered by SQL on the database itself (use_domain off, as Kamailio's default). */
async function truth(db: KamailioDatabase): Promise<Question[]> {
  const questions: Question[] = [];
  const count = async (sql: string, values: unknown[]): Promise<number> => Number((await db.query<RowDataPacket[]>(sql, values))[0]?.['n']);
  // Ten users more than exist: their answers are "no" and "none".
  for (let i = 0; i < USERS + 10; i++) {
    const user = `fu${i}`;
    for (const group of ['ipauth', 'voice']) {
      const n = await count('SELECT COUNT(*) AS n FROM grp WHERE username = ? AND grp = ?', [user, group]);
      questions.push({ kind: 'group', user, group, truth: n > 0 });
    }
    const [row] = await db.query<RowDataPacket[]>('SELECT ha1 FROM subscriber WHERE username = ? LIMIT 1', [user]);
    questions.push({ kind: 'credentials', user, truth: row === undefined ? undefined : String(row['ha1']) });
  }
  for (let i = 0; i < 20; i++) {
    const ip = `127.0.77.${i}`;
    const n = await count('SELECT COUNT(*) AS n FROM address WHERE grp = ? AND ip_addr = ? AND mask = 32 AND (port = 0 OR port = 5060)', [ADDRESS_GROUP, ip]);
    questions.push({ kind: 'address', ip, truth: n > 0 });
  }
  return questions;
}

/** Asks one question; resolves with whether the answer is MySQL's. */
export async function ask(auth: AuthCache, question: Question): Promise<boolean> {
  switch (question.kind) {
    case 'group':
      return (await auth.isUserInGroup(question.user, DOMAIN, question.group)) === question.truth;
    case 'credentials':
      return (await auth.getCredentials(question.user, DOMAIN))?.ha1 === question.truth;
    case 'address':
      return (await auth.allowAddress(question.ip, ADDRESS_GROUP, 5060)) === question.truth;
  }
}
