// A clock for scripted timelines: time moves only when a test advances it, running due timers in order.
import type { Clock, Timer } from '../../src/sync/clock.js';

export class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number { return this.t; }
  after(ms: number, fn: () => void): Timer {
    const tm = { at: this.t + ms, fn, live: true };
    this.timers.push(tm);
    return { cancel: () => { tm.live = false; } };
  }
  /** Moves time on, running every timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => x.live);
  }
}
