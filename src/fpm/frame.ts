// FPM framing: a 4-byte header {version u8, type u8, length u16 big-endian (header included)}
// in front of each message. The reader reassembles frames from socket chunks cut anywhere,
// without copying frames that arrive whole inside one chunk.

export const FPM_HEADER_LEN = 4;
export const FPM_VERSION = 1;
export const FPM_MSG_NETLINK = 1;
export const FPM_MSG_PROTOBUF = 2;
/** The u16 length field's ceiling; zebra stays far below it but a listener must accept it all. */
export const FPM_MAX_FRAME = 65535;

/** Called for each complete frame: body is buf[start, end), streamOffset where its header began. */
export type FrameHandler = (type: number, buf: Buffer, start: number, end: number, streamOffset: number) => void;

export interface FramingError {
  offset: number;
  reason: string;
}

/** Checks a header; a non-null answer means the stream can no longer be split into frames. */
export function checkHeader(version: number, length: number): string | null {
  if (version !== FPM_VERSION) return `unsupported FPM version ${version}`;
  if (length < FPM_HEADER_LEN) return `FPM frame length ${length} below the header size`;
  return null;
}

export class FrameReader {
  /** Bytes consumed so far (whole frames plus the partial one held). */
  offset = 0;
  fatal: FramingError | null = null;
  // A frame cut by a chunk boundary is completed in this fixed buffer: no allocation per chunk.
  private readonly acc = Buffer.allocUnsafe(FPM_MAX_FRAME);
  private accLen = 0;

  /** Bytes held of an incomplete frame. */
  get pending(): number {
    return this.accLen;
  }

  push(chunk: Buffer, onFrame: FrameHandler): void {
    if (this.fatal) return;
    let pos = 0;
    const n = chunk.length;
    if (this.accLen > 0) {
      pos = this.fill(chunk, onFrame);
      if (pos < 0 || this.fatal) return;
    }
    while (pos < n) {
      if (n - pos < FPM_HEADER_LEN) {
        chunk.copy(this.acc, 0, pos, n);
        this.accLen = n - pos;
        return;
      }
      const length = (chunk[pos + 2] << 8) | chunk[pos + 3];
      const bad = checkHeader(chunk[pos], length);
      if (bad) {
        this.fatal = { offset: this.offset, reason: bad };
        return;
      }
      if (n - pos < length) {
        chunk.copy(this.acc, 0, pos, n);
        this.accLen = n - pos;
        return;
      }
      const at = this.offset;
      this.offset += length;
      onFrame(chunk[pos + 1], chunk, pos + FPM_HEADER_LEN, pos + length, at);
      pos += length;
    }
  }

  /** Completes the held partial frame from the chunk; returns where the chunk's own frames start, or -1 if it all went into the partial frame. */
  private fill(chunk: Buffer, onFrame: FrameHandler): number {
    let pos = 0;
    if (this.accLen < FPM_HEADER_LEN) {
      const take = Math.min(FPM_HEADER_LEN - this.accLen, chunk.length);
      chunk.copy(this.acc, this.accLen, 0, take);
      this.accLen += take;
      pos = take;
      if (this.accLen < FPM_HEADER_LEN) return -1;
    }
    const length = (this.acc[2] << 8) | this.acc[3];
    const bad = checkHeader(this.acc[0], length);
    if (bad) {
      this.fatal = { offset: this.offset, reason: bad };
      return -1;
    }
    const take = Math.min(length - this.accLen, chunk.length - pos);
    chunk.copy(this.acc, this.accLen, pos, pos + take);
    this.accLen += take;
    pos += take;
    if (this.accLen < length) return -1;
    this.accLen = 0;
    const at = this.offset;
    this.offset += length;
    onFrame(this.acc[1], this.acc, FPM_HEADER_LEN, length, at);
    return pos;
  }
}
