import memjs from 'memjs';
import type { Message, ResponseCallback } from 'memjs';
import type { Socket } from 'node:net';
import { ConnectionError, TimeoutError } from '../errors.js';
import { HEADER_BYTES, Opcode } from './protocol.js';
import type { ServerSpec } from './server-spec.js';

/** One parsed binary-protocol response. */
export interface Response {
  readonly opcode: number;
  readonly status: number;
  readonly key: Buffer;
  readonly extras: Buffer;
  readonly value: Buffer;
  readonly cas: bigint;
}

/** Socket settings of one server connection. */
export interface ConnectionOptions {
  /** Milliseconds to establish the TCP connection before outstanding requests fail. */
  readonly connectTimeoutMs: number;
  /**
   * Milliseconds the oldest outstanding request may go unanswered before the socket is judged
   * dead and replaced. Per-request deadlines are separate and shorter.
   */
  readonly socketTimeoutMs: number;
  /** TCP keep-alive on idle sockets. */
  readonly keepAlive: boolean;
}

/**
 * memjs's `Server` with three repairs: a socket the server closes fails the requests waiting on
 * it at once (memjs leaves them to time out); events from a socket that was already replaced no
 * longer tear down the new one; and requests issued in the same tick leave in one TCP write.
 * Sockets run with Nagle off (a lone request is never held back), so without the corking every
 * request would cost its own syscall and packet under concurrency.
 */
const EMPTY = Buffer.alloc(0);

class GuardedServer extends memjs.Server {
  private corked: Socket | undefined;

  override write(blob: Buffer): void {
    const socket = this._socket;
    if (socket && this.connected && this.corked !== socket) {
      socket.cork();
      this.corked = socket;
      process.nextTick(() => {
        this.corked = undefined;
        socket.uncork();
      });
    }
    super.write(blob);
  }

  /**
   * Parses responses in place. memjs copies its whole pending buffer on every chunk and slices
   * each message apart twice; a large pipelined reply then costs quadratic copying.
   */
  override responseHandler(chunk: Buffer): void {
    const buffer = this.responseBuffer.length > 0 ? Buffer.concat([this.responseBuffer, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= HEADER_BYTES) {
      const bodyLength = buffer.readUInt32BE(offset + 8);
      const end = offset + HEADER_BYTES + bodyLength;
      if (buffer.length < end) break;
      const keyLength = buffer.readUInt16BE(offset + 2);
      const extrasLength = buffer.readUInt8(offset + 4);
      const extrasEnd = offset + HEADER_BYTES + extrasLength;
      this.respond({
        header: {
          magic: buffer.readUInt8(offset),
          opcode: buffer.readUInt8(offset + 1),
          keyLength,
          extrasLength,
          dataType: buffer.readUInt8(offset + 5),
          status: buffer.readUInt16BE(offset + 6),
          totalBodyLength: bodyLength,
          opaque: buffer.readUInt32BE(offset + 12),
          cas: buffer.subarray(offset + 16, offset + HEADER_BYTES),
        },
        extras: buffer.subarray(offset + HEADER_BYTES, extrasEnd),
        key: buffer.subarray(extrasEnd, extrasEnd + keyLength),
        val: buffer.subarray(extrasEnd + keyLength, end),
      });
      offset = end;
    }
    this.responseBuffer = offset === buffer.length ? EMPTY : buffer.subarray(offset);
  }

  override sock(sasl: boolean, go: (socket: Socket) => void): void {
    const before = this._socket;
    super.sock(sasl, go);
    const socket = this._socket;
    if (!socket || socket === before) return;
    socket.setNoDelay(true);
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    socket.on('error', (error: Error) => {
      if (this._socket === socket) this.error(error);
    });
    socket.on('close', () => {
      if (this._socket !== socket) return;
      this.connected = false;
      this.timeoutSet = false;
      this._socket = undefined;
      this.error(new Error('connection closed by the server'));
    });
  }
}

/**
 * The request/response layer for one memcached server: stamps each request with its own opaque,
 * gives every request its own deadline (a late answer fails only that request), and pipelines
 * quiet batches terminated by NOOP.
 */
export class ServerConnection {
  /** The server this connection talks to. */
  readonly spec: ServerSpec;
  private readonly server: GuardedServer;
  private opaque = 0;

  constructor(spec: ServerSpec, options: ConnectionOptions) {
    this.spec = spec;
    this.server = new GuardedServer(spec.host, spec.port, undefined, undefined, {
      timeout: options.socketTimeoutMs / 1000,
      conntimeout: options.connectTimeoutMs / 1000,
      keepAlive: options.keepAlive,
    });
    // memjs would pick SASL credentials up from MEMCACHIER_*/MEMCACHE_* environment variables;
    // authring speaks to plain memcached only, and parses responses itself.
    this.server.username = undefined;
    this.server.password = undefined;
  }

  /** Sends one request and resolves with its response, or rejects at the deadline. */
  send(request: Buffer, timeoutMs: number, key?: string): Promise<Response> {
    return this.exchange(request, timeoutMs, key, false) as Promise<Response>;
  }

  /**
   * Sends a pipelined batch of quiet requests ending in a NOOP (see `multiGetRequest`) in one
   * write and resolves with every response that arrived before the NOOP's.
   */
  sendQuietBatch(batch: Buffer, timeoutMs: number): Promise<Response[]> {
    return this.exchange(batch, timeoutMs, undefined, true) as Promise<Response[]>;
  }

  /** Ends the socket; requests still waiting fail with a connection error. */
  close(): void {
    this.server.close();
    this.server.error(new Error('connection closed by the client'));
  }

  /** One request (resolves with its response) or a quiet batch (resolves with all responses before the NOOP's). */
  private exchange(blob: Buffer, timeoutMs: number, key: string | undefined, quiet: boolean): Promise<Response | Response[]> {
    const opaque = this.nextOpaque();
    stampOpaque(blob, opaque);
    const address = this.spec.address;
    return new Promise<Response | Response[]>((resolve, reject) => {
      const collected: Response[] = [];
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new TimeoutError(address, timeoutMs, key));
      }, timeoutMs);
      const callback: ResponseCallback = (message: Message) => {
        if (settled) return;
        if (quiet && message.header.opcode !== Opcode.NOOP) {
          collected.push(toResponse(message));
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(quiet ? collected : toResponse(message));
      };
      callback.quiet = quiet;
      this.server.onResponse(opaque, callback);
      this.server.onError(opaque, (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new ConnectionError(address, error, key));
      });
      this.server.write(blob);
    });
  }

  private nextOpaque(): number {
    this.opaque = (this.opaque + 1) >>> 0;
    return this.opaque;
  }
}

/** Every request in a pipelined blob carries the same opaque, so one callback collects them. */
function stampOpaque(blob: Buffer, opaque: number): void {
  let offset = 0;
  while (offset + 24 <= blob.length) {
    blob.writeUInt32BE(opaque, offset + 12);
    offset += 24 + blob.readUInt32BE(offset + 8);
  }
}

function toResponse(message: Message): Response {
  return {
    opcode: message.header.opcode,
    status: message.header.status,
    key: message.key,
    extras: message.extras,
    value: message.val,
    cas: message.header.cas.readBigUInt64BE(0),
  };
}
