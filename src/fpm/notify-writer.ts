// Route notifications on one FPM session's socket. Frames are gathered into 64 KB writes (one per
// event-loop turn at most), never block the reading side, and are bounded: past `highWater` bytes
// queued in the socket, report() refuses until the socket drains, and the caller keeps the routes
// to report (the reconciler holds at most one pending notification per route, so nothing grows).
import type { Socket } from 'node:net';
import type { RouteReporter } from '../route/sink.js';
import type { RouteType } from '../route/types.js';
import { MAX_NOTIFICATION_LEN, RTM_F_OFFLOAD, RTM_F_OFFLOAD_FAILED, rtmType, writeRouteNotification } from './netlink/notify.js';

const CHUNK = 65536;

export class NotifyWriter implements RouteReporter {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private scheduled = false;
  private readonly roomCbs: (() => void)[] = [];

  constructor(private readonly socket: Socket, private readonly highWater = 1 << 20) {
    socket.on('drain', () => this.room());
  }

  get full(): boolean {
    return this.socket.writableLength >= this.highWater;
  }

  report(family: 4 | 6, v4: number, v6: Uint8Array | null, len: number, table: number, protocol: number, type: RouteType, installed: boolean, srcLen = 0, src: Uint8Array | null = null): boolean {
    if (this.socket.destroyed) return true; // the session is gone: the next one replays and is told again
    if (this.full) return false;
    if (this.pos > CHUNK - MAX_NOTIFICATION_LEN) this.flush();
    this.pos = writeRouteNotification(this.buf, this.pos, family, v4, v6, len, table, protocol, rtmType(type), installed ? RTM_F_OFFLOAD : RTM_F_OFFLOAD_FAILED, srcLen, src);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
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
    if (this.pos === 0 || this.socket.destroyed) {
      this.pos = 0;
      return;
    }
    // the chunk goes to the socket as it is; a fresh one takes the next frames
    this.socket.write(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }
}
