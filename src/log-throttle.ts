// At most one log line per key per interval: for events a stranger can repeat at will (refused
// connections, refused operator requests), where a line each would let a flood fill the journal.
// The lines that were held back are counted and told on the next line of that key.

export interface LogThrottleOptions {
  intervalMs: number;
  /** Keys remembered at once; past it, new keys share one more entry (the state stays bounded). */
  maxKeys?: number;
  /** Monotonic milliseconds (tests inject a fake). */
  now?: () => number;
}

interface KeyState {
  loggedAt: number;
  held: number;
}

export const OTHER_KEYS = '(other)';

export class LogThrottle {
  private readonly keys = new Map<string, KeyState>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly opts: LogThrottleOptions) {
    this.maxKeys = opts.maxKeys ?? 1024;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Whether to log this occurrence now; if so, how many of this key were held back since its last line. */
  admit(key: string): { held: number } | null {
    const t = this.now();
    if (!this.keys.has(key) && this.keys.size >= this.maxKeys) {
      this.forgetQuiet(t);
      if (this.keys.size >= this.maxKeys) key = OTHER_KEYS;
    }
    const k = this.keys.get(key);
    if (k && t - k.loggedAt < this.opts.intervalMs) {
      k.held++;
      return null;
    }
    this.keys.set(key, { loggedAt: t, held: 0 });
    return { held: k?.held ?? 0 };
  }

  /** Keys whose interval has passed (what they held back stays in the counters, not in a line). */
  private forgetQuiet(t: number): void {
    for (const [key, k] of this.keys) if (t - k.loggedAt >= this.opts.intervalMs) this.keys.delete(key);
  }
}
