// Route notifications back to zebra, from the sync side: which routes owe zebra an answer, and
// the answer each gets, always read from the route's current state (so zebra never hears of an
// older version than the one it last sent). The state lives in bits of each route's Entry.marks that
// only this module reads or writes (route-entry.ts), so that a million routes cost no extra object;
// a queue holds each route at most once (QUEUED) until the pump looks at it.
import type { RouteReporter } from '../../route/sink.js';
import type { RouteIdentity } from '../../route/types.js';
import { Fifo } from 'vpp-binapi-ts';
import { prefixScratch } from '../../route/prefix.js';
import { networkOf, noteMark, wireProtocol, wireType, type Entry } from '../state/route-entry.js';
import { isParked, isRetrying, isSending } from '../write/write-flags.js';

/** zebra sent an add that has not had its final answer (installed, or left to VPP, or unusable). */
const PENDING = noteMark(0);
/** "could not be installed" was reported for that add (VPP refuses it): "installed" follows once it is. */
const FAILED = noteMark(1);
/** Not installed on purpose (connected, local): VPP has its own routes for it, reported as installed. */
const SKIP_OK = noteMark(2);
/** Not installable as sent (no mapped next hop, an unusable message): reported as failed. */
const SKIP_FAIL = noteMark(3);
/** In the notification queue (an entry is queued once at most). */
const QUEUED = noteMark(4);
/** What zebra is owed for the route's last add (all but QUEUED, the queue's own). */
const ANSWER = PENDING | FAILED | SKIP_OK | SKIP_FAIL;

/**
 * zebra sent an add of `e`: it is owed an answer. `told`: the final answer without a write (a route
 * not installed on purpose, 'installed', or not installable as sent, 'failed'); null: the write's.
 */
export function oweAnswer(e: Entry, told: 'installed' | 'failed' | null): void {
  e.marks = (e.marks & ~ANSWER) | PENDING | (told === null ? 0 : told === 'installed' ? SKIP_OK : SKIP_FAIL);
}

/** zebra deleted `e`: a delete is not answered, nor is the add it replaces any more. */
export function oweNothing(e: Entry): void {
  e.marks &= ~ANSWER;
}

/** zebra waits for an answer about `e`. */
export function owesAnswer(e: Entry): boolean {
  return (e.marks & PENDING) !== 0;
}

/** `e` waits in the notification queue (and so stays in the table until the pump looks at it). */
export function isNoteQueued(e: Entry): boolean {
  return (e.marks & QUEUED) !== 0;
}

/** The network of every IPv4 route reported (the reporter reads it during its call only). */
const scratch = prefixScratch();

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
      if (owesAnswer(e) && e.gen === gen) this.note(e);
    });
  }

  detach(): void {
    this.reporter = null;
    // the next session replays its source-specific routes, and is told of them then
    this.sourceSpecific.clear();
    this.queue.drain((e) => {
      e.marks &= ~QUEUED;
      this.host.dropIfEmpty(e);
    });
  }

  /** The route's notification state may have changed: look at it in the pump (if zebra is owed an answer). */
  note(e: Entry): void {
    if (this.reporter === null || (e.marks & (QUEUED | PENDING)) !== PENDING) return;
    e.marks |= QUEUED;
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
      const n = e.marks;
      if ((n & PENDING) && e.gen === gen) {
        let installed: boolean | null = null;
        if (e.want !== null) {
          if (e.want === e.have && !isSending(e)) installed = true;
          // VPP refuses the route, or its table: failed (once), installed once it is
          else if ((isRetrying(e) || (isParked(e) && e.slot.info.makeError !== null)) && (n & FAILED) === 0) installed = false;
        } else if (n & (SKIP_OK | SKIP_FAIL)) installed = (n & SKIP_OK) !== 0;
        if (installed !== null) {
          if (!rep.report(networkOf(e, scratch), e.zebraTable, wireProtocol(e), wireType(e), installed)) return;
          if (installed) {
            this.host.notified.offload++;
            e.marks &= ~ANSWER;
          } else {
            this.host.notified.failed++;
            e.marks |= FAILED;
            if (e.want === null) e.marks &= ~PENDING;
          }
        }
      }
      this.queue.shift();
      e.marks &= ~QUEUED;
      this.host.dropIfEmpty(e);
    }
    for (const [key, r] of this.sourceSpecific) {
      if (!rep.report(r.prefix, r.table, r.protocolId ?? 0, r.type, false, r.src!)) return;
      this.host.notified.failed++;
      this.sourceSpecific.delete(key);
    }
  }
}

function sourceKey(r: RouteIdentity): string {
  return `${r.table}|${r.prefix}|${r.src}`;
}
