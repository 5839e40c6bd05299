// Narrow typings for memjs 1.3, covering the request/response layer authring builds on and the
// Client the benchmarks compare against. The published @types/memjs does not describe `Server`'s
// callback registry and socket internals, which per-request deadlines, multi-get and CAS need.
declare module 'memjs' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  interface ResponseHeader {
    magic: number;
    opcode: number;
    keyLength: number;
    extrasLength: number;
    dataType: number;
    status: number;
    totalBodyLength: number;
    opaque: number;
    cas: Buffer;
  }

  interface Message {
    header: ResponseHeader;
    key: Buffer;
    extras: Buffer;
    val: Buffer;
  }

  /** A response callback; `quiet` keeps it registered until an empty-bodied response arrives. */
  interface ResponseCallback {
    (response: Message): void;
    quiet?: boolean;
  }

  interface ServerOptions {
    /** Seconds an outstanding request may wait before memjs destroys the socket. */
    timeout?: number;
    /** Seconds to wait for a connection. */
    conntimeout?: number;
    keepAlive?: boolean;
    keepAliveDelay?: number;
  }

  class Server extends EventEmitter {
    constructor(host: string, port: number | string, username?: string, password?: string, options?: ServerOptions);
    host: string;
    port: number | string;
    connected: boolean;
    timeoutSet: boolean;
    _socket: Socket | undefined;
    responseBuffer: Buffer;
    username: string | undefined;
    password: string | undefined;
    responseHandler(chunk: Buffer): void;
    respond(response: Message): void;
    onResponse(seq: number, callback: ResponseCallback): void;
    onError(seq: number, callback: (error: unknown) => void): void;
    error(error: unknown): void;
    sock(sasl: boolean, go: (socket: Socket) => void): void;
    write(blob: Buffer): void;
    close(): void;
  }

  interface ClientOptions {
    timeout?: number;
    conntimeout?: number;
    retries?: number;
    keepAlive?: boolean;
  }

  class Client {
    static create(servers?: string, options?: ClientOptions): Client;
    get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
    set(key: string, value: string | Buffer, options?: { expires?: number }): Promise<boolean>;
    close(): void;
  }

  const memjs: { Server: typeof Server; Client: typeof Client };
  export default memjs;
  export type { Message, ResponseCallback, ServerOptions };
}
