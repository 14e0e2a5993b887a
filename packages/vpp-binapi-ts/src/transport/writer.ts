// Frames written during one event-loop tick go out in one socket write: the per-write cost
// dominates small messages (the package's test/fixtures/THROUGHPUT.md: a raw sender went from 55k
// req/s with 4 in flight to 470k with 64 in flight and 64 frames a write).
import { HEADER_SIZE, writeHeader } from './frame.js';

/** A buffer grows to hold 16 turns like the one that filled it, but not past this (unless one turn needs more). */
const MAX_GROWN = 4 * 1024 * 1024;

export interface Sink {
  write(buf: Buffer): unknown;
  /**
   * Bytes it was handed and still holds (a socket's: not yet taken by the kernel). A sink that
   * tells, and holds none after a write, has let go of the buffer: the next turn's frames may
   * overwrite it. One that does not tell keeps every buffer it was handed.
   */
  readonly writableLength?: number;
}

export class BatchWriter {
  /**
   * Frames of the turn are `buf[start, len)`. A flush hands them to the socket; a fresh buffer per
   * flush fed the garbage collector (a busy session flushes a few frames per turn).
   * - The socket took the flush whole (`writableLength` 0 after the write: the kernel had room, as
   *   it has under fibmgr's 16 MB send buffer): nothing refers to the bytes any more, so the next
   *   turn starts at the buffer's start. One buffer, warm in the cache, where a full table's 470 MB
   *   of requests went through ~120 fresh 4 MB buffers, each written once and copied by the kernel
   *   on the core beside VPP's, whose FIB work is memory-bound (fibmgr's page faults in a first
   *   sync fell by ~30%, its peak RSS by 40–60 B/route: README, run Y). A buffer an outsized
   *   turn grew past MAX_GROWN is let go then, not kept for the session.
   * - The socket holds some of it (the kernel's buffer was full), or the sink does not say: those
   *   bytes are the socket's until written, so the next turn's frames go after them, and a new
   *   buffer is taken when this one fills.
   */
  private buf: Buffer;
  private start = 0;
  private len = 0;
  private scheduled = false;
  private readonly flushBound = () => this.flush();

  constructor(private sink: Sink | null, private readonly initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  setSink(sink: Sink | null): void {
    this.sink = sink;
    // What was flushed is the old sink's until it is written: a session reset leaves its socket
    // sending (the goodbye goes out behind it), so the next session's frames take a new buffer
    // rather than overwrite bytes that socket has yet to send.
    if (this.start > 0) this.buf = Buffer.allocUnsafe(this.initialSize);
    this.start = this.len = 0;
  }

  /** Reserves a frame of payloadLen bytes; returns the payload offset in `buffer`, header filled. */
  reserve(payloadLen: number): number {
    const need = this.len + HEADER_SIZE + payloadLen;
    if (need > this.buf.length) {
      // The frames not yet flushed move to a new buffer (the flushed ones belong to the socket),
      // one that holds many turns like this one, so that moving a turn's frames stays rare —
      // up to a bound: a full window written in one turn (a resync after VPP restarted: 4,096
      // routes, 1.6 MB) made the next buffer 26 MB, held as long as any frame in it is unsent.
      const pending = this.len - this.start;
      const turn = pending + HEADER_SIZE + payloadLen;
      const next = Buffer.allocUnsafe(Math.max(this.initialSize, Math.min(16 * turn, MAX_GROWN), 2 * turn));
      this.buf.copy(next, 0, this.start, this.len);
      this.buf = next;
      this.start = 0;
      this.len = pending;
    }
    writeHeader(this.buf, this.len, payloadLen);
    const at = this.len + HEADER_SIZE;
    this.len += HEADER_SIZE + payloadLen;
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
    if (this.len === this.start) return;
    const out = this.buf.subarray(this.start, this.len);
    this.start = this.len;
    const sink = this.sink;
    if (!sink) return;
    sink.write(out);
    if (sink.writableLength !== 0) return;
    this.start = this.len = 0;
    if (this.buf.length > MAX_GROWN) this.buf = Buffer.allocUnsafe(this.initialSize);
  }
}
