// Virtual time for a whole process while a campaign run goes: the global timers (setTimeout,
// setInterval), the clocks (Date.now as the wall clock, performance.now and process.hrtime as
// the monotonic one) and Math.random are replaced, so that the daemon's own code — realClock,
// the writer's held deletes and retries, the VPP client's timeouts and reconnect backoff — runs on
// one scripted timeline without being told. Time moves only in advance(); between two instants
// everything already due runs to quiet (immediates, promises, the unix-socket I/O with the
// simulator), as an idle event loop would. A clock step moves the wall clock alone.
//
// setImmediate stays real but is counted: drain() knows when the code has nothing left to do.
//
// Why globals, not test/helpers/fake-clock.ts: FakeClock reaches only code handed a Clock (the
// reconciler, the writer); the VPP client and its connection (request timeouts, handshake and
// goodbye deadlines, reconnect backoff, the in-flight sweep) call setTimeout and performance.now
// themselves, and FakeClock's advance() does not let socket I/O run between instants. Replacing
// the globals also catches any clock read the code should not make. It is safe for the suite:
// node --test runs each test file in its own process (only chaos.test.ts lives in this one), and
// runSeed uninstalls in a finally, whatever the run or its teardown throws.
import { Prng } from './prng.js';

const realSetImmediate = globalThis.setImmediate;
const realClearImmediate = globalThis.clearImmediate;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;
const realDateNow = Date.now;
const realPerfNow = performance.now;
const realHrtime = process.hrtime;
const realHrtimeBigint = process.hrtime.bigint;
const realRandom = Math.random;

/** Where the wall clock starts: a fixed date, so that logs and ISO strings repeat. */
const WALL_EPOCH = Date.UTC(2030, 0, 1);
const TIMEOUT_MAX = 2 ** 31 - 1;

interface Slot {
  t: VTimer;
  at: number;
  seq: number;
}

class VTimer {
  live = true;
  refed = true;
  /** Its place in the queue; an older slot of the same timer is dead. */
  slot: Slot | null = null;
  constructor(
    readonly vt: VirtualTime,
    readonly fn: (...a: unknown[]) => void,
    readonly args: unknown[],
    /** The delay it was set with (refresh() starts it again). */
    readonly delay: number,
    readonly every: number | null,
  ) {}
  get at(): number {
    return this.slot?.at ?? Infinity;
  }
  ref(): this {
    this.refed = true;
    return this;
  }
  unref(): this {
    this.refed = false;
    return this;
  }
  hasRef(): boolean {
    return this.refed;
  }
  refresh(): this {
    this.vt.rearm(this, this.delay);
    return this;
  }
  close(): this {
    this.live = false;
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.slot?.seq ?? 0;
  }
}

export interface DrainStats {
  rounds: number;
}

