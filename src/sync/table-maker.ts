// VPP tables are created before their first route: routes of a table not ready yet are parked
// here while it is created (retried with backoff), then scheduled again.
import type { Logger } from '../log.js';
import { VppTimeoutError } from '../vpp/index.js';
import type { Timer } from './clock.js';
import type { Entry, TableInfo } from './route-table.js';
import type { VppPort } from './vpp-port.js';

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
  kick(): void;
}

export class TableMaker {
  /** Tables being created → routes waiting for them. */
  private readonly waiters = new Map<TableInfo, Set<Entry>>();
  /** Routes parked. */
  parked = 0;

  constructor(private readonly port: VppPort, private readonly log: Logger, private readonly host: TableMakerHost) {}

  /** Parks `e` until its table exists (creating it, if no one is yet). */
  wait(info: TableInfo, e: Entry): void {
    let waiting = this.waiters.get(info);
    if (waiting) {
      if (!waiting.has(e)) this.parked++;
      waiting.add(e);
      return;
    }
    waiting = new Set([e]);
    this.parked++;
    this.waiters.set(info, waiting);
    const h = this.host;
    const attempt = (n: number) => {
      if (h.stopping() || this.waiters.get(info) !== waiting) return; // stopped, or released by a re-adoption
      Promise.resolve()
        .then(() => this.port.ensureTable(info.family, info.table))
        .then(
          () => {
            info.ready = true;
            this.release(info);
          },
          (err: Error) => {
            if (err instanceof VppTimeoutError) h.timedOut(`the creation of VPP table ${info.key}`);
            if (!h.live()) return this.release(info); // redone after the reconnect
            const delay = h.delay(n);
            this.log.warn({ family: info.family, table: info.table, err: err?.message ?? String(err), retryInMs: delay }, 'could not create VPP table: retrying');
            h.later(delay, () => attempt(n + 1));
          },
        )
        .catch((err: unknown) => this.log.error({ family: info.family, table: info.table, err: String(err) }, 'table creation failed unexpectedly'));
    };
    attempt(0);
  }

  /** Every parked route goes back (a new VPP session, stopping). */
  releaseAll(): void {
    for (const [info] of this.waiters) this.release(info);
  }

  private release(info: TableInfo): void {
    const waiting = this.waiters.get(info);
    this.waiters.delete(info);
    if (!waiting) return;
    this.parked -= waiting.size;
    for (const e of waiting) this.host.release(e);
    this.host.kick();
  }
}
