// Route notifications back to zebra, from the sync side: which routes owe zebra an answer, and
// the answer each gets, always read from the route's current state (so zebra never hears of an
// older version than the one it last sent). The state lives in each route's Entry.n, over zebra's
// rtm_protocol (bits 0-7) and its type (bits 8-15), so that a million routes cost no extra object;
// a queue holds each route at most once (N_QUEUED) until the pump looks at it.
import type { RouteReporter } from '../route/sink.js';
import type { Prefix, RouteIdentity, RouteType } from '../route/types.js';
import { Fifo } from 'vpp-binapi-ts';
import { prefixBytes, writePrefixBytes } from '../route/prefix.js';
import { Q_RETRY, Q_SENDING, Q_TABLE, type Entry } from './route-table.js';

// Route notifications (Entry.n, over zebra's rtm_protocol in bits 0-7 and its type in 8-15).
/** zebra sent an add that has not had its final answer (installed, or left to VPP, or unusable). */
export const N_PENDING = 1 << 16;
/** "could not be installed" was reported for that add (VPP refuses it): "installed" follows once it is. */
export const N_FAILED = 1 << 17;
/** Not installed on purpose (connected, local): VPP has its own routes for it, reported as installed. */
export const N_SKIP_OK = 1 << 18;
/** Not installable as sent (no mapped next hop, an unusable message): reported as failed. */
export const N_SKIP_FAIL = 1 << 19;
/** In the notification queue (an entry is queued once at most). */
export const N_QUEUED = 1 << 20;
export const N_WIRE = 0xffff;
/** Seen in the dump of the audit under way. */
export const N_AUDITED = 1 << 21;
/** Written while the audit under way dumped VPP: not judged by it. */
export const N_TOUCHED = 1 << 22;
export const N_AUDIT_BITS = N_AUDITED | N_TOUCHED;
export const TYPES: RouteType[] = ['unspec', 'unicast', 'blackhole', 'unreachable', 'prohibit'];
const TYPE_INDEX: Record<RouteType, number> = { unspec: 0, unicast: 1, blackhole: 2, unreachable: 3, prohibit: 4 };

const v6Scratch = new Uint8Array(16);
/** An IPv6 route's network as 16 bytes (a scratch array: the reporter copies it at once). */
function v6Bytes(prefix: Prefix): Uint8Array {
  writePrefixBytes(prefix, v6Scratch);
  return v6Scratch;
}

/** rtm_protocol and type as zebra sent them, for Entry.n. */
export function wireOf(ev: Pick<RouteIdentity, 'protocolId' | 'type'>): number {
  return ((ev.protocolId ?? 0) & 0xff) | (TYPE_INDEX[ev.type] << 8);
}

export interface NotesHost {
  /** The current session's generation: a route confirmed by an older session owes nothing. */
  gen(): number;
  /** A route that wants, holds and waits for nothing leaves the table (once it left the queue). */
  dropIfEmpty(e: Entry): void;
  /** Counted as sent. */
  readonly notified: { offload: number; failed: number };
}

export class RouteNotes {
  /** Where notifications go (the current session's, once it takes them). */
  private reporter: RouteReporter | null = null;
  private readonly queue = new Fifo<Entry>();
  /**
   * Source-specific routes of this session owed their "failed": they have no Entry (an entry is the
   * route of its destination, which they are not), so they wait here, by table, destination and
   * source: at most one each, as zebra's table holds them, until the session ends.
   */
  private readonly sourceSpecific = new Map<string, RouteIdentity>();

  constructor(private readonly host: NotesHost) {}

  get size(): number {
    return this.queue.size + this.sourceSpecific.size;
  }

  /** A source-specific add: zebra is told it could not be installed. */
  failSourceSpecific(r: RouteIdentity): void {
    this.sourceSpecific.set(sourceKey(r), r);
  }

  /** A source-specific delete: nothing is owed for that route any more. */
  forgetSourceSpecific(r: RouteIdentity): void {
    this.sourceSpecific.delete(sourceKey(r));
  }

  /** The session takes notifications: the routes it sent before it was known to are queued now. */
  attach(reporter: RouteReporter, onRoom: () => void, forEach: (fn: (e: Entry) => void) => void): void {
    this.reporter = reporter;
    reporter.onRoom(() => {
      if (this.reporter === reporter) onRoom();
    });
    const gen = this.host.gen();
    forEach((e) => {
      if (e.n & N_PENDING && e.gen === gen) this.note(e);
    });
  }

  detach(): void {
    this.reporter = null;
    // the next session replays its source-specific routes, and is told of them then
    this.sourceSpecific.clear();
    this.queue.drain((e) => {
      e.n &= ~N_QUEUED;
      this.host.dropIfEmpty(e);
    });
  }

  /** The route's notification state may have changed: look at it in the pump. */
  note(e: Entry): void {
    if (this.reporter === null || e.n & N_QUEUED) return;
    e.n |= N_QUEUED;
    this.queue.push(e);
  }

  /**
   * Reports what can be said now of each queued route: installed once VPP has acknowledged what
   * zebra wants (and no other write is under way), failed once (while VPP refuses it and it is
   * retried), and the final word for routes not installed on purpose or not installable. A route
   * still being written is looked at again when the write completes. Stops while the way back is full.
   */
  report(): void {
    const rep = this.reporter;
    if (rep === null) return;
    const gen = this.host.gen();
    for (let e = this.queue.peek(); e !== undefined; e = this.queue.peek()) {
      const n = e.n;
      if ((n & N_PENDING) && e.gen === gen) {
        let installed: boolean | null = null;
        if (e.want !== null) {
          if (e.want === e.have && (e.q & Q_SENDING) === 0) installed = true;
          // VPP refuses the route, or its table: failed (once), installed once it is
          else if ((e.q & Q_RETRY || (e.q & Q_TABLE && e.slot.info.makeError !== null)) && (n & N_FAILED) === 0) installed = false;
        } else if (n & (N_SKIP_OK | N_SKIP_FAIL)) installed = (n & N_SKIP_OK) !== 0;
        if (installed !== null) {
          const info = e.slot.info;
          const v6 = info.family === 6 ? v6Bytes(e.a as Prefix) : null;
          if (!rep.report(info.family, info.family === 4 ? (e.a as number) : 0, v6, e.slot.len, e.zt, n & 0xff, TYPES[(n >> 8) & 0xff]!, installed)) return;
          if (installed) {
            this.host.notified.offload++;
            e.n = e.n & (N_WIRE | N_QUEUED | N_AUDIT_BITS);
          } else {
            this.host.notified.failed++;
            e.n |= N_FAILED;
            if (e.want === null) e.n &= ~N_PENDING;
          }
        }
      }
      this.queue.shift();
      e.n &= ~N_QUEUED;
      this.host.dropIfEmpty(e);
    }
    for (const [key, r] of this.sourceSpecific) {
      const v6 = r.family === 6 ? v6Bytes(r.prefix) : null;
      const src = r.src!;
      if (!rep.report(r.family, r.family === 4 ? r.prefix.w0 >>> 0 : 0, v6, r.prefix.len, r.table, r.protocolId ?? 0, r.type, false, src.len, prefixBytes(src))) return;
      this.host.notified.failed++;
      this.sourceSpecific.delete(key);
    }
  }
}

function sourceKey(r: RouteIdentity): string {
  return `${r.table}|${r.prefix}|${r.src}`;
}
