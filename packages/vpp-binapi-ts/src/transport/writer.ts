// Frames written during one event-loop tick go out in one socket write: the per-write cost
// dominates small messages (THROUGHPUT.md: batching took a raw sender from 55k to 480k req/s).
import { HEADER_SIZE, writeHeader } from './frame.js';

export interface Sink {
  write(buf: Buffer): unknown;
}

export class BatchWriter {
  private buf: Buffer;
  private len = 0;
  private scheduled = false;
  private readonly flushBound = () => this.flush();

  constructor(private sink: Sink | null, private readonly initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  setSink(sink: Sink | null): void {
    this.sink = sink;
    this.len = 0;
  }

  /** Reserves a frame of payloadLen bytes; returns the payload offset in `buffer`, header filled. */
  reserve(payloadLen: number): number {
    const need = this.len + HEADER_SIZE + payloadLen;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    writeHeader(this.buf, this.len, payloadLen);
    const at = this.len + HEADER_SIZE;
    this.len = need;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
    return at;
  }

  /** The buffer that the last reserve() offset refers to (it changes when it grows). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Drops the last reserved frame (its encoding failed). */
  unreserve(payloadLen: number): void {
    this.len -= HEADER_SIZE + payloadLen;
  }

  flush(): void {
    this.scheduled = false;
    if (this.len === 0) return;
    const out = this.buf.subarray(0, this.len);
    // The socket keeps the written buffer until it is sent, so the next tick gets a fresh one.
    this.buf = Buffer.allocUnsafe(Math.max(this.initialSize, this.len));
    this.len = 0;
    this.sink?.write(out);
  }
}
