import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedProcess, needBinary } from './services.js';
import { TcpProxy } from './tcp-proxy.js';
import { nextEvent } from './wait.js';

/** A client connection to the proxy that collects replies and how it ended. */
class Client {
  replies = '';
  ended: string | undefined;
  readonly socket: net.Socket;
  private readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => (this.replies += chunk.toString('latin1')));
    this.socket.on('error', (error: NodeJS.ErrnoException) => (this.ended = error.code ?? error.message));
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
  }

  /** Sends a text-protocol command and resolves with what arrives until `until` matches it. */
  async ask(command: string, until = /\r\n$/): Promise<string> {
    const before = this.replies.length;
    this.socket.write(`${command}\r\n`);
    while (!until.test(this.replies.slice(before))) await nextEvent(this.socket, 'data');
    return this.replies.slice(before);
  }

  /** Resolves with how the connection ended: an error code, or 'closed'. */
  async end(): Promise<string> {
    await this.closed;
    return this.ended ?? 'closed';
  }
}

describe.skipIf(!needBinary('memcached'))('TcpProxy: faults between a client and real memcached', () => {
  let mc: MemcachedProcess;
  let proxy: TcpProxy;
  beforeAll(async () => {
    mc = await MemcachedProcess.start();
    proxy = await TcpProxy.start(mc.port);
  });
  afterAll(async () => {
    await proxy?.stop();
    await mc?.stop();
  });

  it('forwards both ways', async () => {
    const client = new Client(proxy.port);
    expect(await client.ask('version')).toMatch(/^VERSION /);
    client.socket.destroy();
  });

  it('stall holds every byte, then delivers them all in order', async () => {
    const client = new Client(proxy.port);
    await client.ask('version');
    const before = client.replies;
    proxy.mode = 'stall';
    const held = nextEvent(proxy, 'chunk', (direction: string, _bytes: number, fate: string) => direction === 'up' && fate === 'held');
    client.socket.write('set stalled 0 0 1\r\nx\r\nget stalled\r\n');
    await held;
    expect(client.replies).toBe(before);
    // While stalled memcached has not even seen the request.
    const direct = new Client(mc.port);
    expect(await direct.ask('get stalled')).toBe('END\r\n');
    direct.socket.destroy();
    const reply = client.ask('version', /VERSION \S+\r\n$/);
    proxy.mode = 'forward';
    expect(await reply).toMatch(/^STORED\r\nVALUE stalled 0 1\r\nx\r\nEND\r\nVERSION /);
    client.socket.destroy();
  });

  it('slow delivers each chunk after the delay, in order', async () => {
    const client = new Client(proxy.port);
    proxy.mode = 'slow';
    proxy.delayMs = 150;
    try {
      const started = performance.now();
      expect(await client.ask('version')).toMatch(/^VERSION /);
      // Up and down each wait at least the delay; a loaded machine only adds to it.
      expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 150 - 5);
    } finally {
      proxy.mode = 'forward';
      proxy.delayMs = 0;
    }
    expect(await client.ask('version')).toMatch(/^VERSION /);
    client.socket.destroy();
  });

  it('blackhole drops every byte; when it ends, a connection that lost bytes is reset', async () => {
    const client = new Client(proxy.port);
    await client.ask('version');
    const quiet = new Client(proxy.port);
    await quiet.ask('version');
    proxy.mode = 'blackhole';
    const dropped = nextEvent(proxy, 'chunk', (_direction: string, _bytes: number, fate: string) => fate === 'dropped');
    client.socket.write('set lost 0 0 1\r\nx\r\n');
    await dropped;
    proxy.mode = 'forward';
    expect(await client.end()).toBe('ECONNRESET');
    const direct = new Client(mc.port);
    expect(await direct.ask('get lost')).toBe('END\r\n');
    direct.socket.destroy();
    // A connection that sent nothing during the blackhole carries on.
    expect(await quiet.ask('version')).toMatch(/^VERSION /);
    quiet.socket.destroy();
  });

  it('reset resets open connections and every new one until it ends', async () => {
    const open = new Client(proxy.port);
    await open.ask('version');
    const resets = proxy.stats.reset;
    proxy.mode = 'reset';
    expect(await open.end()).toBe('ECONNRESET');
    const refused = new Client(proxy.port);
    expect(await refused.end()).toBe('ECONNRESET');
    expect(proxy.stats.reset).toBe(resets + 2);
    proxy.mode = 'forward';
    const fresh = new Client(proxy.port);
    expect(await fresh.ask('version')).toMatch(/^VERSION /);
    fresh.socket.destroy();
  });

  it('stop refuses connections; resume listens again on the same port', async () => {
    await proxy.stop();
    expect(await new Client(proxy.port).end()).toBe('ECONNREFUSED');
    await proxy.resume();
    const client = new Client(proxy.port);
    expect(await client.ask('version')).toMatch(/^VERSION /);
    client.socket.destroy();
  });
});
