/**
 * memcached binary-protocol framing: requests, and the shape each response must have. The protocol
 * is length-prefixed, so no key or value can be read as a command; keys still pass `toWireKey` so
 * text-protocol peers sharing the servers stay safe.
 */

/** Binary-protocol opcodes authring sends. */
export const Opcode = {
  GET: 0x00,
  SET: 0x01,
  ADD: 0x02,
  DELETE: 0x04,
  INCREMENT: 0x05,
  FLUSH: 0x08,
  NOOP: 0x0a,
  VERSION: 0x0b,
  GETKQ: 0x0d,
  STAT: 0x10,
  SETQ: 0x11,
  TOUCH: 0x1c,
  SASL_AUTH: 0x21,
} as const;

/** Binary-protocol response statuses authring tells apart. */
export const Status = {
  OK: 0x00,
  KEY_NOT_FOUND: 0x01,
  KEY_EXISTS: 0x02,
  VALUE_TOO_LARGE: 0x03,
  NOT_STORED: 0x05,
  AUTH_ERROR: 0x20,
  UNKNOWN_COMMAND: 0x81,
} as const;

const STATUS_TEXT: Record<number, string> = {
  0x04: 'invalid arguments',
  0x06: 'incr/decr on a non-numeric value',
  0x20: 'authentication required or refused',
  0x81: 'unknown command',
  0x82: 'out of memory',
  0x83: 'not supported',
  0x84: 'internal error',
  0x85: 'busy',
  0x86: 'temporary failure',
};

/** A human description of a status, for error messages. */
export function describeStatus(status: number): string {
  return STATUS_TEXT[status] ?? 'unexpected status';
}

const EMPTY = Buffer.alloc(0);
/** Bytes of a request or response header. */
export const HEADER_BYTES = 24;
/** First byte of every request. */
export const REQUEST_MAGIC = 0x80;
/** First byte of every response. */
export const RESPONSE_MAGIC = 0x81;
/** The big-endian 16-bit number at `offset` (no bounds check: callers read inside a checked header). */
export function u16(buffer: Buffer, offset: number): number {
  return ((buffer[offset] as number) << 8) | (buffer[offset + 1] as number);
}

/** The big-endian 32-bit number at `offset` (no bounds check: callers read inside a checked header). */
export function u32(buffer: Buffer, offset: number): number {
  return (buffer[offset] as number) * 0x1000000 + (((buffer[offset + 1] as number) << 16) | ((buffer[offset + 2] as number) << 8) | (buffer[offset + 3] as number));
}

/** memcached's longest key. */
export const MAX_KEY_BYTES = 250;
/** Bytes of the flags extras a GET hit carries. */
const FLAGS_BYTES = 4;

/**
 * Why a response of this shape cannot answer a request with `opcode`, or `undefined` when it can.
 * What memcached sends: a GET or GETKQ hit carries 4 bytes of flags (GETKQ also its key), an
 * INCREMENT result is an 8-byte counter, only GETKQ and STAT answers carry a key, no answer has
 * extras other than flags, and an error carries a message only.
 */
export function checkResponseShape(opcode: number, status: number, keyLength: number, extrasLength: number, valueLength: number): string | undefined {
  if (keyLength > MAX_KEY_BYTES) return `a ${keyLength}-byte key (memcached keys have at most ${MAX_KEY_BYTES})`;
  if (keyLength > 0 && opcode !== Opcode.GETKQ && opcode !== Opcode.STAT) return `a key in an answer to opcode 0x${opcode.toString(16)}`;
  if (status !== Status.OK) return extrasLength === 0 ? undefined : `extras in an error answer (status 0x${status.toString(16)})`;
  if (extrasLength !== 0 && extrasLength !== FLAGS_BYTES) return `${extrasLength} bytes of extras (flags are ${FLAGS_BYTES})`;
  if ((opcode === Opcode.GET || opcode === Opcode.GETKQ) && extrasLength !== FLAGS_BYTES) return 'a hit without its flags';
  if (opcode === Opcode.GETKQ && keyLength === 0) return 'a multi-get hit without its key';
  if (opcode === Opcode.INCREMENT && valueLength !== 8) return `a ${valueLength}-byte counter (a counter has 8)`;
  return undefined;
}

/**
 * Writes one request header at `offset`. The opaque stays 0; the connection stamps its own when
 * it sends. Keys are wire keys (printable ASCII), so their byte length is their string length.
 */
function writeHeader(buffer: Buffer, offset: number, opcode: number, keyLength: number, extrasLength: number, bodyLength: number, cas: bigint): void {
  buffer.writeUInt8(REQUEST_MAGIC, offset);
  buffer.writeUInt8(opcode, offset + 1);
  buffer.writeUInt16BE(keyLength, offset + 2);
  buffer.writeUInt8(extrasLength, offset + 4);
  buffer.writeUInt8(0, offset + 5);
  buffer.writeUInt16BE(0, offset + 6);
  buffer.writeUInt32BE(bodyLength, offset + 8);
  buffer.writeUInt32BE(0, offset + 12);
  buffer.writeBigUInt64BE(cas, offset + 16);
}

