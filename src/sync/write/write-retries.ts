// Writes VPP refused: each is logged with its route and retried with exponential backoff, while
// the rest go on. A new wish for the route replaces the one that kept failing (cancel).
import type { Logger } from '../../log.js';
import type { Clock, Timer } from '../clock.js';
import type { PathSet } from '../state/path-sets.js';
import type { ReconcilerCounters, ReconcilerState } from '../reconciler-types.js';
import type { Entry } from '../state/route-entry.js';
import { clearRetrying, isRetrying, markRetrying } from './write-flags.js';

export interface RetryOptions {
  retryMinMs: number;
  retryMaxMs: number;
}

export class WriteRetries {
  private readonly timers = new Map<Entry, Timer>();
  private readonly tries = new Map<Entry, number>();
  /** VPP's last answer per route being retried (`fibmgr show route`); cleared with its tries. */
  private readonly errors = new Map<Entry, string>();
  /** The last refusals, for /state (bounded). */
  readonly last: ReconcilerState['lastErrors'] = [];

  constructor(
    private readonly opts: RetryOptions,
    private readonly log: Logger,
    private readonly counters: ReconcilerCounters,
    private readonly clock: Clock,
    /** The retry is due: the route is looked at again. */
    private readonly due: (e: Entry) => void,
  ) {}

  /** Routes waiting for their retry. */
  get size(): number {
    return this.timers.size;
  }

  of(e: Entry): { tries: number; error: string | null } {
    return { tries: this.tries.get(e) ?? 0, error: this.errors.get(e) ?? null };
  }

  /** VPP refused the write of `sent` (null: the delete) to `e`, named `route` in logs. */
  failed(e: Entry, route: string, sent: PathSet | null, err: Error): void {
    const tries = (this.tries.get(e) ?? 0) + 1;
    this.tries.set(e, tries);
    this.errors.set(e, err.message);
    this.counters.errors++;
    const delay = this.delay(tries - 1);
    this.log.warn({ route, op: sent ? 'replace' : 'delete', paths: sent?.key, err: err.message, attempt: tries, retryInMs: delay }, 'VPP refused a route write: retrying');
    this.last.push({ route, error: err.message, at: new Date(this.clock.wall()).toISOString() });
    if (this.last.length > 20) this.last.shift();
    markRetrying(e);
    this.timers.set(e, this.clock.after(delay, () => {
      this.timers.delete(e);
      clearRetrying(e);
      this.counters.retries++;
      this.due(e);
    }));
  }

  /** Backoff before attempt n + 1 (n failures so far). */
  delay(n: number): number {
    return Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(n, 20));
  }

  /** VPP took it. */
  succeeded(e: Entry): void {
    this.tries.delete(e);
    this.errors.delete(e);
  }

  /** A new wish replaces the one that kept failing. */
  cancel(e: Entry): void {
    if (!isRetrying(e)) return;
    this.timers.get(e)?.cancel();
    this.timers.delete(e);
    this.succeeded(e);
    clearRetrying(e);
  }

  /** Stops every pending retry; `forget` also drops what was counted (a new VPP session). */
  clear(forget: boolean): void {
    for (const [e, t] of this.timers) {
      t.cancel();
      clearRetrying(e);
    }
    this.timers.clear();
    if (forget) {
      this.tries.clear();
      this.errors.clear();
    }
  }
}
