import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameSink } from '../../src/cluster/frame-reader.js';

/** A response frame with `valueLength` bytes of value (byte i is i mod 251). */
function frame(opaque: number, valueLength: number): Buffer {
  const buffer = Buffer.alloc(24 + 4 + valueLength);
  buffer.writeUInt8(0x81, 0);
  buffer.writeUInt8(4, 4);
  buffer.writeUInt32BE(4 + valueLength, 8);
  buffer.writeUInt32BE(opaque, 12);
  for (let i = 0; i < valueLength; i++) buffer[28 + i] = i % 251;
  return buffer;
}

function collector(maxBodyBytes = 1 << 20): { reader: FrameReader; frames: Buffer[]; violations: string[] } {
  const frames: Buffer[] = [];
  const violations: string[] = [];
  const sink: FrameSink = {
    header: () => undefined,
    frame: (buffer, offset) => frames.push(Buffer.from(buffer.subarray(offset, offset + 24 + buffer.readUInt32BE(offset + 8)))),
    violation: (reason) => violations.push(reason),
  };
  return { reader: new FrameReader(sink, maxBodyBytes), frames, violations };
}

describe('FrameReader', () => {
  it('yields the same frames however the stream is cut', () => {
    const stream = Buffer.concat([frame(1, 0), frame(2, 10), frame(3, 70_000), frame(4, 3), frame(5, 1)]);
    const expected = collector();
    expected.reader.push(stream);
    expect(expected.frames.map((f) => f.readUInt32BE(12))).toEqual([1, 2, 3, 4, 5]);
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n) + 1;
    for (const cut of [1, 3, 23, 24, 25, 1000, 65_536, 0]) {
      const { reader, frames, violations } = collector();
      for (let offset = 0; offset < stream.length; ) {
        const size = cut === 0 ? random(40_000) : cut;
        reader.push(stream.subarray(offset, offset + size));
        offset += size;
      }
      expect(violations).toEqual([]);
      expect(frames).toHaveLength(expected.frames.length);
      // Buffer.equals: vitest's deep equality walks 70,000 bytes one by one.
      expect(frames.every((f, i) => f.equals(expected.frames[i] as Buffer))).toBe(true);
    }
  });

  it('copies each byte of a frame spread over many chunks at most once', () => {
    const big = frame(9, 1_000_000);
    const { reader, frames } = collector();
    for (let offset = 0; offset < big.length; offset += 4096) reader.push(big.subarray(offset, offset + 4096));
    expect(frames).toHaveLength(1);
    expect(frames[0]?.equals(big)).toBe(true);
    expect(reader.copiedBytes).toBeLessThanOrEqual(big.length + 24);
  });

  it('refuses a header announcing more than the largest value before buffering its body', () => {
    const { reader, frames, violations } = collector(1 << 20);
    const header = frame(1, 0);
    header.writeUInt32BE(0xffffffff, 8);
    reader.push(header);
    expect(violations).toEqual(['a 4294967295-byte body (the largest value accepted is 1048576 bytes)']);
    reader.push(Buffer.alloc(1 << 20));
    expect(frames).toEqual([]);
    expect(reader.copiedBytes).toBe(0);
  });

  it.each([
    ['magic', (b: Buffer) => b.writeUInt8(0x80, 0), /magic byte 0x80/],
    ['data type', (b: Buffer) => b.writeUInt8(1, 5), /data type 0x01/],
    ['lengths', (b: Buffer) => b.writeUInt16BE(100, 2), /key \(100\) and extras \(4\) longer than the body/],
  ])('refuses a header with a wrong %s, even split across chunks', (_name, spoil, reason) => {
    const bad = frame(1, 8);
    spoil(bad);
    const { reader, frames, violations } = collector();
    reader.push(frame(0, 2));
    reader.push(bad.subarray(0, 5));
    reader.push(bad.subarray(5));
    expect(frames).toHaveLength(1);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(reason);
  });
});
