// The periodic audit: every --audit-interval, VPP's routes of our source are compared with what
// fibmgr believes it installed and the drift is repaired (Reconciler.audit). It starts only when
// nothing is pending (VPP ready, no resync, no backlog: a full dump costs VPP's API thread as much
// as a replay's writes do), reads the dump more slowly while zebra's changes come in, and its
// repairs join the ordinary queue, so zebra's changes never wait behind a whole audit.
import type { Logger } from '../../log.js';
import { realClock, type Clock, type Timer } from '../clock.js';
import type { AuditResult, Reconciler } from '../reconciler.js';

export interface AuditorOptions {
  intervalMs: number;
  logger: Logger;
  clock?: Clock;
  /** Told after each audit (metrics). */
  onDone?: (r: AuditResult) => void;
}

export class Auditor {
  private timer: Timer | null = null;
  private stopped = false;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly rec: Reconciler, private readonly opts: AuditorOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ component: 'audit' });
  }

  start(): void {
    if (this.opts.intervalMs > 0) this.arm(this.opts.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.after(ms, () => void this.run());
  }

  /** One audit now (also what the timer runs); resolves with its result, or null when it waited. */
  async run(): Promise<AuditResult | null> {
    this.timer = null;
    const s = this.rec.state();
    if (!s.vppReady || s.resyncing || s.backlog > 0) {
      // try again soon rather than a whole interval later
      this.arm(Math.min(this.opts.intervalMs, 30_000));
      return null;
    }
    const r = await this.rec.audit({ repair: true });
    this.opts.onDone?.(r);
    const fields = { checked: r.checked, missing: r.missing, extra: r.extra, different: r.different, repaired: r.repaired, unjudged: r.unjudged, durationMs: r.durationMs, first: r.drift.slice(0, 5) };
    if (!r.ok) this.log.warn({ err: r.error, durationMs: r.durationMs }, 'audit could not read VPP\'s routes: tried again at the next interval');
    else if (r.missing + r.extra + r.different > 0) this.log.warn(fields, 'audit: VPP differed from what fibmgr installed; repaired');
    else this.log.info(fields, 'audit: VPP holds exactly what fibmgr installed');
    this.arm(this.opts.intervalMs);
    return r;
  }
}
