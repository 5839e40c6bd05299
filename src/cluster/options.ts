import { InvalidArgumentError } from '../errors.js';
import { SaslCredentials, TlsSettings, type SaslOptions, type TlsOptions } from './security.js';
import { parseServerList, type ServerSpec } from './server-spec.js';

export type { SaslOptions, TlsOptions } from './security.js';

/**
 * Where the keys of a down server go:
 * - `'next'`: the next distinct live server clockwise on the ring (what libmemcached's
 *   auto-eject converges to), with TTLs capped at `fallbackTtlSeconds`;
 * - `{ gutter: [...] }`: a separate pool of servers (its own ketama ring) reserved for outages,
 *   with the same TTL cap;
 * - `'none'`: requests for those keys fail at once with `E_SERVER_DOWN`.
 */
export type FallbackPolicy = 'next' | 'none' | { readonly gutter: readonly string[] };

/** Options of {@link MemcacheCluster}. Every field but `servers` has a default. */
export interface MemcacheClusterOptions {
  /** Servers as `host:port[:weight]` (IPv6 as `[addr]:port[:weight]`); order matters only for ties. */
  readonly servers: readonly string[];
  /**
   * Deadline of one request in milliseconds, connection time included. A request that misses it
   * fails alone with `E_TIMEOUT`; the socket and other requests carry on. Per-call override: the
   * `timeoutMs` of each operation's options.
   * @default 250
   */
  readonly timeoutMs?: number;
  /** Milliseconds to open a TCP connection. @default 1000 */
  readonly connectTimeoutMs?: number;
  /**
   * Milliseconds the oldest unanswered request may wait before its socket is judged dead and
   * replaced on the next request. Keep it above `timeoutMs`.
   * @default 2000
   */
  readonly socketTimeoutMs?: number;
  /** Consecutive transport failures (timeouts, connection errors) that mark a server down. @default 3 */
  readonly failureThreshold?: number;
  /** Milliseconds between background probes of a down server. @default 1000 */
  readonly probeIntervalMs?: number;
  /** Where a down server's keys go. @default 'next' */
  readonly fallback?: FallbackPolicy;
  /**
   * Longest TTL, in seconds, of an entry written to a fallback server; 0 is never used as
   * "forever" there, it becomes this cap. Bounds how long a fallback copy could survive if
   * recovery could not delete it.
   * @default 10
   */
  readonly fallbackTtlSeconds?: number;
  /**
   * Keys one down server's outage journal remembers. Past it, recovery flushes the server
   * (`flush_all`) instead of deleting key by key, since it can no longer tell which copies are stale.
   * @default 10000
   */
  readonly outageJournalSize?: number;
  /** TCP keep-alive on server sockets. @default true */
  readonly keepAlive?: boolean;
  /**
   * Largest value, in bytes, a server may answer with. A response header announcing more is a
   * protocol violation: the connection is closed before any of that body is read and the server
   * is marked down. Match memcached's item size limit (`-I`, 1 MiB by default); authring's own
   * entries are far smaller.
   * @default 1048576
   */
  readonly maxValueBytes?: number;
  /**
   * Authenticate to every server with SASL PLAIN (memcached started with `-S`) before any other
   * request on a connection. A refusal fails the waiting requests with `E_AUTH` and counts toward
   * marking the server down. Over plain TCP the password crosses the network in clear text: use
   * it with `tls` unless the network is trusted. Without `sasl`, a server that demands
   * authentication answers `E_AUTH` too.
   */
  readonly sasl?: SaslOptions;
  /**
   * Speak TLS to every server (memcached started with `-Z`), verifying each server's certificate
   * against `ca` (or the system's CAs) and its name (the host, or `serverName`). A failed
   * handshake or verification fails the waiting requests with `E_CONNECTION`.
   */
  readonly tls?: TlsOptions;
}

/** Options with every default applied and every value checked. */
export interface ResolvedClusterOptions {
  readonly servers: readonly ServerSpec[];
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly failureThreshold: number;
  readonly probeIntervalMs: number;
  readonly fallback: 'next' | 'none' | 'gutter';
  readonly gutter: readonly ServerSpec[];
  readonly fallbackTtlSeconds: number;
  readonly outageJournalSize: number;
  readonly keepAlive: boolean;
  readonly maxValueBytes: number;
  readonly sasl: SaslCredentials | undefined;
  readonly tls: TlsSettings | undefined;
}

/** memcached's default item size limit (`-I 1m`). */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/**
 * The defaults of {@link MemcacheClusterOptions}, written once: the cluster applies them, and the
 * config file's `memcached:` section takes them as its own.
 */
export const CLUSTER_DEFAULTS: Required<Omit<MemcacheClusterOptions, 'servers' | 'sasl' | 'tls'>> = {
  timeoutMs: 250,
  connectTimeoutMs: 1000,
  socketTimeoutMs: 2000,
  failureThreshold: 3,
  probeIntervalMs: 1000,
  fallback: 'next',
  fallbackTtlSeconds: 10,
  outageJournalSize: 10_000,
  keepAlive: true,
  maxValueBytes: DEFAULT_MAX_VALUE_BYTES,
};

/**
 * Applies defaults and validates.
 * @throws InvalidArgumentError naming the option.
 */
export function resolveClusterOptions(options: MemcacheClusterOptions): ResolvedClusterOptions {
  const D = CLUSTER_DEFAULTS;
  const fallback = options.fallback ?? D.fallback;
  const gutter = typeof fallback === 'object' ? parseServerList(fallback.gutter) : [];
  const servers = parseServerList(options.servers);
  const overlap = gutter.find((g) => servers.some((s) => s.canonical === g.canonical));
  if (overlap) throw new InvalidArgumentError(`gutter server ${overlap.canonical} is also a ring server`);
  const resolved: ResolvedClusterOptions = {
    servers,
    timeoutMs: positive('timeoutMs', options.timeoutMs ?? D.timeoutMs),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? D.connectTimeoutMs),
    socketTimeoutMs: positive('socketTimeoutMs', options.socketTimeoutMs ?? D.socketTimeoutMs),
    failureThreshold: positiveInteger('failureThreshold', options.failureThreshold ?? D.failureThreshold),
    probeIntervalMs: positive('probeIntervalMs', options.probeIntervalMs ?? D.probeIntervalMs),
    fallback: typeof fallback === 'object' ? 'gutter' : fallback,
    gutter,
    fallbackTtlSeconds: positiveInteger('fallbackTtlSeconds', options.fallbackTtlSeconds ?? D.fallbackTtlSeconds),
    outageJournalSize: positiveInteger('outageJournalSize', options.outageJournalSize ?? D.outageJournalSize),
    keepAlive: options.keepAlive ?? D.keepAlive,
    maxValueBytes: positiveInteger('maxValueBytes', options.maxValueBytes ?? D.maxValueBytes),
    sasl: SaslCredentials.from(options.sasl),
    tls: TlsSettings.from(options.tls),
  };
  if (!['next', 'none', 'gutter'].includes(resolved.fallback)) {
    throw new InvalidArgumentError(`fallback must be 'next', 'none' or { gutter: [...] }`);
  }
  return resolved;
}

/** Validates a per-call deadline. */
export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
