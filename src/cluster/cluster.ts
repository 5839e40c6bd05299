import { EventEmitter } from 'node:events';
import type {
  CallOptions,
  CasResult,
  ClusterEvents,
  ClusterStats,
  DeleteOptions,
  IncrementOptions,
  StoreOptions,
} from './call-options.js';
import { Prober } from './prober.js';
import { multiGet } from './multi-get.js';
import {
  AuthringError,
  asAuthringError,
  ClosedError,
  InvalidArgumentError,
  ServerDownError,
  ServerError,
  ValueTooLargeError,
} from '../errors.js';
import type { Response } from './protocol.js';
import { BINARY_FLAGS, TEXT_FLAGS, itemFromResponse, type Item } from './item.js';
import { ClusterNode } from './node.js';
import { positive, resolveClusterOptions, type MemcacheClusterOptions, type ResolvedClusterOptions } from './options.js';
import {
  Opcode,
  Status,
  bareRequest,
  deleteRequest,
  describeStatus,
  getRequest,
  incrementRequest,
  storeRequest,
  touchRequest,
} from './protocol.js';
import { recover } from './recovery.js';
import { Topology, type Route } from './topology.js';
import { toWireKey } from './wire-key.js';

export type {
  CallOptions,
  StoreOptions,
  DeleteOptions,
  IncrementOptions,
  CasResult,
  ClusterEvents,
  ClusterStats,
} from './call-options.js';

const MAX_TTL = 0xffffffff;

/**
 * A memcached cluster client: one binary-protocol connection per server, keys placed by a weighted ketama
 * ring identical to libmemcached's and twemproxy's, per-request deadlines, down-server detection
 * with background probes, and a fallback whose writes cannot outlive the outage.
 *
 * Keys are any non-empty strings; see {@link toWireKey} for how they reach the wire.
 */
