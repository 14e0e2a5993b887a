// Route notifications on one FPM session's socket. Frames are gathered into writes (one per
// GATHER_MS at most, or per 64 KB), never block the reading side, and are bounded: past `highWater` bytes
// queued in the socket, report() refuses until the socket drains, and the caller keeps the routes
// to report (the reconciler holds at most one pending notification per route, so nothing grows).
import type { Socket } from 'node:net';
import type { RouteReporter } from '../route/sink.js';
import type { Prefix, RouteType } from '../route/types.js';
import { MAX_NOTIFICATION_LEN, RTM_F_OFFLOAD, RTM_F_OFFLOAD_FAILED, rtmType, writeRouteNotification } from './netlink/notify.js';

const CHUNK = 65536;
/** How long a notification may wait for others to share its write. */
const GATHER_MS = 20;

export class NotifyWriter implements RouteReporter {
  /**
   * Frames are written into a 64 KB chunk; a flush hands the socket the part written since the
   * last one and the next frames go after it: a chunk is allocated per 64 KB of notifications,
   * not per flush (a turn of a busy replay flushes a few frames, and a fresh 64 KB each time was
   * a third of fibmgr's CPU on a real VPP, mostly the garbage collector's).
   */
  private buf = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private pos = 0;
  private scheduled = false;
  private readonly roomCbs: (() => void)[] = [];

  constructor(private readonly socket: Socket, private readonly highWater = 1 << 20) {
    socket.on('drain', () => this.room());
  }

  get full(): boolean {
    return this.socket.writableLength >= this.highWater;
  }

  report(prefix: Prefix, table: number, protocol: number, type: RouteType, installed: boolean, src: Prefix | null = null): boolean {
    if (this.socket.destroyed) return true; // the session is gone: the next one replays and is told again
    if (this.full) return false;
    if (this.pos > CHUNK - MAX_NOTIFICATION_LEN) {
      this.flush();
      this.buf = Buffer.allocUnsafe(CHUNK);
      this.start = this.pos = 0;
    }
    this.pos = writeRouteNotification(this.buf, this.pos, prefix, table, protocol, rtmType(type), installed ? RTM_F_OFFLOAD : RTM_F_OFFLOAD_FAILED, src);
    if (!this.scheduled) {
      // Zebra does not wait for these: a few milliseconds let a replay's notifications share a
      // write (one per turn was a write per few routes, on a TCP socket that wakes zebra each time).
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        this.flush();
      }, GATHER_MS).unref();
    }
    return true;
  }

  onRoom(cb: () => void): void {
    this.roomCbs.push(cb);
  }

  private room(): void {
    for (const cb of this.roomCbs) cb();
  }

  flush(): void {
    if (this.pos === this.start) return;
    // the socket keeps what it was given until sent: those bytes of the chunk are not written again
    if (!this.socket.destroyed) this.socket.write(this.buf.subarray(this.start, this.pos));
    this.start = this.pos;
  }
}
