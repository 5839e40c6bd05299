import { EventEmitter } from 'node:events';
import {
  AuthringError,
  ClosedError,
  InvalidArgumentError,
  PartialResultError,
  ServerDownError,
  ServerError,
  ValueTooLargeError,
  type BatchFailure,
} from '../errors.js';
import type { Response } from './connection.js';
import { BINARY_FLAGS, TEXT_FLAGS, itemFromResponse, type Item } from './item.js';
import { ClusterNode, type NodeStats } from './node.js';
import { positive, resolveClusterOptions, type MemcacheClusterOptions, type ResolvedClusterOptions } from './options.js';
import {
  Opcode,
  Status,
  bareRequest,
  deleteRequest,
  describeStatus,
  getRequest,
  incrementRequest,
  multiGetRequest,
  storeRequest,
  touchRequest,
} from './protocol.js';
import { recover } from './recovery.js';
import { Topology, type Route } from './topology.js';
import { toWireKey } from './wire-key.js';

/** Per-call options of every operation. */
export interface CallOptions {
  /** Deadline of this call in milliseconds; overrides the cluster's `timeoutMs`. */
  readonly timeoutMs?: number;
}

/** Options of `set`, `add` and `cas`. */
export interface StoreOptions extends CallOptions {
  /**
   * Seconds until expiry; 0 never expires. Values above 30 days (2592000) are read by memcached
   * as an absolute Unix time. Capped at the cluster's `fallbackTtlSeconds` on a fallback server.
   * @default 0
   */
  readonly ttl?: number;
  /** memcached flags; default 1 for a string value (text, as Kamailio reads it), 0 for a Buffer. */
  readonly flags?: number;
}

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  /** Delete only if the key still holds this CAS token. */
  readonly cas?: bigint;
}

/** Options of `incr`. */
export interface IncrementOptions extends CallOptions {
  /**
   * Only the key's owner may answer: while it is down, fail with `E_SERVER_DOWN` (nothing is
   * written elsewhere or journaled) instead of creating the counter afresh on a fallback server.
   * For counters whose value matters across nodes, such as a namespace generation. @default false
   */
  readonly ownerOnly?: boolean;
  /** Value a missing counter is created with (decimal text, flags 0). @default 0n */
  readonly initial?: bigint;
  /** TTL of a counter created by this call, as in {@link StoreOptions.ttl}. @default 0 */
  readonly ttl?: number;
}

/** Result of a compare-and-swap. */
export type CasResult = 'stored' | 'exists' | 'not-found';

/** Events of {@link MemcacheCluster}. */
export interface ClusterEvents {
  /** A server failed `failureThreshold` times in a row; its keys now follow the fallback policy. */
  'server-down': [address: string, error: AuthringError];
  /** A down server answered a probe and its stale copies were removed; it takes traffic again. */
  'server-up': [address: string];
}

/** A snapshot of the cluster's counters. */
export interface ClusterStats {
  /** Ring servers, in configuration order. */
  readonly servers: readonly NodeStats[];
  /** Gutter servers, when the fallback policy is a gutter pool. */
  readonly gutter: readonly NodeStats[];
}

const MAX_TTL = 0xffffffff;

/**
 * A memcached cluster client: one memjs connection per server, keys placed by a weighted ketama
 * ring identical to libmemcached's and twemproxy's, per-request deadlines, down-server detection
 * with background probes, and a fallback whose writes cannot outlive the outage.
 *
 * Keys are any non-empty strings; see {@link toWireKey} for how they reach the wire.
 */
export class MemcacheCluster extends EventEmitter<ClusterEvents> {
  private options: ResolvedClusterOptions;
  private topology: Topology;
  private readonly probes = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private changedKeys: ((downSince: number) => Promise<readonly string[]>) | undefined;

  constructor(options: MemcacheClusterOptions) {
    super();
    this.options = resolveClusterOptions(options);
    this.topology = this.buildTopology(this.options, new Map());
  }