/** A request without an opaque; the connection stamps one when it sends. */
function request(opcode: number, key: string, extras: Buffer = EMPTY, value: Buffer = EMPTY, cas = 0n): Buffer {
  const keyLength = Buffer.byteLength(key, 'latin1');
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + extras.length + keyLength + value.length);
  writeHeader(buffer, 0, opcode, keyLength, extras.length, extras.length + keyLength + value.length, cas);
  extras.copy(buffer, HEADER_BYTES);
  buffer.write(key, HEADER_BYTES + extras.length, 'latin1');
  value.copy(buffer, HEADER_BYTES + extras.length + keyLength);
  return buffer;
}

/** GET. */
export function getRequest(key: string): Buffer {
  return request(Opcode.GET, key);
}

/**
 * A pipelined multi-get in one buffer: a GETKQ per key (misses stay silent), then a NOOP. Wire
 * keys are printable ASCII of at most 249 bytes. The buffer starts zeroed, so each header needs
 * only its magic, opcode and two lengths, and each key is copied one char code per byte: about
 * a third of the CPU of writing every header field.
 */
export function multiGetRequest(keys: readonly string[]): Buffer {
  let size = HEADER_BYTES;
  for (const key of keys) size += HEADER_BYTES + key.length;
  const buffer = Buffer.alloc(size);
  let offset = 0;
  for (const key of keys) {
    const length = key.length;
    buffer[offset] = REQUEST_MAGIC;
    buffer[offset + 1] = Opcode.GETKQ;
    buffer[offset + 2] = length >>> 8;
    buffer[offset + 3] = length & 0xff;
    buffer[offset + 10] = length >>> 8;
    buffer[offset + 11] = length & 0xff;
    offset += HEADER_BYTES;
    for (let i = 0; i < length; i++) buffer[offset + i] = key.charCodeAt(i);
    offset += length;
  }
  buffer[offset] = REQUEST_MAGIC;
  buffer[offset + 1] = Opcode.NOOP;
  return buffer;
}

/**
 * SET, SETQ or ADD with flags and TTL; a non-zero `cas` makes SET and SETQ a compare-and-swap.
 * SETQ is SET that memcached answers only when it fails.
 */
export function storeRequest(
  opcode: typeof Opcode.SET | typeof Opcode.SETQ | typeof Opcode.ADD,
  key: string,
  value: Buffer,
  flags: number,
  ttlSeconds: number,
  cas = 0n,
): Buffer {
  const extras = Buffer.alloc(8);
  extras.writeUInt32BE(flags >>> 0, 0);
  extras.writeUInt32BE(ttlSeconds >>> 0, 4);
  return request(opcode, key, extras, value, cas);
}

/** DELETE; a non-zero `cas` deletes only an unchanged item. */
export function deleteRequest(key: string, cas = 0n): Buffer {
  return request(Opcode.DELETE, key, EMPTY, EMPTY, cas);
}

/** TOUCH: a new TTL without reading the value. */
export function touchRequest(key: string, ttlSeconds: number): Buffer {
  const extras = Buffer.alloc(4);
  extras.writeUInt32BE(ttlSeconds >>> 0, 0);
  return request(Opcode.TOUCH, key, extras);
}

/** INCREMENT; a missing key is created with `initial` (decimal text, flags 0). */
export function incrementRequest(key: string, delta: bigint, initial: bigint, ttlSeconds: number): Buffer {
  const extras = Buffer.alloc(20);
  extras.writeBigUInt64BE(delta, 0);
  extras.writeBigUInt64BE(initial, 8);
  extras.writeUInt32BE(ttlSeconds >>> 0, 16);
  return request(Opcode.INCREMENT, key, extras);
}

/**
 * SASL PLAIN authentication (RFC 4616): mechanism `PLAIN` as the key, `\0user\0password` as the
 * value. The buffer holds the password: never log it.
 */
export function saslPlainRequest(username: string, password: string): Buffer {
  const value = Buffer.concat([Buffer.from([0]), Buffer.from(username, 'utf8'), Buffer.from([0]), Buffer.from(password, 'utf8')]);
  return request(Opcode.SASL_AUTH, 'PLAIN', EMPTY, value);
}

/** A request with neither key nor body: NOOP, VERSION, FLUSH, STAT. */
export function bareRequest(opcode: number, key = ''): Buffer {
  return request(opcode, key);
}

/** One parsed binary-protocol response. */
export interface Response {
  readonly opcode: number;
  readonly status: number;
  /** The flags of a GET hit (its 4 bytes of extras); 0 for every other answer. */
  readonly flags: number;
  /** The value, or an error answer's message. */
  readonly value: Buffer;
  readonly cas: bigint;
}
