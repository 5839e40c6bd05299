/**
 * Delivery of operations to one Kamailio node, in the background: callers only enqueue, so a
 * node that is down or slow never holds them up.
 *
 * - Operations wait in a coalescing queue: deletes per table, table flushes (a flush absorbs the
 *   table's deletes), one pending address reload.
 * - Each RPC has the configured deadline and is tried `attempts` times, `retryIntervalMs` apart.
 * - When a try still fails, the node is *behind*: every operation not known to be done becomes a
 *   flush of its table (a delete that may have been lost is replaced by dropping the whole
 *   table), new operations do the same, and the node is tried every `retryIntervalMs` until it
 *   answers; then the flushes (and a pending address reload) run first. So a node never keeps an
 *   entry longer than the bound plus its own outage.
 * - An address reload the permissions module refuses as "ongoing reload" (its `reload_delta`) is
 *   retried every interval: the node is up, just busy.
 */
import { EventEmitter } from 'node:events';
import type { KamailioConfig } from '../config/types.js';
import { AuthringError, KamailioRpcError } from '../errors.js';
import type { KamailioRpc } from './kamailio-rpc.js';
import type { KamailioOperation } from './kamailio-plan.js';

/** `up`: operations are delivered as they come; `behind`: the node missed some and is being retried. */
export type KamailioNodeState = 'up' | 'behind';

/** A plain snapshot of one node's counters and state. */
export interface KamailioNodeStats {
  readonly name: string;
  readonly state: KamailioNodeState;
  /** RPCs sent, and those that failed (a fault or no answer). */
  readonly rpcCalls: number;
  readonly rpcFailures: number;
  /** Operations done, by kind. */
  readonly deletes: number;
  readonly flushes: number;
  readonly addressReloads: number;
  /** Operations waiting. */
  readonly pending: number;
  /** Times the node was marked behind. */
  readonly outages: number;
  /** When it was marked behind (ms since the epoch), while it is. */
  readonly behindSince: number | undefined;
  /** The last RPC failure. */
  readonly lastError: string | undefined;
}

/** Events of {@link KamailioNode}. */
export interface KamailioNodeEvents {
  /** A batch of operations was done. */
  delivered: [info: { readonly node: string; readonly deletes: number; readonly flushes: number; readonly addressReloads: number; readonly ms: number }];
  /** One RPC try failed (it is retried, or the node is marked behind). */
  'rpc-error': [info: { readonly node: string; readonly attempt: number; readonly error: KamailioRpcError }];
  /** Tries ran out: the node is behind; these tables will be flushed once it answers. */
  'node-down': [info: { readonly node: string; readonly error: KamailioRpcError; readonly tables: readonly string[] }];
  /** A node that was behind answers again (its flushes follow at once). */
  'node-up': [info: { readonly node: string; readonly downMs: number }];
}

/** The queue's content; a flush of a table absorbs its deletes. */
class Pending {
  readonly deletes = new Map<string, Set<string>>();
  readonly flushes = new Set<string>();
  reload = false;

  get size(): number {
    let n = this.flushes.size + (this.reload ? 1 : 0);
    for (const keys of this.deletes.values()) n += keys.size;
    return n;
  }

  add(operation: KamailioOperation, asFlush: boolean): void {
    if (operation.kind === 'address-reload') this.reload = true;
    else if (operation.kind === 'flush' || asFlush) {
      this.flushes.add(operation.table);
      this.deletes.delete(operation.table);
    } else if (!this.flushes.has(operation.table)) {
      const keys = this.deletes.get(operation.table) ?? new Set<string>();
      keys.add(operation.key);
      this.deletes.set(operation.table, keys);
    }
  }

  /** Flushes first (they are what a node behind needs most), then deletes, then the reload. */
  operations(): KamailioOperation[] {
    return [
      ...[...this.flushes].map((table): KamailioOperation => ({ kind: 'flush', table })),
      ...[...this.deletes].flatMap(([table, keys]) => [...keys].map((key): KamailioOperation => ({ kind: 'delete', table, key }))),
      ...(this.reload ? [{ kind: 'address-reload' } as const] : []),
    ];
  }
}

type Timing = Pick<KamailioConfig, 'rpcTimeoutMs' | 'rpcAttempts' | 'retryIntervalMs'>;

/** One Kamailio node's delivery queue. */
export class KamailioNode extends EventEmitter<KamailioNodeEvents> {
  private pending = new Pending();
  private state: KamailioNodeState = 'up';
  private behindSince: number | undefined;
  private pumping: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly counts = { rpcCalls: 0, rpcFailures: 0, deletes: 0, flushes: 0, addressReloads: 0, outages: 0 };
  private lastError: string | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    /** The node's name. */
    readonly name: string,
    private readonly rpc: KamailioRpc,
    private readonly timing: Timing,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /** Queues operations; returns at once. */
  enqueue(operations: readonly KamailioOperation[]): void {
    if (this.closed) return;
    for (const operation of operations) this.pending.add(operation, this.state === 'behind');
    if (this.pending.size > 0) this.start();
  }

