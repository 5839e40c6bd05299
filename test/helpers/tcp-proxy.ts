import { EventEmitter } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic; switch at any time with {@link TcpProxy.mode}.
 *
 * - `forward`: relays both ways (after {@link TcpProxy.delayMs}, when set).
 * - `stall`: accepts connections and bytes but delivers nothing either way, as a frozen server
 *   or a paused network path would; back to `forward`, everything held is delivered in order:
 *   nothing is lost.
 * - `slow`: relays every chunk after `delayMs` (default 200 ms), in order.
 * - `blackhole`: accepts connections and reads what is sent, but delivers nothing either way (a
 *   network path dropping packets). Back to `forward`, each connection that lost bytes is reset,
 *   since its byte stream is no longer whole; connections that lost nothing carry on.
 * - `reset`: resets (RST) every open connection, and every new one as soon as it is accepted.
 */
export type ProxyMode = 'forward' | 'stall' | 'slow' | 'blackhole' | 'reset';

/** Which way a chunk travels. */
export type Direction = 'up' | 'down';

/** Counts since the proxy started. */
export interface ProxyStats {
  /** Connections accepted. */
  accepted: number;
  /** Connections reset by the proxy (`reset` mode, or after a `blackhole`). */
  reset: number;
  /** Bytes client → service relayed. */
  upBytes: number;
  /** Bytes service → client relayed. */
  downBytes: number;
  /** Bytes discarded in `blackhole` mode. */
  droppedBytes: number;
}

/** Events of {@link TcpProxy}. */
export interface TcpProxyEvents {
  /** A client connected (before any fault is applied to it). */
  connection: [];
  /** A chunk arrived from one side: `relayed` at once, `delayed` (slow), `held` (stall) or `dropped` (blackhole). */
  chunk: [direction: Direction, bytes: number, fate: 'relayed' | 'delayed' | 'held' | 'dropped'];
}

/** One client connection and its upstream, with what is queued each way. */
class Link {
  /** Bytes discarded on this link (it is reset when the blackhole ends). */
  lost = 0;
  /** While true nothing is delivered; chunks wait in the queues. */
  private held = false;
  private readonly queues: Record<Direction, { due: number; chunk: Buffer }[]> = { up: [], down: [] };
  private readonly timers: Record<Direction, NodeJS.Timeout | undefined> = { up: undefined, down: undefined };

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
  ) {}

  /** Delivers `chunk` at `due` (ms since epoch; 0 for now), after every chunk queued before it. */
  deliver(direction: Direction, chunk: Buffer, due = 0): void {
    this.queues[direction].push({ due, chunk });
    this.pump(direction);
  }

  /** Holds every chunk (a stall), or delivers what was held, in order. */
  hold(on: boolean): void {
    this.held = on;
    if (on) this.clearTimers();
    else for (const direction of ['up', 'down'] as const) this.pump(direction);
  }

  /** Resets both sides (RST to the client). */
  reset(): void {
    this.clear();
    this.client.resetAndDestroy();
    this.upstream.resetAndDestroy();
  }

  /** Closes both sides. */
  destroy(): void {
    this.clear();
    this.client.destroy();
    this.upstream.destroy();
  }

  private pump(direction: Direction): void {
    const queue = this.queues[direction];
    const target = direction === 'up' ? this.upstream : this.client;
    while (!this.held && this.timers[direction] === undefined && queue.length > 0) {
      const next = queue[0]!;
      const wait = next.due - Date.now();
      if (wait > 0) {
        this.timers[direction] = setTimeout(() => {
          this.timers[direction] = undefined;
          this.pump(direction);
        }, wait);
        return;
      }
      queue.shift();
      if (!target.destroyed) target.write(next.chunk);
    }
  }

  private clearTimers(): void {
    for (const direction of ['up', 'down'] as const) {
      clearTimeout(this.timers[direction]);
      this.timers[direction] = undefined;
    }
  }

  private clear(): void {
    this.clearTimers();
    this.queues.up.length = 0;
    this.queues.down.length = 0;
  }
}

/**
 * A TCP proxy on loopback in front of a real service (memcached, MySQL), to make that service
 * slow, stalled, silent or refusing without touching the service itself (which other tests
 * share). Faults are switched at runtime with {@link mode}; {@link stop} and {@link resume} take
 * the listener away and back (connection refused).
 */
export class TcpProxy extends EventEmitter<TcpProxyEvents> {
  /** Milliseconds added to every chunk in both directions, in `forward` and `slow` modes (`slow` uses 200 when 0). */
  delayMs = 0;
  /** Counts since start. */
  readonly stats: ProxyStats = { accepted: 0, reset: 0, upBytes: 0, downBytes: 0, droppedBytes: 0 };
  private current: ProxyMode = 'forward';
  private readonly links = new Set<Link>();
  private server: Server | undefined;
  private listenPort = 0;

  private constructor(
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {
    super();
  }

  /** Starts a proxy to `targetHost:targetPort` (loopback) on a free 127.0.0.1 port. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    proxy.listenPort = await proxy.listen(0);
    return proxy;
  }

  /** The loopback port clients connect to. */
  get port(): number {
    return this.listenPort;
  }

  /** `127.0.0.1:PORT`, the form cluster clients take. */
  get address(): string {
    return `127.0.0.1:${this.listenPort}`;
  }

  /** Connections open now. */
  get connections(): number {
    return this.links.size;
  }

  /** The fault in force. */
  get mode(): ProxyMode {
    return this.current;
  }

  /** Switches the fault; open connections follow at once (see {@link ProxyMode}). */
  set mode(next: ProxyMode) {
    const previous = this.current;
    this.current = next;
    for (const link of this.links) {
      if (previous === 'stall' && next !== 'stall') link.hold(false);
      if (next === 'stall') link.hold(true);
      if (next === 'reset') this.reset(link);
      if (previous === 'blackhole' && next !== 'blackhole' && link.lost > 0) this.reset(link);
    }
  }

  /** Closes the listener and every connection: the service looks down (connection refused). */
  async stop(): Promise<void> {
    for (const link of this.links) link.destroy();
    this.links.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port: the service is back. */
  async resume(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  private listen(port: number): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  private reset(link: Link): void {
    this.links.delete(link);
    this.stats.reset += 1;
    link.reset();
  }

  private accept(client: Socket): void {
    this.stats.accepted += 1;
    this.emit('connection');
    const upstream = connect(this.targetPort, this.targetHost);
    const link = new Link(client, upstream);
    this.links.add(link);
    const close = (): void => {
      if (this.links.delete(link)) link.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('close', close);
      socket.on('error', close);
    }
    if (this.current === 'reset') {
      this.reset(link);
      return;
    }
    if (this.current === 'stall') link.hold(true);
    this.relay(link, 'up');
    this.relay(link, 'down');
  }

  private relay(link: Link, direction: Direction): void {
    const source = direction === 'up' ? link.client : link.upstream;
    source.on('data', (chunk: Buffer) => {
      if (this.current === 'blackhole') {
        link.lost += chunk.length;
        this.stats.droppedBytes += chunk.length;
        this.emit('chunk', direction, chunk.length, 'dropped');
        return;
      }
      if (direction === 'up') this.stats.upBytes += chunk.length;
      else this.stats.downBytes += chunk.length;
      const delay = this.current === 'slow' && this.delayMs === 0 ? 200 : this.delayMs;
      link.deliver(direction, chunk, delay > 0 ? Date.now() + delay : 0);
      this.emit('chunk', direction, chunk.length, this.current === 'stall' ? 'held' : delay > 0 ? 'delayed' : 'relayed');
    });
  }
}