  /**
   * Swaps in a new server list (and the other options) atomically: requests already routed
   * finish on the servers they picked, new requests see only the new ring. Servers kept by
   * address keep their connections and health; removed servers are closed once their requests
   * in flight have settled.
   * @throws InvalidArgumentError when the new options are invalid; the old ones stay in force.
   */
  reconfigure(options: MemcacheClusterOptions): void {
    if (this.closed) throw new ClosedError();
    const resolved = resolveClusterOptions(options);
    const previous = this.topology;
    const sameSockets =
      resolved.connectTimeoutMs === this.options.connectTimeoutMs &&
      resolved.socketTimeoutMs === this.options.socketTimeoutMs &&
      resolved.keepAlive === this.options.keepAlive &&
      resolved.failureThreshold === this.options.failureThreshold &&
      resolved.outageJournalSize === this.options.outageJournalSize;
    const reusable = sameSockets ? previous.nodes : new Map<string, ClusterNode>();
    this.topology = this.buildTopology(resolved, reusable);
    this.options = resolved;
    for (const [address, node] of previous.nodes) {
      if (this.topology.nodes.get(address) === node) continue;
      const timer = this.probes.get(address);
      if (timer) clearInterval(timer);
      this.probes.delete(address);
      void node.closeWhenIdle();
    }
  }

  private buildTopology(options: ResolvedClusterOptions, reusable: ReadonlyMap<string, ClusterNode>): Topology {
    const connectionOptions = {
      connectTimeoutMs: options.connectTimeoutMs,
      socketTimeoutMs: options.socketTimeoutMs,
      keepAlive: options.keepAlive,
    };
    const nodes = new Map<string, ClusterNode>();
    for (const spec of [...options.servers, ...options.gutter]) {
      const kept = reusable.get(spec.address);
      nodes.set(
        spec.address,
        kept && kept.spec.weight === spec.weight
          ? kept
          : new ClusterNode(spec, connectionOptions, options.failureThreshold, options.outageJournalSize, (node, error) =>
              this.markedDown(node, error),
            ),
      );
    }
    return new Topology(options, nodes);
  }

  /** The server (`host:port`) that owns a key on the ring, whatever its health. */
  serverFor(key: string): string {
    return this.topology.owner(toWireKey(key)).address;
  }

  /** Reads a key; `undefined` on a miss. The item carries its CAS token. */
  async get(key: string, options: CallOptions = {}): Promise<Item | undefined> {
    const { route, wireKey } = this.route(key, false);
    const response = await route.node.call(getRequest(wireKey), this.deadline(options), key);
    return this.readResult(route, response, key);
  }

  /** Same as {@link get}: every read returns the CAS token (memcached's `gets`). */
  gets(key: string, options: CallOptions = {}): Promise<Item | undefined> {
    return this.get(key, options);
  }

  /**
   * Reads many keys: one pipelined batch per server, all servers in parallel. Resolves with the
   * hits by the caller's keys.
   * @throws PartialResultError when some servers failed; it carries the other servers' hits.
   */
  async getMulti(keys: readonly string[], options: CallOptions = {}): Promise<Map<string, Item>> {
    const timeoutMs = this.deadline(options);
    const batches = new Map<ClusterNode, { route: Route; callerKeys: Map<string, string[]> }>();
    const hits = new Map<string, Item>();
    const failures: BatchFailure[] = [];
    for (const key of new Set(keys)) {
      let routed: { route: Route; wireKey: string };
      try {
        routed = this.route(key, false);
      } catch (error) {
        failures.push({ server: this.serverFor(key), keys: [key], error: asAuthringError(error) });
        continue;
      }
      const batch = batches.get(routed.route.node) ?? { route: routed.route, callerKeys: new Map() };
      batches.set(routed.route.node, batch);
      const callers = batch.callerKeys.get(routed.wireKey) ?? [];
      callers.push(key);
      batch.callerKeys.set(routed.wireKey, callers);
    }
    await Promise.all(
      [...batches].map(async ([node, { route, callerKeys }]) => {
        const wireKeys = [...callerKeys.keys()];
        try {
          const responses = await node.callBatch(multiGetRequest(wireKeys), timeoutMs);
          let found = 0;
          for (const response of responses) {
            if (response.status !== Status.OK) continue;
            const item = itemFromResponse(response);
            for (const key of callerKeys.get(response.key.toString('latin1')) ?? []) {
              hits.set(key, item);
              found += 1;
            }
          }
          node.counters.hits += found;
          node.counters.misses += wireKeys.length - found;
          if (route.fallback) node.counters.fallbackServed += 1;
        } catch (error) {
          failures.push({ server: node.address, keys: [...callerKeys.values()].flat(), error: asAuthringError(error) });
        }
      }),
    );
    if (failures.length > 0) throw new PartialResultError(hits, failures);
    return hits;
  }

  /** Stores a value unconditionally. */
  async set(key: string, value: string | Buffer, options: StoreOptions = {}): Promise<void> {
    await this.store(Opcode.SET, key, value, options, 0n);
  }

