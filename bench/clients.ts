import Memcached from 'memcached';
import { MemcacheClient } from 'memcache-client';
import memjs from 'memjs';
import type { MemcacheCluster as Cluster } from '../src/index.js';
import { library } from './subject.js';

const { MemcacheCluster } = library;

/** The clients every scenario compares, behind one small promise interface. */
export type ClientId = 'cluster' | 'memjs' | 'memcacheClient' | 'memcached';

/** Display names, as the tables show them. */
export const CLIENT_NAMES: Readonly<Record<ClientId, string>> = {
  cluster: 'MemcacheCluster',
  memjs: 'memjs (raw)',
  memcacheClient: 'memcache-client',
  memcached: 'memcached pkg',
};

/** A client as the scenarios drive it. */
export interface BenchClient {
  readonly id: ClientId;
  readonly name: string;
  /** Reads one key; resolves true on a hit. */
  get(key: string): Promise<boolean>;
  /** Stores a value without expiry. */
  set(key: string, value: string): Promise<void>;
  close(): void;
}

/**
 * authring's cluster client with its default options but the request timeout, raised to 5 s so that
 * a stall of the shared machine does not end the run.
 */
export function clusterClient(servers: readonly string[]): BenchClient & { readonly cluster: Cluster } {
  const cluster = new MemcacheCluster({ servers, timeoutMs: 5000 });
  return {
    id: 'cluster',
    name: CLIENT_NAMES.cluster,
    cluster,
    get: (key) => cluster.get(key).then(isDefined),
    set: (key, value) => cluster.set(key, value),
    close: () => cluster.close(),
  };
}

/** memjs's own Client with its defaults (its own key placement, one socket per server). */
export function memjsClient(servers: readonly string[]): BenchClient & { readonly client: InstanceType<typeof memjs.Client> } {
  const client = memjs.Client.create(servers.join(','));
  return {
    id: 'memjs',
    name: CLIENT_NAMES.memjs,
    client,
    get: (key) => client.get(key).then((r) => r.value !== null),
    set: (key, value) =>
      client.set(key, value, { expires: 0 }).then((ok) => {
        if (!ok) throw new Error(`memjs could not store ${key}`);
      }),
    close: () => client.close(),
  };
}

/** The `memcached` package (text protocol, a pool of up to 10 sockets per server by default). */
export function memcachedClient(servers: readonly string[]): BenchClient & { readonly client: Memcached } {
  const client = new Memcached([...servers]);
  return {
    id: 'memcached',
    name: CLIENT_NAMES.memcached,
    client,
    get: (key) =>
      new Promise<boolean>((resolve, reject) => {
        client.get(key, (error: unknown, data: unknown) => (error ? reject(toError(error)) : resolve(data !== undefined)));
      }),
    set: (key, value) =>
      new Promise<void>((resolve, reject) => {
        client.set(key, value, 0, (error: unknown) => (error ? reject(toError(error)) : resolve()));
      }),
    close: () => client.end(),
  };
}

/**
 * memcache-client (electrode-io; text protocol) with its defaults. It treats several servers as
 * redundant copies, not shards, so there is one client per server and keys are spread over them by
 * a hash modulo the server count, as memjs places its own.
 */
export function memcacheClient(servers: readonly string[]): BenchClient & { getMulti(keys: readonly string[]): Promise<number> } {
  const clients = servers.map((server) => new MemcacheClient({ server }));
  const of = (key: string): MemcacheClient => clients[hashOf(key) % clients.length] as MemcacheClient;
  return {
    id: 'memcacheClient',
    name: CLIENT_NAMES.memcacheClient,
    get: async (key) => (await of(key).get<string>(key)) !== undefined,
    set: async (key, value) => void (await of(key).set(key, value, { lifetime: 0 })),
    /** Reads keys with one multi-key `get` per server; resolves with the hits. */
    getMulti: async (keys) => {
      const byClient = new Map<MemcacheClient, string[]>();
      for (const key of keys) byClient.set(of(key), [...(byClient.get(of(key)) ?? []), key]);
      const answers = await Promise.all([...byClient].map(([client, list]) => client.get<Record<string, unknown>>(list)));
      return answers.reduce((hits, answer) => hits + Object.keys(answer ?? {}).length, 0);
    },
    close: () => clients.forEach((client) => client.shutdown()),
  };
}

/** A small string hash (FNV-1a) for {@link memcacheClient}'s placement. */
export function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Opens every client. */
export function allClients(servers: readonly string[]): BenchClient[] {
  return [clusterClient(servers), memjsClient(servers), memcacheClient(servers), memcachedClient(servers)];
}

/** `bench:<client>:<n>`, zero-padded so every client's keys have the same length. */
export function benchKey(prefix: string, i: number): string {
  return `bench:${prefix}:${String(i).padStart(5, '0')}`;
}

/** A 100-byte (by default) printable value that differs per key. */
export function benchValue(i: number, bytes = 100): string {
  const head = `v${i}:`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length));
}

/**
 * Writes `count` keys through the client itself (each client places keys its own way), 100 at a
 * time, then reads them all back and fails if any is missing.
 */
export async function preload(client: BenchClient, prefix: string, count: number, valueBytes = 100): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => benchKey(prefix, i));
  for (let i = 0; i < count; i += 100) {
    await Promise.all(keys.slice(i, i + 100).map((key, j) => client.set(key, benchValue(i + j, valueBytes))));
  }
  for (let i = 0; i < count; i += 100) {
    const hits = await Promise.all(keys.slice(i, i + 100).map((key) => client.get(key)));
    const missing = hits.indexOf(false);
    if (missing >= 0) throw new Error(`${client.name}: preloaded key ${keys[i + missing]} reads back as a miss`);
  }
  return keys;
}

/** True for anything but `undefined`: what a get resolves to on a hit (shared by contenders so their wrappers match). */
export function isDefined(value: unknown): boolean {
  return value !== undefined;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
