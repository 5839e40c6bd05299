import { createServer, connect, type Server, type Socket } from 'node:net';

/** How the proxy treats traffic. */
export type ProxyMode = 'forward' | 'blackhole';

/**
 * A TCP proxy on loopback in front of a real service, to make that service slow, silent or gone
 * without touching the service itself (which other tests share).
 */
export class TcpProxy {
  /** Milliseconds added to every chunk in both directions. */
  delayMs = 0;
  /** `blackhole` accepts connections and data but forwards nothing. */
  mode: ProxyMode = 'forward';
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  private listenPort = 0;

  private constructor(private readonly targetPort: number) {}

  /** Starts a proxy to 127.0.0.1:targetPort on a free loopback port. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    proxy.listenPort = await proxy.listen(0);
    return proxy;
  }

  /** The loopback port clients connect to. */
  get port(): number {
    return this.listenPort;
  }

  /** Closes the listener and every connection: the service looks down. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
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

  private accept(client: Socket): void {
    this.sockets.add(client);
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(upstream);
    const relay = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (this.mode === 'blackhole') return;
        if (this.delayMs > 0) setTimeout(() => to.write(chunk), this.delayMs);
        else to.write(chunk);
      });
    };
    relay(client, upstream);
    relay(upstream, client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }
}
