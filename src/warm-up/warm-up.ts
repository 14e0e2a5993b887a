// Before zebra's first session, fibmgr runs its own route path (FPM server, decoder, reconciler,
// VPP adapter and client), built as the real one is, on a synthetic stream against vpp-binapi-ts's
// simulator on a private socket, twice (WARM_UP_PASSES). Why: a first sync starts on code V8 has
// not compiled yet, and on the one CPU fibmgr has, compiling it and running it uncompiled left VPP
// idle 77–343 ms at the start of a full-table sync on a real VPP; 10–83 ms when zebra came within
// seconds of a warm-up (README, Benchmarks, run S). Nothing here reaches VPP: each simulator is
// this process's own, on a socket in a directory only this user can open, gone when its pass ends.
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fifo } from 'vpp-binapi-ts';
import { VppSim } from 'vpp-binapi-ts/sim';
import type { Logger } from '../log.js';
import type { FpmServer } from '../fpm/server.js';
import type { Reconciler } from '../sync/reconciler.js';
import { realClock, type Clock } from '../sync/clock.js';
import { netlinkNhg } from './stream.js';

/** A route path built as the daemon builds its own, its VPP client connected to `socketPath`. */
export interface WarmPath {
  sync: Reconciler;
  /** Listens on 127.0.0.1, any port. */
  server: FpmServer;
  /** Ends it all: FPM closed, its VPP session ended. */
  stop(): Promise<void>;
}

export interface WarmUpOptions {
  /** Routes in the stream, four IPv4 to one IPv6 as in a full table (0: no warm-up). */
  routes: number;
  /** The route path's window (--vpp-window): the warm-up's paths get warmUpWindow(window, routes). */
  window: number;
  /** Builds the path with `window` requests in flight at most; one that throws has closed what it made. */
  build(socketPath: string, window: number): Promise<WarmPath>;
  logger: Logger;
  /** A pass, from its simulator's start to its stop, or the warm-up is given up (default 20 s each): it only costs speed. */
  deadlineMs?: number;
  /** What the pass deadlines run on (default the real clock; tests move theirs). */
  clock?: Clock;
  /** Aborts it at once (fibmgr is stopping). */
  signal?: AbortSignal;
  /** Paths built and run in turn, each through the whole stream (default WARM_UP_PASSES). */
  passes?: number;
}

export interface WarmUpResult {
  /** Routes the last pass's reconciler saw acknowledged by its simulator. */
  installed: number;
  /** Passes run through to the end. */
  passes: number;
  ms: number;
  /** Why it stopped short, if it did. */
  problem: string | null;
}

const POLL_MS = 5;
/**
 * Paths built and run one after the other. V8 compiles the first path's code for that path's own
 * objects (the closures it was handed, the shapes its objects had then): on the next path, zebra's,
 * most of it was thrown away at once ("wrong call target", "wrong map") and compiled again while
 * zebra's replay ran uncompiled. With a second path run first, that happens during the warm-up:
 * ~70 compiles in the first 200 ms of a full-table sync on a real VPP after one path, ~22 after two
 * (README, Benchmarks, run U).
 */
export const WARM_UP_PASSES = 2;

/**
 * The warm-up path's window: the route path's, or a quarter of the stream when that is less, so
 * that the stream fills it many times over. A window the stream never fills leaves the writer's
 * branches for a full window untaken (waiting for room, a pump that stops at the window), and
 * zebra's replay took them first, uncompiled: a default window of 32,768 is more than half the
 * default 62,500 routes of the warm-up.
 */
export function warmUpWindow(window: number, routes: number): number {
  return Math.max(1, Math.min(window, Math.floor(routes / 4)));
}

