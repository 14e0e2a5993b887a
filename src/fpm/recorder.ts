// `--record-fpm PATH`: each FPM session's frames, exactly as zebra sent them, into a file of its
// own (PATH.1, PATH.2, … by session id), for `fibmgr decode` or a replay. Whole frames only: a
// session cut mid-frame, a broken stream or the size cap ends a file at a frame boundary, so every
// file decodes to its end. The cap holds over all sessions of a run (a flapping zebra fills no
// disk); past it nothing more is recorded. Written synchronously, in order, as fibmgr reads: what
// a file holds is what fibmgr has taken in so far, and a failing disk costs the recording only.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Logger } from '../log.js';
import { FPM_HEADER_LEN, FrameReader } from './frame.js';

/** All sessions' files together, by default. */
export const RECORD_MAX_BYTES = 256 * 1024 * 1024;

interface Recording {
  file: string;
  fd: number;
  reader: FrameReader;
  /** Stream bytes written (whole frames). */
  written: number;
  /** Stream bytes read but not written: the start of a frame not complete yet (at most one frame). */
  tail: Buffer;
}

export class FpmRecorder {
  private readonly sessions = new Map<number, Recording>();
  private used = 0;
  private full = false;
  private readonly log: Logger;

  constructor(private readonly path: string, logger: Logger, private readonly maxBytes = RECORD_MAX_BYTES) {
    this.log = logger.child({ component: 'fpm-record' });
  }

  /** The file of session `id`. */
  fileOf(id: number): string {
    return `${this.path}.${id}`;
  }

  sessionStart(id: number): void {
    if (this.full) return;
    const file = this.fileOf(id);
    let fd: number;
    try {
      fd = openSync(file, 'w', 0o600);
    } catch (e) {
      this.log.warn({ session: id, file, err: (e as Error).message }, 'cannot record the FPM session: its file does not open (the session goes on unrecorded)');
      return;
    }
    this.sessions.set(id, { file, fd, reader: new FrameReader(), written: 0, tail: Buffer.alloc(0) });
    this.log.info({ session: id, file }, 'recording the FPM session');
  }

  /** A chunk of session `id`'s stream as read: its complete frames are written, within the cap. */
  data(id: number, chunk: Buffer): void {
    const r = this.sessions.get(id);
    if (!r) return;
    let fits = r.written;
    let over = false;
    r.reader.push(chunk, (_type, _buf, start, end, at) => {
      const frameEnd = at + FPM_HEADER_LEN + end - start;
      if (!over && this.used + frameEnd - r.written <= this.maxBytes) fits = frameEnd;
      else over = true;
    });
    const data = r.tail.length ? Buffer.concat([r.tail, chunk]) : chunk;
    const n = fits - r.written;
    try {
      for (let off = 0; off < n;) off += writeSync(r.fd, data, off, n - off);
    } catch (e) {
      this.log.warn({ session: id, file: r.file, err: (e as Error).message }, 'FPM recording stopped: its file cannot be written');
      return this.stop(id);
    }
    r.written = fits;
    this.used += n;
    if (over) {
      this.full = true;
      this.log.warn({ session: id, file: r.file, maxBytes: this.maxBytes }, 'FPM recording stopped: the recordings reached their size cap (later sessions are not recorded)');
      return this.stop(id);
    }
    // a broken stream cannot be split into frames any more: what came before it is kept
    if (r.reader.fatal) return this.stop(id);
    r.tail = Buffer.from(data.subarray(n));
  }

  sessionEnd(id: number): void {
    this.stop(id);
  }

  /** Every file closed. */
  close(): void {
    for (const id of [...this.sessions.keys()]) this.stop(id);
  }

  private stop(id: number): void {
    const r = this.sessions.get(id);
    if (!r) return;
    this.sessions.delete(id);
    try {
      closeSync(r.fd);
    } catch { /* the recording is over either way */ }
  }
}
