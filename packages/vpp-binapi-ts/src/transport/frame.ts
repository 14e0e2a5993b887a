// VPP's socket framing: a 16-byte header {q u64, length u32 BE, gc_mark u32} then the payload.
// q and gc_mark carry VPP-internal values (ring pointers) on replies, so only the length is read.
export const HEADER_SIZE = 16;
/** The largest payload accepted. The handshake reply is ~56 KB, get_api_json ~1.2 MB. */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

export function writeHeader(buf: Buffer, off: number, payloadLen: number): void {
  // byte stores: written for every message, and Buffer's write methods check their arguments
  for (let i = off; i < off + 8; i++) buf[i] = 0;
  buf[off + 8] = payloadLen >>> 24;
  buf[off + 9] = payloadLen >>> 16;
  buf[off + 10] = payloadLen >>> 8;
  buf[off + 11] = payloadLen;
  buf[off + 12] = buf[off + 13] = buf[off + 14] = buf[off + 15] = 0;
}

/** One frame as a header and its payload, for tests and rare messages. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  writeHeader(out, 0, payload.length);
  payload.copy(out, HEADER_SIZE);
  return out;
}

export class FramingError extends Error {
  override name = 'FramingError';
}

/** Called with the payload as [start, end) of buf; buf may be reused after the call returns. */
export type PayloadHandler = (buf: Buffer, start: number, end: number) => void;

/**
 * Splits a byte stream into payloads. Whole frames inside one chunk are handed over in place
 * (no copy); only a frame split across chunks is assembled in a side buffer.
 */
export class FrameReader {
  private pending: Buffer | null = null; // an incomplete frame carried over from earlier chunks
  private pendingLen = 0;

  constructor(private readonly onPayload: PayloadHandler, private readonly maxPayload = MAX_PAYLOAD) {}

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLen;
  }

  reset(): void {
    this.pending = null;
    this.pendingLen = 0;
  }

  /**
   * The stream's next bytes: chunk[0, n) (n: the whole chunk unless given, so that a read into a
   * reused buffer needs no view of it). Throws FramingError on a length over the limit; the stream
   * is then unusable (reset it).
   */
  push(chunk: Buffer, n = chunk.length): void {
    let off = 0;
    if (this.pendingLen > 0) {
      off = this.fillPending(chunk, n);
      if (off < 0) return;
    }
    while (n - off >= HEADER_SIZE) {
      const len = chunk.readUInt32BE(off + 8);
      if (len > this.maxPayload) throw new FramingError(`frame length ${len} exceeds ${this.maxPayload}`);
      const end = off + HEADER_SIZE + len;
      if (end > n) break;
      this.onPayload(chunk, off + HEADER_SIZE, end);
      off = end;
    }
    if (off < n) this.stash(chunk, off, n);
  }

  private stash(chunk: Buffer, off: number, n: number): void {
    const rest = n - off;
    let want = HEADER_SIZE;
    if (rest >= HEADER_SIZE) want += chunk.readUInt32BE(off + 8);
    this.pending = Buffer.allocUnsafe(Math.max(want, rest, 4096));
    chunk.copy(this.pending, 0, off, n);
    this.pendingLen = rest;
  }

  /** Completes the carried-over frame from chunk; returns where chunk's own frames start, or -1. */
  private fillPending(chunk: Buffer, n: number): number {
    let off = 0;
    let p = this.pending!;
    if (this.pendingLen < HEADER_SIZE) {
      const take = Math.min(HEADER_SIZE - this.pendingLen, n);
      chunk.copy(p, this.pendingLen, 0, take);
      this.pendingLen += take;
      off = take;
      if (this.pendingLen < HEADER_SIZE) return -1;
    }
    const len = p.readUInt32BE(8);
    if (len > this.maxPayload) throw new FramingError(`frame length ${len} exceeds ${this.maxPayload}`);
    const total = HEADER_SIZE + len;
    if (p.length < total) {
      const bigger = Buffer.allocUnsafe(total);
      p.copy(bigger, 0, 0, this.pendingLen);
      this.pending = p = bigger;
    }
    const take = Math.min(total - this.pendingLen, n - off);
    chunk.copy(p, this.pendingLen, off, off + take);
    this.pendingLen += take;
    off += take;
    if (this.pendingLen < total) return -1;
    this.pending = null;
    this.pendingLen = 0;
    this.onPayload(p, HEADER_SIZE, total);
    return off;
  }
}
