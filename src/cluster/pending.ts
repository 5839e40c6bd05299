import type { AuthringError } from '../errors.js';
import type { BatchHits } from './item.js';
import { HEADER_BYTES, Opcode, u16, u32, type Response } from './protocol.js';

/**
 * How a request is answered: `answered`, by one answer; `batch`, by its quiet GETKQ hits and then
 * the NOOP that ends it; `silent` (a quiet store), only when it fails, so an answer to a later
 * request on the socket says it passed.
 */
export type PendingKind = 'answered' | 'batch' | 'silent';

/** A request waiting for its answer, in a connection's queue of requests written and not yet answered. */
export class Pending {
  settled = false;
  sentAt = 0;
  timer: NodeJS.Timeout | undefined;
  /** Quiet batch: the hits so far, and where in the request the next hit's key is looked for. */
  readonly hits: BatchHits | undefined;
  private cursor = 0;
  private index = 0;

  constructor(
    readonly blob: Buffer,
    readonly opaque: number,
    /** The opcode of the answer that completes this request (NOOP for a quiet batch). */
    readonly opcode: number,
    readonly kind: PendingKind,
    readonly key: string | undefined,
    private readonly onResolve: (value: Response | BatchHits) => void,
    private readonly onReject: (error: AuthringError) => void,
  ) {
    this.hits = kind === 'batch' ? { indexes: [], items: [] } : undefined;
  }

  resolve(value: Response | BatchHits): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.onResolve(value);
  }

  reject(error: AuthringError): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.onReject(error);
  }

  /**
   * The position in this batch of the GETKQ whose key is `buffer[start, start + length)`, or -1.
   * memcached answers in request order, so the search resumes after the previous hit: each request
   * key is compared at most once per batch.
   */
  locate(buffer: Buffer, start: number, length: number): number {
    const blob = this.blob;
    while (this.cursor + HEADER_BYTES <= blob.length && blob[this.cursor + 1] === Opcode.GETKQ) {
      const at = this.cursor;
      const keyLength = u16(blob, at + 2);
      const keyStart = at + HEADER_BYTES + (blob[at + 4] as number);
      this.cursor = at + HEADER_BYTES + u32(blob, at + 8);
      const index = this.index++;
      if (keyLength === length && sameBytes(blob, keyStart, buffer, start, length)) return index;
    }
    return -1;
  }
}

/** Whether `a[aStart..)` and `b[bStart..)` hold the same `length` bytes (keys are short: a loop beats a native call). */
function sameBytes(a: Buffer, aStart: number, b: Buffer, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}
