import net from 'node:net';

/** One line of memcached's `watch fetchers mutations` log. */
export interface WatchEvent {
  /** `item_get`, `item_store`, … */
  readonly type: string;
  /** The key, decoded. */
  readonly key: string;
  /** `found`, `not_found`, `stored`, `not_stored`, … */
  readonly status: string;
  /** For stores: `set`, `add`, `cas`, … */
  readonly cmd?: string;
  /** The server-side descriptor of the client connection: tells clients apart. */
  readonly cfd: number;
}

/**
 * A `watch fetchers mutations` connection to one memcached server: the server's own account of
 * every get and store, as they happen. Lets a test wait for "the second process has read the
 * lease" instead of guessing how long that takes.
 */
export class MemcachedWatch {
  /** Every event seen so far, in order. */
  readonly events: WatchEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {}

  /** Connects and resolves once the server has acknowledged the watch. */
  static async start(port: number): Promise<MemcachedWatch> {
    const socket = net.connect(port, '127.0.0.1');
    const watch = new MemcachedWatch(socket);
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      let acknowledged = false;
      socket.once('error', reject);
      socket.on('close', () => watch.finish());
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
          const line = buffered.slice(0, end).trim();
          buffered = buffered.slice(end + 1);
          if (!acknowledged && line === 'OK') {
            acknowledged = true;
            resolve();
          } else watch.record(line);
        }
      });
      socket.write('watch fetchers mutations\r\n');
    });
    return watch;
  }

  /**
   * Resolves with the first event (already seen or still to come) that `accept` takes.
   * @throws Error after `timeoutMs` or when the connection ends first.
   */
  async waitFor(accept: (event: WatchEvent) => boolean, what: string, timeoutMs = 20_000): Promise<WatchEvent> {
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(accept);
      if (found) return found;
      if (this.closed) throw new Error(`the watch connection closed before ${what}`);
      if (Date.now() > giveUpAt) throw new Error(`memcached logged no ${what} within ${timeoutMs} ms: ${JSON.stringify(this.events.slice(-10))}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, giveUpAt - Date.now()));
        this.waiters.add(wake);
      });
    }
  }

  /** Ends the watch. */
  close(): void {
    this.socket.destroy();
  }

  private record(line: string): void {
    const fields = new Map(line.split(' ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const));
    const type = fields.get('type');
    const key = fields.get('key');
    if (type === undefined || key === undefined) return;
    this.events.push({ type, key: decodeURIComponent(key), status: fields.get('status') ?? '', cmd: fields.get('cmd'), cfd: Number(fields.get('cfd')) });
    for (const wake of [...this.waiters]) wake();
  }

  private finish(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }
}
