import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { AuthenticationError, ConnectionError, ProtocolError, TimeoutError, type AuthringError } from '../errors.js';
import { FrameReader, type FrameSink } from './frame-reader.js';
import { HEADER_BYTES, Opcode, Status, bareRequest, checkResponseShape, describeStatus, u16, u32, type Response } from './protocol.js';
import type { BatchHits } from './item.js';
import { Pending, type PendingKind } from './pending.js';
import type { SaslCredentials, TlsSettings } from './security.js';
import type { ServerSpec } from './server-spec.js';

/** Socket settings of one server connection. */
export interface ConnectionOptions {
  /** Milliseconds to open the connection before the requests waiting for it fail. */
  readonly connectTimeoutMs: number;
  /**
   * Milliseconds the oldest outstanding request may go unanswered, however many bytes arrive
   * meanwhile, before the socket is judged dead and closed. Per-request deadlines are separate
   * and shorter.
   */
  readonly socketTimeoutMs: number;
  /** TCP keep-alive on idle sockets. */
  readonly keepAlive: boolean;
  /** Largest value a response may carry; a header announcing more breaks the protocol. */
  readonly maxValueBytes: number;
  /** SASL PLAIN credentials, sent before any other request on each new socket. */
  readonly sasl: SaslCredentials | undefined;
  /** TLS settings; plain TCP when undefined. */
  readonly tls: TlsSettings | undefined;
}

const KEEPALIVE_DELAY_MS = 30_000;

/**
 * Longest a quiet store waits to leave with the next request to its server. A lone store costs a
 * write here and an answer there, each tens of microseconds on a loaded machine: more than the
 * rest of a cold lookup. Held this long, it mostly rides with the next lookup's read; its value
 * reaches other nodes that much later, while this process answers from the load it stores.
 */
export const QUIET_HOLD_MS = 5;

/** What a quiet store that passed resolves with: memcached said nothing, which means OK. */
const NO_VALUE = Buffer.alloc(0);
const silentSuccess = (opcode: number): Response => ({ opcode, status: Status.OK, flags: 0, value: NO_VALUE, cas: 0n });

/**
 * The binary-protocol connection to one memcached server, owned outright (no client library):
 * one socket (TCP or TLS), opened on the first request and again after any failure, and
 * authenticated with SASL PLAIN before it carries a request when credentials are set; requests issued in one
 * turn of the event loop leave in one write, sent once the turn's I/O callbacks have run (corked until
 * `setImmediate`: under load, lookups answered in one turn share a write; writes cost more than
 * anything else a lookup does), and Nagle stays off, so a lone request is never held back, except a
 * quiet store (SETQ), held up to {@link QUIET_HOLD_MS} to leave with the next request; every answer's
 * header is checked against the request it must answer before its body is read; each request has
 * its own deadline; and the oldest outstanding request bounds how long the socket may go without
 * an answer, however many bytes keep arriving. Any protocol violation closes the socket and fails
 * every request on it with {@link ProtocolError}.
 */
export class ServerConnection {
  /** The server this connection talks to. */
  readonly spec: ServerSpec;
  private socket: Socket | undefined;
  private state: 'idle' | 'connecting' | 'ready' | 'closed' = 'idle';
  private waiting: Pending[] = [];
  /** Quiet stores not yet written, waiting for the next request or {@link QUIET_HOLD_MS}. */
  private held: Pending[] = [];
  private holdTimer: NodeJS.Timeout | undefined;
  private inflight: Pending[] = [];
  private head = 0;
  private reader: FrameReader | undefined;
  private opaque = 0;
  private corked: Socket | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private socketTimer: NodeJS.Timeout | undefined;
  private readonly sink: FrameSink = {
    header: (buffer, offset) => this.checkHeader(buffer, offset),
    frame: (buffer, offset) => this.dispatch(buffer, offset),
    violation: (reason) => this.fail((key) => new ProtocolError(this.spec.address, reason, key)),
  };