  /** Stores a value only if the key is absent; false when it was present. */
  async add(key: string, value: string | Buffer, options: StoreOptions = {}): Promise<boolean> {
    return (await this.addItem(key, value, options)) !== undefined;
  }

  /**
   * Like {@link add}, but resolves with the new item's CAS token (undefined when the key was
   * present), so the writer can later replace or delete exactly what it stored: the basis of
   * leases and stale-set protection.
   */
  async addItem(key: string, value: string | Buffer, options: StoreOptions = {}): Promise<bigint | undefined> {
    const { result, cas } = await this.store(Opcode.ADD, key, value, options, 0n);
    return result === 'stored' ? cas : undefined;
  }

  /**
   * Stores a value only if the key still holds the CAS token from an earlier `get`/`gets`:
   * `'exists'` when someone changed it since, `'not-found'` when it was deleted or expired.
   */
  async cas(key: string, value: string | Buffer, cas: bigint, options: StoreOptions = {}): Promise<CasResult> {
    if (cas <= 0n) throw new InvalidArgumentError('a CAS token must be positive', { key });
    return (await this.store(Opcode.SET, key, value, options, cas)).result;
  }

  /**
   * Deletes a key; false when it was not there. With `cas`, deletes only if the key still holds
   * that token (false otherwise), so a writer removes its own lease and never someone's value.
   */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    const { route, wireKey } = this.route(key, true);
    const response = await route.node.call(deleteRequest(wireKey, options.cas), this.deadline(options), key);
    if (response.status === Status.KEY_NOT_FOUND || response.status === Status.KEY_EXISTS) return false;
    this.expectOk(route, response, key);
    return true;
  }

  /** Gives a key a new TTL in seconds; false when it was not there. */
  async touch(key: string, ttl: number, options: CallOptions = {}): Promise<boolean> {
    const { route, wireKey } = this.route(key, true);
    const effectiveTtl = this.ttlFor(route, ttl, key);
    const response = await route.node.call(touchRequest(wireKey, effectiveTtl), this.deadline(options), key);
    if (response.status === Status.KEY_NOT_FOUND) return false;
    this.expectOk(route, response, key);
    return true;
  }

  /** Adds `delta` to a decimal counter, creating it with `initial`; resolves with the new value. */
  async incr(key: string, delta = 1n, options: IncrementOptions = {}): Promise<bigint> {
    if (delta < 0n) throw new InvalidArgumentError('delta must not be negative', { key });
    const { route, wireKey } = this.route(key, true, options.ownerOnly ?? false);
    const ttl = this.ttlFor(route, options.ttl ?? 0, key);
    const request = incrementRequest(wireKey, delta, options.initial ?? 0n, ttl);
    const response = await route.node.call(request, this.deadline(options), key);
    this.expectOk(route, response, key);
    return response.value.readBigUInt64BE(0);
  }

  /** Each server's `version`, or the error that stopped it, by address. Ignores health marks. */
  async versions(options: CallOptions = {}): Promise<Map<string, string | AuthringError>> {
    const timeoutMs = this.deadline(options);
    const entries = await Promise.all(
      [...this.topology.nodes.values()].map(async (node): Promise<[string, string | AuthringError]> => {
        try {
          const response = await node.probe(bareRequest(Opcode.VERSION), timeoutMs);
          return [node.address, response.value.toString('latin1')];
        } catch (error) {
          return [node.address, asAuthringError(error)];
        }
      }),
    );
    return new Map(entries);
  }

  /**
   * Registers where recovery learns of keys changed by others while a server was down: a
   * function resolving with the caller keys changed since `downSince` (ms since the epoch). Before
   * a recovered server takes traffic, those of its keys are deleted from it, so a copy it kept
   * through the outage is never served after a change made meanwhile by any process. If the
   * function fails, the server stays down and the next probe tries again.
   */
  setRecoverySource(changedSince: ((downSince: number) => Promise<readonly string[]>) | undefined): void {
    this.changedKeys = changedSince;
  }

  /** A snapshot of every server's counters and state. */
  stats(): ClusterStats {
    const gutter = new Set(this.options.gutter.map((g) => g.address));
    const all = [...this.topology.nodes.values()].map((node) => node.stats());
    return { servers: all.filter((s) => !gutter.has(s.address)), gutter: all.filter((s) => gutter.has(s.address)) };
  }

  /** Ends every socket and timer; later calls fail with `E_CLOSED`. */
  close(): void {
    this.closed = true;
    for (const timer of this.probes.values()) clearInterval(timer);
    this.probes.clear();
    for (const node of this.topology.nodes.values()) node.close();
  }

  private async store(
    opcode: typeof Opcode.SET | typeof Opcode.ADD,
    key: string,
    value: string | Buffer,
    options: StoreOptions,
    cas: bigint,
  ): Promise<{ result: CasResult; cas: bigint }> {
    const { route, wireKey } = this.route(key, true);
    const ttl = this.ttlFor(route, options.ttl ?? 0, key);
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const flags = options.flags ?? (typeof value === 'string' ? TEXT_FLAGS : BINARY_FLAGS);
    const request = storeRequest(opcode, wireKey, bytes, flags, ttl, cas);
    const response = await route.node.call(request, this.deadline(options), key);
    if (response.status === Status.KEY_EXISTS || response.status === Status.NOT_STORED) {
      return { result: 'exists', cas: 0n };
    }
    if (response.status === Status.KEY_NOT_FOUND) return { result: 'not-found', cas: 0n };
    this.expectOk(route, response, key);
    return { result: 'stored', cas: response.cas };
  }

  /**
   * Routes a key. A mutation of a down server's key is journaled, whether a fallback takes it or
   * not, so recovery removes the server's now-stale copy.
   */
  private route(key: string, mutation: boolean, ownerOnly = false): { route: Route; wireKey: string } {
    if (this.closed) throw new ClosedError();
    const wireKey = toWireKey(key);
    if (ownerOnly) {
      const owner = this.topology.owner(wireKey);
      if (owner.health.state !== 'up') throw new ServerDownError(owner.address, key);
      return { route: { node: owner, owner, fallback: false }, wireKey };
    }
    let route: Route;
    try {
      route = this.topology.route(wireKey, key);
    } catch (error) {
      if (mutation) this.topology.owner(wireKey).journal.record(wireKey, undefined);
      throw error;
    }
    if (route.fallback && mutation) route.owner.journal.record(wireKey, route.node.address);
    if (route.fallback) route.node.counters.fallbackServed += 1;
    return { route, wireKey };
  }

  private ttlFor(route: Route, ttl: number, key: string): number {
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) {
      throw new InvalidArgumentError(`ttl must be an integer number of seconds 0..${MAX_TTL}`, { key });
    }
    if (!route.fallback) return ttl;
    const cap = this.options.fallbackTtlSeconds;
    // 0 (never) and absolute times (above 30 days) both exceed any sensible cap.
    return ttl === 0 || ttl > cap ? cap : ttl;
  }

  private readResult(route: Route, response: Response, key: string): Item | undefined {
    if (response.status === Status.KEY_NOT_FOUND) {
      route.node.counters.misses += 1;
      return undefined;
    }
    this.expectOk(route, response, key);
    route.node.counters.hits += 1;
    return itemFromResponse(response);
  }

  private expectOk(route: Route, response: Response, key: string): void {
    if (response.status === Status.OK) return;
    if (response.status === Status.VALUE_TOO_LARGE) throw new ValueTooLargeError(route.node.address, key);
    throw new ServerError(route.node.address, response.status, describeStatus(response.status), key);
  }

  private deadline(options: CallOptions): number {
    return options.timeoutMs === undefined ? this.options.timeoutMs : positive('timeoutMs', options.timeoutMs);
  }

  private markedDown(node: ClusterNode, error: AuthringError): void {
    if (this.closed || this.probes.has(node.address) || this.topology.nodes.get(node.address) !== node) return;
    this.emit('server-down', node.address, error);
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void recover(node, {
        node: (address) => this.topology.nodes.get(address),
        timeoutMs: this.options.timeoutMs,
        changedKeys: async (recovering, downSince) => {
          if (!this.changedKeys) return [];
          const keys = await this.changedKeys(downSince);
          return keys.map(toWireKey).filter((wireKey) => this.topology.owner(wireKey) === recovering);
        },
      })
        .then((recovered) => {
          if (!recovered || this.closed || this.probes.get(node.address) !== timer) return;
          clearInterval(timer);
          this.probes.delete(node.address);
          this.emit('server-up', node.address);
        })
        .finally(() => {
          running = false;
        });
    }, this.options.probeIntervalMs);
    timer.unref();
    this.probes.set(node.address, timer);
  }
}

function asAuthringError(error: unknown): AuthringError {
  return error instanceof AuthringError ? error : new AuthringError('E_UNKNOWN', String(error), { cause: error });
}