  private start(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      // Queued between the loop's last check and here.
      if (this.pending.size > 0 && !this.closed) this.start();
    });
  }

  /** Resolves when nothing is queued or in flight, or the node is behind. */
  settled(): Promise<void> {
    if (this.pumping === undefined || this.state === 'behind') return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Counters and state. */
  stats(): KamailioNodeStats {
    return { name: this.name, state: this.state, ...this.counts, pending: this.pending.size, behindSince: this.behindSince, lastError: this.lastError };
  }

  /** Stops delivering (what is queued is dropped); resolves when an RPC in flight has ended. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.pumping;
  }

  private async pump(): Promise<void> {
    while (!this.closed && this.pending.size > 0) {
      const batch = this.pending;
      this.pending = new Pending();
      const operations = batch.operations();
      const started = this.now();
      const done = { deletes: 0, flushes: 0, addressReloads: 0 };
      for (let i = 0; i < operations.length; i++) {
        const operation = operations[i] as KamailioOperation;
        const error = await this.deliver(operation);
        if (error === undefined) {
          if (operation.kind === 'delete') done.deletes++;
          else if (operation.kind === 'flush') done.flushes++;
          else done.addressReloads++;
          continue;
        }
        if (this.closed) return;
        this.markBehind(error, operations.slice(i));
        await this.untilAnswering();
        break;
      }
      this.counts.deletes += done.deletes;
      this.counts.flushes += done.flushes;
      this.counts.addressReloads += done.addressReloads;
      if (done.deletes + done.flushes + done.addressReloads > 0) this.emit('delivered', { node: this.name, ...done, ms: this.now() - started });
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Tries one operation; resolves with the last error when every try failed. */
  private async deliver(operation: KamailioOperation): Promise<KamailioRpcError | undefined> {
    for (let attempt = 1; ; attempt++) {
      const error = await this.call(operation);
      if (error === undefined) return undefined;
      // The permissions module refuses reloads closer than its reload_delta: busy, not down.
      const busy = operation.kind === 'address-reload' && /ongoing reload/i.test(error.fault?.message ?? '');
      if (!busy) this.emit('rpc-error', { node: this.name, attempt, error });
      if ((!busy && attempt >= this.timing.rpcAttempts) || this.closed) return error;
      await this.sleep(this.timing.retryIntervalMs);
    }
  }

  private async call(operation: KamailioOperation): Promise<KamailioRpcError | undefined> {
    const [method, params] =
      operation.kind === 'delete'
        ? ['htable.delete', [operation.table, operation.key]]
        : operation.kind === 'flush'
          ? ['htable.flush', [operation.table]]
          : ['permissions.addressReload', []];
    this.counts.rpcCalls++;
    try {
      await this.rpc.call(method, params, this.timing.rpcTimeoutMs);
      return undefined;
    } catch (error) {
      const typed = error instanceof KamailioRpcError ? error : new KamailioRpcError(this.name, method, String(error), { cause: error });
      // A delete of a key the table does not hold has nothing left to do.
      if (operation.kind === 'delete' && typed.fault?.code === 404) return undefined;
      this.counts.rpcFailures++;
      this.lastError = typed.message;
      return typed;
    }
  }

  private markBehind(error: KamailioRpcError, unfinished: readonly KamailioOperation[]): void {
    for (const operation of unfinished) this.pending.add(operation, true);
    // Whatever was queued meanwhile may be lost too: flush its tables as well.
    for (const operation of this.pending.operations()) this.pending.add(operation, true);
    this.state = 'behind';
    this.behindSince = this.now();
    this.counts.outages++;
    this.emit('node-down', { node: this.name, error, tables: [...this.pending.flushes] });
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Probes every interval until the node answers (its version), then marks it up. */
  private async untilAnswering(): Promise<void> {
    while (!this.closed) {
      await this.sleep(this.timing.retryIntervalMs);
      if (this.closed) return;
      this.counts.rpcCalls++;
      try {
        await this.rpc.call('core.version', [], this.timing.rpcTimeoutMs);
        break;
      } catch (error) {
        this.counts.rpcFailures++;
        this.lastError = error instanceof AuthringError ? error.message : String(error);
      }
    }
    if (this.closed) return;
    const downMs = this.now() - (this.behindSince ?? this.now());
    this.state = 'up';
    this.behindSince = undefined;
    this.emit('node-up', { node: this.name, downMs });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