  constructor(
    spec: ServerSpec,
    private readonly options: ConnectionOptions,
  ) {
    this.spec = spec;
  }

  /**
   * Sends one request and resolves with its response, or rejects at the deadline. A quiet store
   * (SETQ) is answered by memcached only when it fails: it resolves with that answer, or with an OK
   * of its own (CAS 0) once an answer to a later request shows it passed; it may wait up to
   * {@link QUIET_HOLD_MS} to share a write with the next request.
   */
  send(request: Buffer, timeoutMs: number, key?: string): Promise<Response> {
    return this.exchange(request, timeoutMs, key, request[1] === Opcode.SETQ ? 'silent' : 'answered') as Promise<Response>;
  }

  /**
   * Sends a pipelined batch of GETKQ requests ending in a NOOP (see `multiGetRequest`) in one
   * write and resolves with every hit that arrived before the NOOP's answer.
   */
  sendQuietBatch(batch: Buffer, timeoutMs: number): Promise<BatchHits> {
    return this.exchange(batch, timeoutMs, undefined, 'batch') as Promise<BatchHits>;
  }

  /** Ends the socket; requests still waiting fail with a connection error. */
  close(): void {
    this.state = 'closed';
    this.fail((key) => new ConnectionError(this.spec.address, new Error('connection closed by the client'), key));
  }

  private exchange(blob: Buffer, timeoutMs: number, key: string | undefined, kind: PendingKind): Promise<Response | BatchHits> {
    if (this.state === 'closed') {
      return Promise.reject(new ConnectionError(this.spec.address, new Error('connection closed by the client'), key));
    }
    const opaque = this.nextOpaque();
    stampOpaque(blob, opaque, kind === 'batch');
    return new Promise<Response | BatchHits>((resolve, reject) => {
      const pending = new Pending(blob, opaque, kind === 'batch' ? Opcode.NOOP : (blob[1] ?? -1), kind, key, resolve, reject);
      pending.timer = setTimeout(() => pending.reject(new TimeoutError(this.spec.address, timeoutMs, key)), timeoutMs);
      if (this.state === 'ready') this.enqueue(pending);
      else {
        this.waiting.push(pending);
        if (this.state === 'idle') this.open();
      }
    });
  }

