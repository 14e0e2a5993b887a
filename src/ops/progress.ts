// Long work shows progress: while zebra's replay, a resync, VPP's routes being read or written
// back (after a VPP restart), or an audit is under way, one log line every few seconds says what
// is happening, how far it got and at what rate; one line at the end sums it up. Reads the same
// views as /state, on an injected clock.
import type { Logger } from '../log.js';
import { realClock, type Clock, type Timer } from '../sync/clock.js';
import type { ReconcilerState } from '../sync/reconciler.js';

export interface ProgressSources {
  /** Route events received from zebra so far (all sessions). */
  routesReceived(): number;
  sync(): ReconcilerState;
}

interface Period {
  what: string;
  startedAt: number;
  received0: number;
  written0: number;
  lastAt: number;
  lastWritten: number;
}

const written = (s: ReconcilerState) => s.counters.acked;

/** What is under way, in words; null when nothing is. */
export function workUnderWay(s: ReconcilerState): string | null {
  if (s.adopting !== null) return 'reading VPP\'s routes';
  if (s.auditChecked !== null) return 'audit';
  if (s.resyncing) return s.stale?.phase === 'stale-wait' ? null : 'zebra replay';
  if (!s.vppReady) return null;
  if (s.backlog > 0) return 'writing routes';
  return null;
}

export class Progress {
  private timer: Timer | null = null;
  private period: Period | null = null;
  /** The counts at the last look that found nothing under way: where the next work starts from. */
  private idle = { at: 0, received: 0, written: 0 };
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly src: ProgressSources, private readonly opts: { logger: Logger; intervalMs: number; clock?: Clock }) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ component: 'progress' });
  }

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.idle = { at: this.clock.now(), received: this.src.routesReceived(), written: written(this.src.sync()) };
    this.arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(): void {
    // looks often (when work starts and ends is seen within half a second), logs every interval
    this.timer = this.clock.after(Math.min(500, this.opts.intervalMs), () => {
      this.tick();
      this.arm();
    });
  }

  /** One look (the timer's): a progress line while work is under way, a summary when it ends. */
  tick(): void {
    const s = this.src.sync();
    const what = workUnderWay(s);
    const now = this.clock.now();
    const p = this.period;
    if (p && what !== p.what) this.end(p, s, now);
    if (!what) {
      this.idle = { at: now, received: this.src.routesReceived(), written: written(s) };
      return;
    }
    if (!this.period || this.period.what !== what) {
      // work began after the last quiet look (or the previous work ended now)
      const from = p ? { at: now, received: this.src.routesReceived(), written: written(s) } : this.idle;
      this.period = { what, startedAt: from.at, received0: from.received, written0: from.written, lastAt: from.at, lastWritten: from.written };
    }
    const q = this.period;
    if (now - q.lastAt < this.opts.intervalMs) return;
    const w = written(s);
    const rate = Math.round(((w - q.lastWritten) * 1000) / Math.max(1, now - q.lastAt));
    q.lastAt = now;
    q.lastWritten = w;
    const fields: Record<string, unknown> = {
      what, seconds: Math.round((now - q.startedAt) / 100) / 10, received: this.src.routesReceived() - q.received0,
      written: w - q.written0, writesPerSecond: rate, left: s.backlog,
    };
    if (s.adopting !== null) fields.adopted = s.adopting;
    if (s.auditChecked !== null) fields.checked = s.auditChecked;
    this.log.info(fields, `${what}: ${fields.received} routes received, ${fields.written} written (${rate}/s), ${s.backlog} left`);
  }

  private end(p: Period, s: ReconcilerState, now: number): void {
    this.period = null;
    const secs = Math.max(0.001, (now - p.startedAt) / 1000);
    const w = written(s) - p.written0;
    const received = this.src.routesReceived() - p.received0;
    this.log.info({ what: p.what, seconds: Math.round(secs * 10) / 10, received, written: w, writesPerSecond: Math.round(w / secs), routesPerSecond: Math.round(received / secs) },
      `${p.what} done in ${secs.toFixed(1)} s: ${received} routes received, ${w} written (${Math.round(w / secs)}/s)`);
  }
}
