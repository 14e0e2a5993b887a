// A clock for scripted timelines: time moves only when a test advances it, running due timers in
// order. The wall clock follows it unless stepped (stepWall), as NTP or an operator's `date`
// would step the system clock: the monotonic time, which measures everything, does not move.
import type { Clock, Timer } from '../../src/sync/clock.js';

export class FakeClock implements Clock {
  t = 0;
  /** How far the wall clock has been stepped away from the monotonic time. */
  wallStep = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number { return this.t; }
  wall(): number { return this.t + this.wallStep; }
  /** Steps the wall clock by `ms` (negative: backwards); timers and now() do not move. */
  stepWall(ms: number): void { this.wallStep += ms; }
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