  private open(): void {
    this.state = 'connecting';
    const { host, port } = this.spec;
    const tls = this.options.tls;
    const socket = tls === undefined ? connect({ host, port, noDelay: true }) : connectTls(tls.connectOptions(host, port));
    socket.setNoDelay(true);
    this.socket = socket;
    const reader = new FrameReader(this.sink, this.options.maxValueBytes);
    this.reader = reader;
    let lastError: Error | undefined;
    this.connectTimer = setTimeout(() => {
      const error = new Error(`no connection within ${this.options.connectTimeoutMs} ms`);
      this.fail((key) => new ConnectionError(this.spec.address, error, key));
    }, this.options.connectTimeoutMs);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      if (this.socket !== socket) return;
      if (this.options.keepAlive) socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
      this.authenticate();
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error: Error) => (lastError = error));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      const cause = lastError ?? new Error('connection closed by the server');
      this.fail((key) => new ConnectionError(this.spec.address, cause, key));
    });
  }

  /**
   * With credentials, sends SASL_AUTH first and holds every request until it succeeds; a refusal
   * fails them all with {@link AuthenticationError}. The connect timeout covers this step too.
   */
  private authenticate(): void {
    const sasl = this.options.sasl;
    if (sasl === undefined) return this.ready();
    const refused = (reason: string): void => this.fail((key) => new AuthenticationError(this.spec.address, reason, key));
    const request = sasl.authRequest();
    const opaque = this.nextOpaque();
    stampOpaque(request, opaque, false);
    const pending = new Pending(
      request,
      opaque,
      Opcode.SASL_AUTH,
      'answered',
      undefined,
      (response) => {
        const { status } = response as Response;
        if (status === Status.OK) this.ready();
        else if (status === Status.UNKNOWN_COMMAND) refused('the server does not offer SASL authentication (start memcached with -S)');
        else refused(`SASL PLAIN authentication as ${JSON.stringify(sasl.username)} refused (status 0x${status.toString(16)})`);
      },
      // Rejected only by fail(), which has already failed every other request.
      () => undefined,
    );
    this.write(pending);
  }

  private ready(): void {
    clearTimeout(this.connectTimer);
    this.state = 'ready';
    const waiting = this.waiting;
    this.waiting = [];
    for (const pending of waiting) if (!pending.settled) this.enqueue(pending);
  }

  /** Writes a request, a quiet store after the next request or the hold; held stores go first. */
  private enqueue(pending: Pending): void {
    if (pending.kind === 'silent') {
      this.held.push(pending);
      this.holdTimer ??= setTimeout(() => this.release(true), QUIET_HOLD_MS);
      return;
    }
    if (this.held.length > 0) this.release(false);
    this.write(pending);
  }

  /**
   * Writes the held quiet stores (but those already timed out); with `confirm`, a NOOP after them,
   * whose answer says they passed when no other request follows them.
   */
  private release(confirm: boolean): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const held = this.held;
    this.held = [];
    let written = false;
    for (const pending of held) {
      if (pending.settled) continue;
      this.write(pending);
      written = true;
    }
    if (!(confirm && written)) return;
    // Its failure is the socket's, which fails the stores before it too.
    const noop = bareRequest(Opcode.NOOP);
    const opaque = this.nextOpaque();
    stampOpaque(noop, opaque, false);
    this.write(new Pending(noop, opaque, Opcode.NOOP, 'answered', undefined, () => undefined, () => undefined));
  }

  private write(pending: Pending): void {
    const socket = this.socket as Socket;
    if (this.corked !== socket) {
      this.corked = socket;
      socket.cork();
      setImmediate(() => {
        if (this.corked === socket) this.corked = undefined;
        socket.uncork();
      });
    }
    pending.sentAt = performance.now();
    this.inflight.push(pending);
    socket.write(pending.blob);
    if (this.socketTimer === undefined) this.armSocketTimer();
  }

  /** One timer for the whole socket, due when the oldest outstanding request reaches `socketTimeoutMs`. */
  private armSocketTimer(): void {
    const oldest = this.inflight[this.head];
    if (oldest === undefined) return;
    const due = oldest.sentAt + this.options.socketTimeoutMs - performance.now();
    this.socketTimer = setTimeout(() => {
      this.socketTimer = undefined;
      const still = this.inflight[this.head];
      if (still === undefined) return;
      if (performance.now() - still.sentAt < this.options.socketTimeoutMs) return this.armSocketTimer();
      const error = new Error(`no answer within ${this.options.socketTimeoutMs} ms (socket timeout)`);
      this.fail((key) => new ConnectionError(this.spec.address, error, key));
    }, Math.max(0, due));
    this.socketTimer.unref();
  }

  private checkHeader(buffer: Buffer, offset: number): string | undefined {
    const opaque = u32(buffer, offset + 12);
    // memcached answers in order and a quiet store only when it fails: an answer to a later
    // request means every quiet store before it passed (once that answer is known to be one).
    let answered = this.head;
    while (this.inflight[answered]?.kind === 'silent' && this.inflight[answered]?.opaque !== opaque) answered += 1;
    const pending = this.inflight[answered];
    if (pending === undefined) return 'an answer with no request outstanding';
    const oldest = this.inflight[this.head] as Pending;
    if (opaque !== pending.opaque) return `an answer to request ${opaque} while request ${oldest.opaque} is the oldest outstanding`;
    // Counted, not compared with `head`: shift() may move the queue to the front.
    for (let passes = answered - this.head; passes > 0; passes--) {
      const passed = this.inflight[this.head] as Pending;
      this.shift();
      passed.resolve(silentSuccess(passed.opcode));
    }
    const opcode = buffer[offset + 1] as number;
    if (opcode !== pending.opcode && !(pending.kind === 'batch' && opcode === Opcode.GETKQ)) {
      return `an answer with opcode 0x${opcode.toString(16)} to a request with opcode 0x${pending.opcode.toString(16)}`;
    }
    const keyLength = u16(buffer, offset + 2);
    const extrasLength = buffer[offset + 4] as number;
    const valueLength = u32(buffer, offset + 8) - keyLength - extrasLength;
    return checkResponseShape(opcode, u16(buffer, offset + 6), keyLength, extrasLength, valueLength);
  }

  private dispatch(buffer: Buffer, offset: number): void {
    const pending = this.inflight[this.head] as Pending;
    const opcode = buffer[offset + 1] as number;
    const status = u16(buffer, offset + 6);
    const keyLength = u16(buffer, offset + 2);
    const extrasLength = buffer[offset + 4] as number;
    const keyStart = offset + HEADER_BYTES + extrasLength;
    const flags = extrasLength === 4 ? u32(buffer, offset + HEADER_BYTES) : 0;
    const value = buffer.subarray(keyStart + keyLength, offset + HEADER_BYTES + u32(buffer, offset + 8));
    const cas = buffer.readBigUInt64BE(offset + 16);
    const hits = pending.hits;
    if (hits !== undefined && opcode === Opcode.GETKQ) {
      const index = pending.locate(buffer, keyStart, keyLength);
      if (index < 0) return this.sink.violation('a multi-get hit for a key not asked for, or out of order');
      // A quiet GET answers only hits and errors; an error leaves the key a miss.
      if (status === Status.OK && !pending.settled) {
        hits.indexes.push(index);
        hits.items.push({ value, flags, cas });
      }
      return;
    }
    this.shift();
    if (status === Status.AUTH_ERROR && opcode !== Opcode.SASL_AUTH) {
      const reason = this.options.sasl === undefined ? 'the server requires SASL authentication and none is configured' : describeStatus(status);
      pending.reject(new AuthenticationError(this.spec.address, reason, pending.key));
    } else pending.resolve(hits ?? { opcode, status, flags, value, cas });
  }

  private shift(): void {
    this.inflight[this.head] = undefined as unknown as Pending;
    this.head += 1;
    if (this.head === this.inflight.length) {
      this.inflight = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.inflight.length) {
      this.inflight = this.inflight.slice(this.head);
      this.head = 0;
    }
  }

  /** Closes the socket and fails every request on it and every request waiting for it. */
  private fail(error: (key: string | undefined) => AuthringError): void {
    const socket = this.socket;
    this.socket = undefined;
    this.reader?.stop();
    this.reader = undefined;
    clearTimeout(this.connectTimer);
    clearTimeout(this.socketTimer);
    clearTimeout(this.holdTimer);
    this.socketTimer = undefined;
    this.holdTimer = undefined;
    if (this.state !== 'closed') this.state = 'idle';
    socket?.destroy();
    const failed = [...this.inflight.slice(this.head), ...this.held, ...this.waiting];
    this.inflight = [];
    this.head = 0;
    this.held = [];
    this.waiting = [];
    for (const pending of failed) if (!pending.settled) pending.reject(error(pending.key));
  }

  private nextOpaque(): number {
    this.opaque = (this.opaque + 1) >>> 0;
    return this.opaque;
  }
}

/** Every request in a pipelined blob carries the same opaque, so one entry collects its answers. */
function stampOpaque(blob: Buffer, opaque: number, batch: boolean): void {
  if (!batch) {
    blob.writeUInt32BE(opaque, 12);
    return;
  }
  let offset = 0;
  while (offset + HEADER_BYTES <= blob.length) {
    blob.writeUInt32BE(opaque, offset + 12);
    offset += HEADER_BYTES + u32(blob, offset + 8);
  }
}
