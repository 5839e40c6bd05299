import { HEADER_BYTES, RESPONSE_MAGIC, u16, u32 } from './protocol.js';

/** Where a {@link FrameReader} delivers what it reads. */
export interface FrameSink {
  /**
   * A complete response header at `offset`, already checked for magic and lengths, before any of
   * its body is buffered. Returns why the connection cannot accept it, or `undefined`.
   */
  header(buffer: Buffer, offset: number): string | undefined;
  /** A complete frame: the header at `offset`, then its whole body. */
  frame(buffer: Buffer, offset: number): void;
  /** The stream broke the protocol; the reader has stopped and reads nothing more. */
  violation(reason: string): void;
}

/**
 * Cuts a byte stream into binary-protocol response frames, copying each byte at most once and
 * never buffering more than one frame. Every header is checked before its body is waited for: the
 * magic byte, the data type, key and extras lengths inside the body length, and the body within
 * `maxBodyBytes`, so a header announcing 4 GB is refused on its first 24 bytes.
 *
 * Frames that arrive whole inside a chunk are handed over in place (no copy). A frame spread over
 * several chunks is assembled into one buffer of its exact size, allocated once its header is read.
 */
export class FrameReader {
  /** Bytes copied into assembly buffers so far (a frame that arrives whole is never copied). */
  copiedBytes = 0;
  private stub: Buffer | undefined;
  private assembling: Buffer | undefined;
  private filled = 0;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxBodyBytes: number,
  ) {}

  /** Stops reading: later chunks are ignored (the connection is being torn down). */
  stop(): void {
    this.stopped = true;
    this.stub = undefined;
    this.assembling = undefined;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    let offset = 0;
    if (this.assembling !== undefined) {
      offset = this.fill(chunk, 0);
      if (this.assembling !== undefined || this.stopped) return;
    } else if (this.stub !== undefined) {
      const take = Math.min(HEADER_BYTES - this.stub.length, chunk.length);
      const header = Buffer.concat([this.stub, chunk.subarray(0, take)]);
      this.copiedBytes += take;
      offset = take;
      if (header.length < HEADER_BYTES) {
        this.stub = header;
        return;
      }
      this.stub = undefined;
      const size = this.check(header, 0);
      if (size < 0) return;
      if (size === HEADER_BYTES) this.sink.frame(header, 0);
      else {
        this.startAssembly(header, 0, HEADER_BYTES, size);
        offset = this.fill(chunk, offset);
        if (this.assembling !== undefined) return;
      }
      if (this.stopped) return;
    }
    while (chunk.length - offset >= HEADER_BYTES) {
      const size = this.check(chunk, offset);
      if (size < 0) return;
      if (chunk.length - offset < size) {
        this.startAssembly(chunk, offset, chunk.length, size);
        return;
      }
      this.sink.frame(chunk, offset);
      if (this.stopped) return;
      offset += size;
    }
    if (offset < chunk.length) {
      this.stub = Buffer.from(chunk.subarray(offset));
      this.copiedBytes += chunk.length - offset;
    }
  }

  /** Checks the header at `offset`; returns the frame size, or -1 after reporting a violation. */
  private check(buffer: Buffer, offset: number): number {
    const magic = buffer[offset] as number;
    const keyLength = u16(buffer, offset + 2);
    const extrasLength = buffer[offset + 4] as number;
    const dataType = buffer[offset + 5] as number;
    const bodyLength = u32(buffer, offset + 8);
    let reason: string | undefined;
    if (magic !== RESPONSE_MAGIC) reason = `magic byte 0x${hex(magic)} (a response has 0x${hex(RESPONSE_MAGIC)})`;
    else if (dataType !== 0) reason = `data type 0x${hex(dataType)} (only raw bytes, 0x00, exist)`;
    else if (keyLength + extrasLength > bodyLength) {
      reason = `key (${keyLength}) and extras (${extrasLength}) longer than the body (${bodyLength} bytes)`;
    } else if (bodyLength - keyLength - extrasLength > this.maxBodyBytes) {
      reason = `a ${bodyLength}-byte body (the largest value accepted is ${this.maxBodyBytes} bytes)`;
    } else reason = this.sink.header(buffer, offset);
    if (reason === undefined) return HEADER_BYTES + bodyLength;
    this.stop();
    this.sink.violation(reason);
    return -1;
  }

  private startAssembly(source: Buffer, start: number, end: number, size: number): void {
    const frame = Buffer.allocUnsafe(size);
    source.copy(frame, 0, start, end);
    this.copiedBytes += end - start;
    this.assembling = frame;
    this.filled = end - start;
  }

  /** Copies what the frame being assembled still needs from `chunk`; returns the new offset. */
  private fill(chunk: Buffer, offset: number): number {
    const frame = this.assembling as Buffer;
    const take = Math.min(frame.length - this.filled, chunk.length - offset);
    chunk.copy(frame, this.filled, offset, offset + take);
    this.copiedBytes += take;
    this.filled += take;
    if (this.filled === frame.length) {
      this.assembling = undefined;
      this.sink.frame(frame, 0);
    }
    return offset + take;
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