export class VirtualTime {
  /** Monotonic milliseconds since the run began. */
  mono = 0;
  /** The wall clock's distance from the monotonic one (clock steps move it). */
  wallOffset = 0;
  /** Exceptions thrown by callbacks (timers, immediates) and unhandled rejections: each a defect. */
  readonly errors: string[] = [];
  private heap: Slot[] = [];
  private seq = 0;
  private pendingImmediates = new Set<object>();
  private immediatesRun = 0;
  private installed = false;
  private readonly random: Prng;
  private readonly onRejection = (reason: unknown) => {
    this.errors.push(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };
  private readonly onException = (err: unknown) => {
    this.errors.push(`uncaught exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
  /** What else shows progress (the simulator's byte counters): drain() waits for it to stand still. */
  progress: () => number = () => 0;
  /** Rounds of the event loop without progress after which all is quiet. */
  quietRounds = 4;

  constructor(seed: number) {
    this.random = new Prng(seed ^ 0x5eed);
  }

  get wall(): number {
    return WALL_EPOCH + this.mono + this.wallOffset;
  }

  install(): void {
    if (this.installed) throw new Error('virtual time already installed');
    this.installed = true;
    const g = globalThis as any;
    g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => this.add(fn, ms, args, false);
    g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => this.add(fn, ms, args, true);
    g.clearTimeout = g.clearInterval = (t: unknown) => {
      if (t instanceof VTimer) t.live = false;
      else if (t !== undefined && t !== null) realClearTimeout(t as NodeJS.Timeout);
    };
    g.setImmediate = (fn: (...a: unknown[]) => void, ...args: unknown[]) => {
      const h: object = realSetImmediate(() => {
        this.pendingImmediates.delete(h);
        this.immediatesRun++;
        this.guard(() => fn(...args));
      });
      this.pendingImmediates.add(h);
      return h;
    };
    g.clearImmediate = (h: unknown) => {
      if (h && this.pendingImmediates.delete(h as object)) this.immediatesRun++;
      realClearImmediate(h as NodeJS.Immediate);
    };
    Date.now = () => this.wall;
    performance.now = () => 1000 + this.mono;
    const hr = ((prev?: [number, number]) => {
      const ns = Math.round((1000 + this.mono) * 1e6);
      let s = Math.floor(ns / 1e9);
      let n = ns % 1e9;
      if (prev) {
        s -= prev[0];
        n -= prev[1];
        if (n < 0) {
          s--;
          n += 1e9;
        }
      }
      return [s, n];
    }) as typeof process.hrtime;
    hr.bigint = () => BigInt(Math.round((1000 + this.mono) * 1e6));
    process.hrtime = hr;
    Math.random = () => this.random.next();
    process.on('unhandledRejection', this.onRejection);
    process.on('uncaughtException', this.onException);
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    const g = globalThis as any;
    g.setTimeout = realSetTimeout;
    g.clearTimeout = realClearTimeout;
    g.setInterval = realSetInterval;
    g.clearInterval = realClearInterval;
    g.setImmediate = realSetImmediate;
    g.clearImmediate = realClearImmediate;
    Date.now = realDateNow;
    performance.now = realPerfNow;
    process.hrtime = realHrtime;
    process.hrtime.bigint = realHrtimeBigint;
    Math.random = realRandom;
    process.off('unhandledRejection', this.onRejection);
    process.off('uncaughtException', this.onException);
    for (const s of this.heap) s.t.live = false;
    this.heap = [];
  }

  /** A harness event on the same timeline as the code's timers. */
  after(ms: number, fn: () => void): { cancel(): void } {
    const t = this.add(fn, ms, [], false);
    return { cancel: () => void (t.live = false) };
  }

  /** Timers still armed (for the quiet check: a harness that leaks timers would never end). */
  get armed(): number {
    let n = 0;
    for (const s of this.heap) if (this.alive(s)) n++;
    return n;
  }

  /**
   * Runs every timer due up to `ms` from now, in order, letting the code run to quiet after each
   * instant; `atEachInstant` looks then, and stops the advance by returning true.
   */
  async advance(ms: number, atEachInstant?: () => boolean | void): Promise<void> {
    const end = this.mono + Math.max(0, ms);
    await this.drain();
    if (atEachInstant?.()) return;
    for (;;) {
      const first = this.peek();
      if (!first || first.at > end) break;
      this.mono = Math.max(this.mono, first.at);
      for (let s = this.peek(); s && s.at <= this.mono; s = this.peek()) {
        this.popRaw();
        const t = s.t;
        if (t.every !== null) this.rearm(t, t.every);
        else t.live = false;
        this.guard(() => t.fn(...t.args));
      }
      await this.drain();
      if (atEachInstant?.()) return;
    }
    this.mono = end;
  }

  /** Lets the event loop turn until nothing moves: no immediates left and no progress for a few rounds. */
  async drain(): Promise<void> {
    let quiet = 0;
    let rounds = 0;
    let last = this.signature();
    while (quiet < this.quietRounds) {
      await new Promise<void>((r) => realSetImmediate(r));
      const sig = this.signature();
      if (this.pendingImmediates.size === 0 && sig === last) quiet++;
      else {
        quiet = 0;
        last = sig;
      }
      if (++rounds > 200_000) {
        this.errors.push('the event loop never went quiet (a busy loop of immediates)');
        return;
      }
    }
  }

  private signature(): number {
    return this.immediatesRun * 1_000_003 + this.progress();
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onException(err);
    }
  }

  private add(fn: (...a: unknown[]) => void, ms: number | undefined, args: unknown[], every: boolean): VTimer {
    let d = Number(ms);
    if (!(d >= 1 && d <= TIMEOUT_MAX)) d = 1;
    const t = new VTimer(this, fn, args, d, every ? d : null);
    this.rearm(t, d);
    return t;
  }

  /** Sets `t` to fire `d` from now (an interval's next turn, refresh()): the code's handle stays the one that cancels. */
  rearm(t: VTimer, d: number): void {
    const slot: Slot = { t, at: this.mono + d, seq: ++this.seq };
    t.slot = slot;
    t.live = true;
    this.push(slot);
  }

  private alive(s: Slot): boolean {
    return s.t.live && s.t.slot === s;
  }

  // a binary heap by (at, seq): timers due at one instant run in the order they were set

  private less(a: Slot, b: Slot): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Slot): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private peek(): Slot | undefined {
    while (this.heap.length > 0 && !this.alive(this.heap[0]!)) this.popRaw();
    return this.heap[0];
  }

  private popRaw(): Slot | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
