// The audit: VPP's routes of our FIB source, dumped (streamed), against what fibmgr believes VPP
// holds from it — missing in VPP, extra in VPP (ours by source, unknown to fibmgr, e.g. added by
// another API client under our source), different paths. Its marks live in bits of each route's
// Entry.marks that only this module reads or writes (route-entry.ts).
import { prefixText } from '../../route/prefix.js';
import type { Prefix } from '../../route/types.js';
import { wallText, type Clock } from '../clock.js';
import type { PathSet, PathSets } from '../state/path-sets.js';
import type { AuditResult, DriftKind, ReconcilerCounters } from '../reconciler-types.js';
import { auditMark, type Entry } from '../state/route-entry.js';
import type { RouteTable } from '../state/route-table.js';
import { isWriteIdle } from '../write/write-flags.js';
import type { Pace, VppPort } from '../vpp/vpp-port.js';

export interface AuditHost {
  readonly routes: RouteTable;
  readonly sets: PathSets;
  readonly port: VppPort;
  readonly clock: Clock;
  /** How the dump yields to zebra's changes. */
  readonly pace: Pace;
  readonly counters: ReconcilerCounters;
  /** Why an audit cannot dump now, or null when it can. */
  unready(): string | null;
  /** Resolves once nothing waits to be written (or after `ms`). */
  quiet(ms: number): Promise<void>;
  /** A repair: VPP's view becomes the installed state and the queue takes over; false when work on the route came first. */
  adoptHave(e: Entry, set: PathSet | null): boolean;
  kick(): void;
}

/** Seen in the dump of the audit under way. */
const AUDITED = auditMark(0);
/** Written while the audit under way dumped VPP: not judged by it. */
const TOUCHED = auditMark(1);

export function isAudited(e: Entry): boolean {
  return (e.marks & AUDITED) !== 0;
}

export function markAudited(e: Entry): void {
  e.marks |= AUDITED;
}

export function isTouched(e: Entry): boolean {
  return (e.marks & TOUCHED) !== 0;
}

export function markTouched(e: Entry): void {
  e.marks |= TOUCHED;
}

/** The audit is over for `e`: its marks are cleared. */
export function clearAuditMarks(e: Entry): void {
  if (e.marks & (AUDITED | TOUCHED)) e.marks &= ~(AUDITED | TOUCHED);
}

export class FibAudit {
  /** Set while the dump runs (writes completed meanwhile are marked, see written()). */
  dumping = false;
  /** Routes the dump under way has read. */
  checked = 0;
  last: AuditResult | null = null;

  constructor(private readonly host: AuditHost) {}

  /** A write completed: while the dump runs, that route's state moved under it. */
  written(e: Entry): void {
    if (this.dumping) markTouched(e);
  }

  /**
   * Dumps VPP's routes of our source (streamed) and compares each with what fibmgr believes VPP
   * holds from it: missing in VPP, extra in VPP (ours by source, unknown to fibmgr, e.g. added by
   * another API client under our source), different paths. Routes with work under way (queued,
   * in flight, retried) or written while the dump ran are not judged. With `repair`, VPP's view
   * becomes what fibmgr believes, and the ordinary queue rewrites or removes what differs.
   */
  async run(opts: { repair: boolean; maxDrift?: number; quietWaitMs?: number }): Promise<AuditResult> {
    // One dump at a time. A request while one runs takes its answer, unless it would repair and
    // the running one only reads (anyone may start those on the TCP port): it then runs after it,
    // so a stream of read-only audits can never refuse or starve the periodic repair.
    while (this.current) {
      if (this.current.repair || !opts.repair) return this.current.done;
      await this.current.done;
    }
    const done = this.runOnce(opts);
    const current = { repair: opts.repair, done };
    this.current = current;
    try {
      return await done;
    } finally {
      if (this.current === current) this.current = null;
    }
  }

  /** The audit under way (its answer, and whether it repairs). */
  private current: { repair: boolean; done: Promise<AuditResult> } | null = null;

  private async runOnce(opts: { repair: boolean; maxDrift?: number; quietWaitMs?: number }): Promise<AuditResult> {
    const h = this.host;
    const t0 = h.clock.now();
    const maxDrift = opts.maxDrift ?? 20;
    const r: AuditResult = { at: wallText(h.clock, t0), ok: false, checked: 0, unjudged: 0, missing: 0, extra: 0, different: 0, repaired: 0, durationMs: 0, drift: [] };
    const finish = (): AuditResult => {
      r.durationMs = h.clock.now() - t0;
      this.last = r;
      return r;
    };
    // A table being written is not worth auditing, and a full dump beside the writes slows them:
    // the dump waits until zebra's changes are in VPP (at most quietWaitMs, default 10 min).
    await h.quiet(opts.quietWaitMs ?? 600_000);
    const unready = h.unready();
    if (unready !== null) {
      r.error = unready;
      return finish();
    }
    this.dumping = true;
    this.checked = 0;
    const seen = (kind: DriftKind, e: Entry | undefined, table: number, prefix: Prefix, vpp: PathSet | null) => {
      r[kind]++;
      h.counters.drift[kind]++;
      if (r.drift.length < maxDrift) r.drift.push({ kind, family: prefix.family, table, prefix: prefixText(prefix), vpp: vpp?.key ?? null, fibmgr: e?.have?.key ?? null });
    };
    const sets = new WeakMap<readonly object[], PathSet>();
    const repairs: [Entry, PathSet | null][] = [];
    /** Sets the dump interned that no route held: dropped again unless a repair takes them. */
    const fresh = new Set<PathSet>();
    try {
      await h.port.readOurs!((spec) => {
        r.checked++;
        this.checked++;
        const set = h.sets.internOnce(spec.paths, sets);
        if (set.refs === 0) fresh.add(set);
        const e = h.routes.lookup(spec.table, spec.prefix, false);
        if (e) markAudited(e);
        if (e && (!isWriteIdle(e) || isTouched(e))) {
          r.unjudged++;
          return;
        }
        if (!e || e.have === null) {
          seen('extra', e, spec.table, spec.prefix, set);
          if (opts.repair) repairs.push([e ?? h.routes.lookup(spec.table, spec.prefix, true), set]);
        } else if (e.have !== set) {
          seen('different', e, spec.table, spec.prefix, set);
          if (opts.repair) repairs.push([e, set]);
        }
      }, h.pace);
      r.ok = true;
    } catch (err) {
      r.error = (err as Error).message;
    } finally {
      this.dumping = false;
    }
    // what fibmgr believes installed and the dump did not show
    h.routes.forEach((e) => {
      // the marks read and cleared at once (a million routes)
      const marks = e.marks;
      if (marks & (AUDITED | TOUCHED)) e.marks = marks & ~(AUDITED | TOUCHED);
      if (!r.ok || marks & AUDITED || e.have === null) return;
      if (!isWriteIdle(e) || marks & TOUCHED) {
        r.unjudged++;
        return;
      }
      seen('missing', e, e.slot.info.table, h.routes.prefixOf(e), null);
      if (opts.repair) repairs.push([e, null]);
    });
    h.counters.audits++;
    // VPP's truth becomes the installed state; the queue then makes it what zebra wants
    for (const [e, vpp] of repairs) if (h.adoptHave(e, vpp)) r.repaired++;
    for (const set of fresh) h.sets.dropUnused(set);
    if (repairs.length) h.kick();
    return finish();
  }
}