/** Runs the warm-up; never throws (a failed warm-up is a slower first sync, logged, nothing else). */
export async function warmUp(o: WarmUpOptions): Promise<WarmUpResult> {
  if (o.routes <= 0 || o.signal?.aborted) return { installed: 0, passes: 0, ms: 0, problem: null };
  const t0 = performance.now();
  const deadlineMs = o.deadlineMs ?? 20_000;
  const passes = o.passes ?? WARM_UP_PASSES;
  const clock = o.clock ?? realClock;
  const window = warmUpWindow(o.window, o.routes);
  // one cut (a pass's deadline, or a stop) for every step, each of which could otherwise wait on
  // its own; a step lets go of it once settled (a listener kept per step would hold what each step
  // resolved with, a pass's whole path, until the warm-up ends)
  const cut = new AbortController();
  const cutNow = (why: string): void => cut.abort(new Error(why));
  const onAbort = (): void => cutNow('fibmgr is stopping');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const step = <T>(p: Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    const onCut = (): void => reject(cut.signal.reason);
    if (cut.signal.aborted) return onCut();
    cut.signal.addEventListener('abort', onCut, { once: true });
    p.then(
      (v) => { cut.signal.removeEventListener('abort', onCut); resolve(v); },
      (err) => { cut.signal.removeEventListener('abort', onCut); reject(err); },
    );
  });
  crossQueueChunks();
  o.logger.info({ routes: o.routes, passes }, 'warming up: the route path runs synthetic routes against a private simulator before zebra is let in');
  let installed = 0;
  let problem: string | null = null;
  let done = 0;
  try {
    while (done < passes) {
      // a stop that came while the last pass was being taken down ends it here
      if (cut.signal.aborted) { problem = (cut.signal.reason as Error).message; break; }
      const deadline = clock.after(deadlineMs, () => cutNow(`a pass not done within ${deadlineMs} ms`));
      try {
        ({ installed, problem } = await onePass(o, window, step));
      } finally {
        deadline.cancel();
      }
      if (problem !== null) break;
      done++;
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  const ms = Math.round(performance.now() - t0);
  if (problem !== null) o.logger.warn({ routes: o.routes, passes: done, installed, ms, problem }, 'warm-up stopped short: the first sync starts on code less compiled');
  else o.logger.info({ routes: o.routes, passes: done, window, ms }, 'warm-up done: the route path ran on synthetic routes against a private simulator');
  return { installed, passes: done, ms, problem };
}

/**
 * Runs a throwaway queue through a few chunks, twice (the second time, push takes the chunk the
 * first left spare). The warm-up's simulator answers at once, so none of the path's queues ever
 * held a chunk's worth; zebra's first sync on a real VPP crossed chunks 40–130 ms in, and V8
 * threw away the code it had compiled for the queues' callers, which had never crossed one
 * (README, Benchmarks, run AD). V8 keeps one record of what a method has run for all the queues
 * of the process, so any queue's crossings serve the path's. (A pass whose simulator answers
 * late, VppSim's delayMs, would also cover most of the writer's long-queue branches, but would
 * hold fibmgr's start back by its waits.)
 */
function crossQueueChunks(): void {
  const q = new Fifo<object>();
  const item = {};
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < 4 * Fifo.chunkSize; i++) q.push(item);
    while (q.size > 0) q.shift();
  }
}

/** One path on its own simulator, through the whole stream; what it made is stopped and removed before it returns. */
async function onePass(o: WarmUpOptions, window: number, step: <T>(p: Promise<T>) => Promise<T>): Promise<{ installed: number; problem: string | null }> {
  const v6 = Math.floor(o.routes / 5);
  const v4 = o.routes - v6;
  let dir: string | null = null;
  let sim: VppSim | null = null;
  let path: WarmPath | null = null;
  let sock: Socket | null = null;
  let installed = 0;
  let problem: string | null = null;
  let finished = false;
  /** Keeps what `made` yields for the stop below, or stops it at once if that stop has already run. */
  const keep = <T extends { stop(): Promise<void> }>(made: Promise<T>, set: (x: T) => void): Promise<T> => {
    made.then((x) => { if (finished) void x.stop().catch(() => undefined); else set(x); }, () => undefined);
    return made;
  };
  try {
    dir = mkdtempSync(join(tmpdir(), `fibmgr-warm-up-${process.pid}-`));
    const socketPath = join(dir, 'api.sock');
    // what is made after the cut is stopped as soon as it is made
    await step(keep(new VppSim({ socketPath, interfaces: [] }).start(), (x) => { sim = x; }));
    const p = await step(keep(o.build(socketPath, window), (x) => { path = x; }));
    await step(p.sync.start());
    const { port } = await step(p.server.listen());
    const stream = Buffer.concat([netlinkNhg(v4, 4), netlinkNhg(v6, 6, { idBase: 10_000 })]);
    // kept open as zebra keeps its session: an end would be a session ending mid-replay
    const s = connect({ host: '127.0.0.1', port }, () => s.write(stream));
    sock = s;
    s.on('data', () => { /* route notifications, read and dropped */ });
    const ended = new Promise<string>((resolve) => {
      s.on('error', (err) => resolve(`its FPM connection failed: ${err.message}`));
      s.once('close', () => resolve('its FPM connection closed'));
    });
    for (;;) {
      const st = p.sync.state();
      installed = st.installed;
      if (installed >= o.routes && st.backlog === 0) break;
      // a refusal it would retry until the deadline (a table, an interface) ends it now
      if (st.retrying > 0 || st.failingTables.length > 0) { problem = `the simulator refuses its routes (${st.retrying} retrying, ${st.failingTables.length} tables failing)`; break; }
      const early = await step(Promise.race([ended, new Promise<null>((r) => setTimeout(() => r(null), POLL_MS))]));
      if (early !== null) {
        installed = p.sync.state().installed;
        if (installed < o.routes) problem = early;
        break;
      }
    }
  } catch (err) {
    problem = (err as Error).message;
  } finally {
    finished = true;
    const last = path as WarmPath | null;
    if (last) installed = last.sync.state().installed;
    sock?.destroy();
    // with a deadline of their own: a stop that hangs must not hold fibmgr's start
    await Promise.race([
      (async () => {
        try { await (path as WarmPath | null)?.stop(); } catch { /* stopping is all that is left */ }
        try { await (sim as VppSim | null)?.stop(); } catch { /* likewise */ }
        path = null;
        sim = null;
      })(),
      new Promise((r) => setTimeout(r, 2_000).unref()),
    ]);
    try {
      if (dir) rmSync(dir, { recursive: true, force: true });
    } catch { /* a directory left in TMPDIR is all it costs */ }
  }
  return { installed, problem };
}
