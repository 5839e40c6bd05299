/**
 * A hostile memcached server: speaks enough of the binary protocol to read requests, then answers
 * them wrongly on purpose. Run as its own process (`node --import tsx hostile-memcached-server.ts
 * MODE`) by test/helpers/hostile-memcached.ts, so an attack costs the client's process nothing but
 * the bytes it receives. Listens on 127.0.0.1 only.
 *
 * stdout, one line each: `listening PORT`, `conn N` (the Nth connection was accepted), `close N`
 * (the Nth connection closed), `mode NAME` (a mode change took effect; lines before it happened first). stdin: `mode NAME` switches the mode for requests read from then on.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

/** What the server does with each request. */
export const HOSTILE_MODES = [
  /** Correct answers (GET always misses, stores succeed): a server that has recovered. */
  'honest',
  /** Correct answers with a wrong magic byte. */
  'wrong-magic',
  /** Correct answers with the opcode of another command. */
  'wrong-opcode',
  /** Correct answers carrying another request's opaque. */
  'wrong-opaque',
  /** A header whose key and extras lengths exceed its body length. */
  'bad-lengths',
  /** Per request: magic 0x81 and status OK, every other header byte and the body random. */
  'garbage-ok',
  /** A GET hit announcing a 64 MiB value, then all 64 MiB as fast as the socket takes them. */
  'oversized',
  /** A header announcing a body of 4 GiB - 1, then a steady stream of bytes that never ends. */
  'endless',
  /** A header announcing a 512 KiB value, then 64 bytes every 10 ms: legal, and never finished. */
  'slow-body',
  /** The first 10 bytes of a correct answer, then silence with the socket open. */
  'partial',
  /** 30 bytes of a correct answer, then the server closes the socket. */
  'partial-close',
] as const;

/** One of {@link HOSTILE_MODES}. */
export type HostileMode = (typeof HOSTILE_MODES)[number];

const HEADER = 24;
const GET = 0x00;
const GETKQ = 0x0d;
const NOOP = 0x0a;
const VERSION = 0x0b;

interface Request {
  readonly opcode: number;
  readonly opaque: number;
  readonly key: Buffer;
}

function isMode(value: string): value is HostileMode {
  return (HOSTILE_MODES as readonly string[]).includes(value);
}

/** A well-formed response to `request`: GET and GETKQ hit with a 5-byte value, others succeed empty. */
function honestResponse(request: Request): Buffer {
  const hit = request.opcode === GET || request.opcode === GETKQ;
  const key = request.opcode === GETKQ ? request.key : Buffer.alloc(0);
  const extras = hit ? Buffer.alloc(4) : Buffer.alloc(0);
  const value = hit ? Buffer.from('value') : request.opcode === VERSION ? Buffer.from('1.6.18-hostile') : Buffer.alloc(0);
  return frame(request.opcode, request.opaque, 0, extras, key, value);
}

function frame(opcode: number, opaque: number, status: number, extras: Buffer, key: Buffer, value: Buffer): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt8(0x81, 0);
  header.writeUInt8(opcode, 1);
  header.writeUInt16BE(key.length, 2);
  header.writeUInt8(extras.length, 4);
  header.writeUInt16BE(status, 6);
  header.writeUInt32BE(extras.length + key.length + value.length, 8);
  header.writeUInt32BE(opaque, 12);
  return Buffer.concat([header, extras, key, value]);
}

/** A hit header for `request` announcing `bodyLength` bytes (4 of them flags); the body is not included. */
function announce(request: Request, bodyLength: number): Buffer {
  const header = Buffer.alloc(HEADER + 4);
  header.writeUInt8(0x81, 0);
  header.writeUInt8(request.opcode, 1);
  header.writeUInt8(4, 4);
  header.writeUInt32BE(bodyLength, 8);
  header.writeUInt32BE(request.opaque, 12);
  return header;
}

/** Writes `total` bytes (forever when Infinity) in 64 KiB chunks, as fast as the socket drains. */
function stream(socket: Socket, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !socket.destroyed) {
      const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
      sent += piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** Answers one request in `mode`; false when the connection takes no further requests. */
function answer(socket: Socket, mode: HostileMode, request: Request): boolean {
  const good = honestResponse(request);
  switch (mode) {
    case 'honest':
      if (request.opcode !== GETKQ) socket.write(good);
      return true;
    case 'wrong-magic':
      good.writeUInt8(0x00, 0);
      socket.write(good);
      return true;
    case 'wrong-opcode':
      good.writeUInt8(request.opcode === NOOP ? VERSION : NOOP, 1);
      socket.write(good);
      return true;
    case 'wrong-opaque':
      good.writeUInt32BE((request.opaque + 1) >>> 0, 12);
      socket.write(good);
      return true;
    case 'bad-lengths':
      good.writeUInt16BE(200, 2);
      good.writeUInt8(20, 4);
      socket.write(good);
      return true;
    case 'garbage-ok': {
      const body = randomBytes(Math.floor(Math.random() * 200));
      const header = randomBytes(HEADER);
      header.writeUInt8(0x81, 0);
      header.writeUInt16BE(0, 6);
      header.writeUInt32BE(body.length, 8);
      socket.write(Buffer.concat([header, body]));
      return true;
    }
    case 'oversized':
      socket.write(announce(request, 64 * 1024 * 1024));
      stream(socket, 64 * 1024 * 1024 - 4);
      return false;
    case 'endless':
      socket.write(announce(request, 0xffffffff));
      stream(socket, Infinity);
      return false;
    case 'slow-body': {
      socket.write(announce(request, 512 * 1024));
      const bytes = Buffer.alloc(64, 0x62);
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(bytes)), 10);
      socket.once('close', () => clearInterval(timer));
      return false;
    }
    case 'partial':
      socket.write(good.subarray(0, 10));
      return false;
    case 'partial-close':
      socket.end(good.subarray(0, 30));
      return false;
  }
}

function serve(socket: Socket, currentMode: () => HostileMode): void {
  let pending = Buffer.alloc(0);
  let listening = true;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (!listening) return;
    pending = Buffer.concat([pending, chunk]);
    while (listening && pending.length >= HEADER) {
      const bodyLength = pending.readUInt32BE(8);
      if (pending.length < HEADER + bodyLength) break;
      const keyLength = pending.readUInt16BE(2);
      const extrasLength = pending.readUInt8(4);
      const request: Request = {
        opcode: pending.readUInt8(1),
        opaque: pending.readUInt32BE(12),
        key: Buffer.from(pending.subarray(HEADER + extrasLength, HEADER + extrasLength + keyLength)),
      };
      pending = pending.subarray(HEADER + bodyLength);
      listening = answer(socket, currentMode(), request);
    }
  });
}

function main(): void {
  const initial = process.argv[2] ?? 'honest';
  if (!isMode(initial)) throw new Error(`unknown mode ${initial}; one of ${HOSTILE_MODES.join(', ')}`);
  let mode: HostileMode = initial;
  let connections = 0;
  const server = createServer((socket) => {
    const id = ++connections;
    process.stdout.write(`conn ${id}\n`);
    socket.once('close', () => process.stdout.write(`close ${id}\n`));
    serve(socket, () => mode);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [command, value = ''] = line.trim().split(/\s+/);
    if (command === 'mode' && isMode(value)) {
      mode = value;
      process.stdout.write(`mode ${value}\n`);
    }
  });
  // The parent going away (stdin closed) ends the server too.
  process.stdin.on('end', () => process.exit(0));
}

main();
