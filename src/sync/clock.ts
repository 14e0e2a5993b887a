// Time as the sync layer sees it, injected so that timelines are tested without sleeping. Two
// kinds, never mixed: now() is monotonic and measures every interval, deadline and timeout (held
// deletes, retries, the resync's quiet period and stale wait, audits, progress); a step of the
// system clock (NTP, an operator's `date`) moves wall() only, which is for people to read.
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds from an arbitrary origin: for measuring, never for showing. */
  now(): number;
  /** Runs `fn` once `ms` of now() have passed. */
  after(ms: number, fn: () => void): Timer;
  /** Wall-clock milliseconds since the epoch: only for what is shown (timestamps, "until …"). */
  wall(): number;
}

export const realClock: Clock = {
  now: () => performance.now(),
  // libuv runs timers on the monotonic clock: a step of the system clock does not move them
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  wall: () => Date.now(),
};

/** The wall-clock time (ISO text) at which monotonic instant `t` falls, as the wall clock reads now. */
export function wallText(clock: Clock, t: number): string {
  return new Date(clock.wall() + (t - clock.now())).toISOString();
}
