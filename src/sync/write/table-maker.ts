// VPP tables are created before their first route: routes of a table not ready yet are parked
// here (markParked, write-flags.ts) while it is created, then scheduled again. A table VPP will not create costs its
// own routes only: it is retried with backoff, its routes are counted and reported as failed
// (TableInfo.makeError) and, parked rather than queued, they are no part of the backlog that
// pauses zebra's input for every table.
import type { Logger } from '../../log.js';
import { isTimeout } from 'vpp-binapi-ts';
import type { Clock, Timer } from '../clock.js';
import type { Entry } from '../state/route-entry.js';
import type { TableInfo } from '../state/route-table.js';
import { clearParked, isParked, markParked } from './write-flags.js';
import type { VppPort } from '../vpp/vpp-port.js';

export interface TableMakerHost {
  /** VPP did not answer in time (the session is reset; the creation is retried after it). */
  timedOut(what: string): void;
  /** True while table creation may go on (VPP ready and connected, not stopping). */
  live(): boolean;
  stopping(): boolean;
  /** Backoff before attempt n + 1. */
  delay(n: number): number;
  later(ms: number, fn: () => void): Timer;
  /** A parked route is released: look at it again. */
  release(e: Entry): void;
  /** What zebra is told of a parked route may have changed (its table was refused). */
  note(e: Entry): void;
  /** A creation attempt failed (counted). */
  failed(): void;
  kick(): void;
}

/** A table VPP refused to create, for /state and the metrics. */
export interface FailingTable {
  family: 4 | 6;
  table: number;
  error: string;
  /** Attempts so far. */
  tries: number;
  /** When it was first refused (wall clock, ISO). */
  since: string;
  /** Routes waiting for it. */
  routes: number;
}

interface Making {
  waiting: Set<Entry>;
  /** Failed attempts so far. */
  tries: number;
  since: number;
}

export class TableMaker {
  /** Tables being created → routes waiting for them. */
  private readonly making = new Map<TableInfo, Making>();
  /** Routes parked (a walk of the tables being made: a few). */
  get parked(): number {
    let n = 0;
    for (const m of this.making.values()) n += m.waiting.size;
    return n;
  }

  constructor(private readonly port: VppPort, private readonly log: Logger, private readonly clock: Clock, private readonly host: TableMakerHost) {}

  /** Parks `e` until its table exists (creating it, if no one is yet). */
  wait(info: TableInfo, e: Entry): void {
    markParked(e);
    const m = this.making.get(info);
    if (m) {
      m.waiting.add(e);
      if (info.makeError !== null) this.host.note(e);
      return;
    }
    const made: Making = { waiting: new Set([e]), tries: 0, since: 0 };
    this.making.set(info, made);
    const h = this.host;
    const attempt = (n: number) => {
      if (h.stopping() || this.making.get(info) !== made) return; // stopped, or released by a re-adoption
      Promise.resolve()
        .then(() => this.port.ensureTable(info.family, info.table))
        .then(
          () => {
            if (info.makeError !== null) this.log.info({ family: info.family, table: info.table, attempts: made.tries + 1, routes: made.waiting.size }, 'VPP table created at last: its routes are written');
            info.ready = true;
            info.makeError = null;
            this.release(info);
          },
          (err: Error) => {
            if (isTimeout(err)) {
              // not a refusal: the session is reset, and the creation redone after the reconnect
              h.timedOut(`the creation of VPP table ${info.key}`);
              return this.release(info);
            }
            if (!h.live()) return this.release(info); // redone after the reconnect
            if (this.making.get(info) !== made) return;
            const delay = h.delay(n);
            made.tries++;
            if (info.makeError === null) made.since = this.clock.wall();
            info.makeError = err?.message ?? String(err);
            h.failed();
            this.log.warn({ family: info.family, table: info.table, err: info.makeError, attempt: made.tries, routes: made.waiting.size, retryInMs: delay }, 'VPP would not create a table: its routes wait (reported to zebra as failed), the other tables go on; retrying');
            for (const w of made.waiting) h.note(w);
            h.kick();
            h.later(delay, () => attempt(n + 1));
          },
        )
        .catch((err: unknown) => this.log.error({ family: info.family, table: info.table, err: String(err) }, 'table creation failed unexpectedly'));
    };
    attempt(0);
  }

  /** `e` wants nothing any more (zebra deleted it): it leaves its table's waiting routes. */
  unpark(e: Entry): void {
    if (!isParked(e)) return;
    clearParked(e);
    this.making.get(e.slot.info)?.waiting.delete(e);
  }

  /** Attempts so far and the last refusal for the table `e` waits for (none: not waiting). */
  of(e: Entry): { tries: number; error: string | null } | null {
    if (!isParked(e)) return null;
    const info = e.slot.info;
    return { tries: this.making.get(info)?.tries ?? 0, error: info.makeError && `VPP table ${info.table} (IPv${info.family}) could not be created: ${info.makeError}` };
  }

  /** Tables VPP refused to create, with the routes waiting for each. */
  failing(): FailingTable[] {
    const out: FailingTable[] = [];
    for (const [info, m] of this.making) {
      if (info.makeError === null) continue;
      out.push({ family: info.family, table: info.table, error: info.makeError, tries: m.tries, since: new Date(m.since).toISOString(), routes: m.waiting.size });
    }
    return out;
  }

  /** Every parked route goes back (a new VPP session, stopping): creation starts afresh. */
  releaseAll(): void {
    for (const [info] of this.making) {
      info.makeError = null;
      this.release(info);
    }
  }

  private release(info: TableInfo): void {
    const m = this.making.get(info);
    this.making.delete(info);
    if (!m) return;
    for (const e of m.waiting) {
      clearParked(e);
      this.host.release(e);
    }
    this.host.kick();
  }
}
