import { AuthenticationError, AuthringError, ConnectionError, ProtocolError, TimeoutError } from '../errors.js';
import { ServerConnection, type ConnectionOptions } from './connection.js';
import type { BatchHits } from './item.js';
import type { Response } from './protocol.js';
import { NodeHealth, type NodeState } from './node-health.js';
import { OutageJournal } from './outage-journal.js';
import type { ServerSpec } from './server-spec.js';

/** Counters of one server since the client started. */
export interface NodeStats {
  readonly address: string;
  readonly state: NodeState;
  readonly requests: number;
  readonly hits: number;
  readonly misses: number;
  readonly timeouts: number;
  /** Requests that ran out of their caller's deadline (`remainingMs`) first; never counted as failures. */
  readonly deadlineCuts: number;
  readonly connectionErrors: number;
  /** Answers that broke the protocol (each closed the connection and marked the server down). */
  readonly protocolErrors: number;
  /** Requests refused for want of authentication. */
  readonly authErrors: number;
  /** Requests this server served for a down server's keys. */
  readonly fallbackServed: number;
  readonly consecutiveFailures: number;
  /** Milliseconds since the epoch when it was marked down, if it is down. */
  readonly downSince: number | undefined;
  /** Keys its outage journal holds (while down). */
  readonly journaledKeys: number;
}

/** Mutable counters behind {@link NodeStats}. */
export interface NodeCounters {
  requests: number;
  hits: number;
  misses: number;
  timeouts: number;
  deadlineCuts: number;
  connectionErrors: number;
  protocolErrors: number;
  authErrors: number;
  fallbackServed: number;
}

/**
 * One server of the cluster: its connection, its health and its counters. Every request to the
 * server passes through {@link ClusterNode.call}, so failures are counted in one place.
 */
export class ClusterNode {
  /** The server. */
  readonly spec: ServerSpec;
  /** Failure bookkeeping. */
  readonly health: NodeHealth;
  /** Keys written elsewhere while this server was down. */
  readonly journal: OutageJournal;
  /** Request counters. */
  readonly counters: NodeCounters = {
    requests: 0,
    hits: 0,
    misses: 0,
    timeouts: 0,
    deadlineCuts: 0,
    connectionErrors: 0,
    protocolErrors: 0,
    authErrors: 0,
    fallbackServed: 0,
  };
  private readonly connection: ServerConnection;
  private pending = 0;
  private idle: (() => void) | undefined;

  constructor(
    spec: ServerSpec,
    connectionOptions: ConnectionOptions,
    failureThreshold: number,
    journalSize: number,
    private readonly onDown: (node: ClusterNode, error: AuthringError) => void,
  ) {
    this.spec = spec;
    this.connection = new ServerConnection(spec, connectionOptions);
    this.health = new NodeHealth(failureThreshold);
    this.journal = new OutageJournal(journalSize);
  }

  /** Address `host:port`. */
  get address(): string {
    return this.spec.address;
  }

  /**
   * Sends one request, answered within `timeoutMs` or, when the caller has less time left
   * (`remainingMs`), within that. Timeouts, connection and authentication failures count toward
   * marking the server down, except a timeout cut short by the caller's deadline; a protocol
   * violation marks it down at once.
   */
  call(request: Buffer, timeoutMs: number, key?: string, remainingMs?: number): Promise<Response> {
    this.counters.requests += 1;
    const cut = remainingMs !== undefined && remainingMs < timeoutMs;
    return this.track(this.connection.send(request, cut ? remainingMs : timeoutMs, key), cut);
  }

  /** Sends a pipelined quiet batch (see {@link ServerConnection.sendQuietBatch}), timed as {@link call}. */
  callBatch(batch: Buffer, timeoutMs: number, remainingMs?: number): Promise<BatchHits> {
    this.counters.requests += 1;
    const cut = remainingMs !== undefined && remainingMs < timeoutMs;
    return this.track(this.connection.sendQuietBatch(batch, cut ? remainingMs : timeoutMs), cut);
  }

  /** A request that bypasses failure counting: background probes and recovery use it. */
  probe(request: Buffer, timeoutMs: number): Promise<Response> {
    return this.connection.send(request, timeoutMs);
  }

  /** A snapshot of the counters. */
  stats(): NodeStats {
    return {
      address: this.address,
      state: this.health.state,
      ...this.counters,
      consecutiveFailures: this.health.consecutiveFailures,
      downSince: this.health.downSince,
      journaledKeys: this.journal.keyCount,
    };
  }

  /** Closes the connection. */
  close(): void {
    this.connection.close();
  }

  /** Closes the connection once the requests in flight have settled (each within its deadline). */
  async closeWhenIdle(): Promise<void> {
    if (this.pending > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.close();
  }

  /** `cut`: the request's time is the caller's remaining deadline, so its timeout is not the server's failure. */
  private async track<T>(pending: Promise<T>, cut: boolean): Promise<T> {
    this.pending += 1;
    try {
      const result = await pending;
      this.health.recordSuccess();
      return result;
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.counters.protocolErrors += 1;
        if (this.health.recordFatal(error)) this.onDown(this, error);
        throw error;
      }
      if (error instanceof TimeoutError && cut) {
        this.counters.deadlineCuts += 1;
        throw error;
      }
      if (error instanceof TimeoutError) this.counters.timeouts += 1;
      if (error instanceof ConnectionError) this.counters.connectionErrors += 1;
      if (error instanceof AuthenticationError) this.counters.authErrors += 1;
      const transport = error instanceof TimeoutError || error instanceof ConnectionError || error instanceof AuthenticationError;
      if (transport && this.health.recordFailure(error)) this.onDown(this, error);
      throw error;
    } finally {
      this.pending -= 1;
      if (this.pending === 0) this.idle?.();
    }
  }
}