export class MemcacheCluster extends EventEmitter<ClusterEvents> {
  private options: ResolvedClusterOptions;
  private topology: Topology;
  private readonly prober = new Prober(() => this.options.probeIntervalMs);
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
      resolved.maxValueBytes === this.options.maxValueBytes &&
      sameSecurity(resolved.sasl, this.options.sasl) &&
      sameSecurity(resolved.tls, this.options.tls) &&
      resolved.failureThreshold === this.options.failureThreshold &&
      resolved.outageJournalSize === this.options.outageJournalSize;
    const reusable = sameSockets ? previous.nodes : new Map<string, ClusterNode>();
    this.topology = this.buildTopology(resolved, reusable);
    this.options = resolved;
    for (const [address, node] of previous.nodes) {
      if (this.topology.nodes.get(address) === node) continue;
      this.prober.stop(address);
      void node.closeWhenIdle();
    }
  }

  private buildTopology(options: ResolvedClusterOptions, reusable: ReadonlyMap<string, ClusterNode>): Topology {
    const connectionOptions = {
      connectTimeoutMs: options.connectTimeoutMs,
      socketTimeoutMs: options.socketTimeoutMs,
      keepAlive: options.keepAlive,
      maxValueBytes: options.maxValueBytes,
      sasl: options.sasl,
      tls: options.tls,
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
  get(key: string, options: CallOptions = {}): Promise<Item | undefined> {
    return this.getThen(key, options, asItIs, rethrow);
  }

  /**
   * {@link get} with its outcome handed to `onItem` or `onFailure` in the read's own callback, one
   * promise and one turn fewer than `get(…).then(…)`: for a caller that maps every read (the
   * read-through engine's hit path). A rejection of `onItem`'s own making is not given to `onFailure`.
   */
  getThen<R>(key: string, options: CallOptions, onItem: (item: Item | undefined) => R | Promise<R>, onFailure: (error: unknown) => R | Promise<R>): Promise<R> {
    let route: Route;
    let call: Promise<Response>;
    try {
      // Bad arguments and a closed cluster fail before any I/O, and still reach onFailure.
      let wireKey: string;
      ({ route, wireKey } = this.route(key, false));
      call = route.node.call(getRequest(wireKey), this.deadline(options), key, this.remaining(options));
    } catch (error) {
      return Promise.resolve(error).then(onFailure);
    }
    return call.then((response) => {
      let item: Item | undefined;
      try {
        item = this.readResult(route, response, key);
      } catch (error) {
        return onFailure(error);
      }
      return onItem(item);
    }, onFailure);
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
    if (this.closed) throw new ClosedError();
    return multiGet(keys, this.deadline(options), this.remaining(options), {
      route: (key) => this.route(key, false),
      owner: (key) => this.serverFor(key),
    });
  }

  /** Stores a value unconditionally. */
  async set(key: string, value: string | Buffer, options: StoreOptions = {}): Promise<void> {
    await this.store(Opcode.SET, key, value, options, 0n, options.quiet === true);
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
    const { result, cas } = await this.store(Opcode.ADD, key, value, options, 0n, false);
    return result === 'stored' ? cas : undefined;
  }

  /**
   * Stores a value only if the key still holds the CAS token from an earlier `get`/`gets`:
   * `'exists'` when someone changed it since, `'not-found'` when it was deleted or expired.
   */
  async cas(key: string, value: string | Buffer, cas: bigint, options: StoreOptions = {}): Promise<CasResult> {
    return (await this.compareAndSet(key, value, cas, options, options.quiet === true)).result;
  }

  /**
   * Like {@link cas}, but resolves with the new item's CAS token (undefined when the key no
   * longer held `cas`), so the writer can replace its own item again: how a lease is kept alive.
   */
  async casItem(key: string, value: string | Buffer, cas: bigint, options: StoreOptions = {}): Promise<bigint | undefined> {
    // Only an answer carries the new token: never quiet.
    const { result, cas: stored } = await this.compareAndSet(key, value, cas, options, false);
    return result === 'stored' ? stored : undefined;
  }

  /** A SET over the token `cas`: what {@link cas} and {@link casItem} send. */
  private compareAndSet(key: string, value: string | Buffer, cas: bigint, options: StoreOptions, quiet: boolean): Promise<{ result: CasResult; cas: bigint }> {
    if (cas <= 0n) return Promise.reject(new InvalidArgumentError('a CAS token must be positive', { key }));
    return this.store(Opcode.SET, key, value, options, cas, quiet);
  }

  /**
   * Deletes a key; false when it was not there. With `cas`, deletes only if the key still holds
   * that token (false otherwise), so a writer removes its own lease and never someone's value.
   */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    const { route, wireKey } = this.route(key, true);
    const response = await route.node.call(deleteRequest(wireKey, options.cas), this.deadline(options), key, this.remaining(options));
    if (response.status === Status.KEY_NOT_FOUND || response.status === Status.KEY_EXISTS) return false;
    this.expectOk(route, response, key);
    return true;
  }

  /** Gives a key a new TTL in seconds; false when it was not there. */
  async touch(key: string, ttl: number, options: CallOptions = {}): Promise<boolean> {
    const { route, wireKey } = this.route(key, true);
    const effectiveTtl = this.ttlFor(route, ttl, key);
    const response = await route.node.call(touchRequest(wireKey, effectiveTtl), this.deadline(options), key, this.remaining(options));
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
    const response = await route.node.call(request, this.deadline(options), key, this.remaining(options));
    this.expectOk(route, response, key);
    return response.value.readBigUInt64BE(0);
  }

  /** Each server's `version`, or the error that stopped it, by address. Ignores health marks. */
  async versions(options: CallOptions = {}): Promise<Map<string, string | AuthringError>> {
    const timeoutMs = Math.min(this.deadline(options), this.remaining(options) ?? Infinity);
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
    this.prober.stopAll();
    for (const node of this.topology.nodes.values()) node.close();
  }

  /** A SET or ADD; `quiet` (SET only) sends it as SETQ, which memcached answers only when it fails. */
  private async store(
    opcode: typeof Opcode.SET | typeof Opcode.ADD,
    key: string,
    value: string | Buffer,
    options: StoreOptions,
    cas: bigint,
    quiet: boolean,
  ): Promise<{ result: CasResult; cas: bigint }> {
    const { route, wireKey } = this.route(key, true);
    const ttl = this.ttlFor(route, options.ttl ?? 0, key);
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const flags = options.flags ?? (typeof value === 'string' ? TEXT_FLAGS : BINARY_FLAGS);
    const request = storeRequest(quiet ? Opcode.SETQ : opcode, wireKey, bytes, flags, ttl, cas);
    const response = await route.node.call(request, this.deadline(options), key, this.remaining(options));
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

  /** What is left of the caller's deadline, if it said (see {@link CallOptions.remainingMs}). */
  private remaining(options: CallOptions): number | undefined {
    return options.remainingMs === undefined ? undefined : positive('remainingMs', options.remainingMs);
  }

  private markedDown(node: ClusterNode, error: AuthringError): void {
    if (this.closed || this.prober.has(node.address) || this.topology.nodes.get(node.address) !== node) return;
    this.emit('server-down', node.address, error);
    const attempt = (): Promise<boolean> =>
      recover(node, {
        node: (address) => this.topology.nodes.get(address),
        timeoutMs: this.options.timeoutMs,
        changedKeys: async (recovering, downSince) => {
          if (!this.changedKeys) return [];
          const keys = await this.changedKeys(downSince);
          return keys.map(toWireKey).filter((wireKey) => this.topology.owner(wireKey) === recovering);
        },
      });
    this.prober.start(node, attempt, () => {
      if (!this.closed) this.emit('server-up', node.address);
    });
  }
}

/** Both unset, or both set and equal. */
function sameSecurity<T extends { equals(other: T | undefined): boolean }>(a: T | undefined, b: T | undefined): boolean {
  return a === undefined ? b === undefined : a.equals(b);
}

/** {@link MemcacheCluster.get}'s item, as the read gave it. */
function asItIs(item: Item | undefined): Item | undefined {
  return item;
}

/** {@link MemcacheCluster.get}'s failure, as the read gave it. */
function rethrow(error: unknown): never {
  throw error;
}
