// The writer: moves each route's `have` towards its `want` through the VPP port. Work is queued
// per route, so changes coalesce; deletes are held a moment for a following add (held-deletes.ts).
// Writes are pipelined up to a window, each tracked by a token rather than a closure; a refused
// write is retried with backoff (write-retries.ts); a table is created before its first route
// (table-maker.ts). The backlog is bounded: past it the FPM socket is not read until it drains
// (congested / onDrain).
import type { Logger } from '../../log.js';
import { Fifo } from 'vpp-binapi-ts';
import type { Clock, Timer } from '../clock.js';
import { UNKNOWN_PATHS, type PathSet } from '../state/path-sets.js';
import { isDisconnected, isTimeout } from 'vpp-binapi-ts';
import { prefixScratch } from '../../route/prefix.js';
import type { ReconcilerCounters, ReconcilerState } from '../reconciler-types.js';
import { HeldDeletes } from './held-deletes.js';
import type { Entry } from '../state/route-entry.js';
import {
  clearCompactSeen, clearSending, dequeue, dequeueAdd, dequeueDelete, isCompactSeen, isParked, isQueuedAdd, isQueuedDelete, isRetrying, isSending,
  markCompactSeen, markSending, queueAdd, queueDelete,
} from './write-flags.js';
import type { RouteState } from '../state/route-state.js';
import { TableMaker, type FailingTable } from './table-maker.js';
import { WriteRetries } from './write-retries.js';
import type { Pace, VppPort } from '../vpp/vpp-port.js';

export interface WriterOptions {
  window: number;
  deleteHoldMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  maxBacklog: number;
}

export interface WriterHost {
  /** VPP is prepared (adopted) and may be written to. */
  ready(): boolean;
  /** A write of `e` completed (either way), before its outcome is applied. */
  written(e: Entry): void;
  /** End of every pump: the moment to send what the pump's writes owe (route notifications). */
  pumped(): void;
  /** The backlog or the retries changed: whoever waits for idleness may look. */
  settled(): void;
  /** VPP did not answer a request in time: the session is not to be trusted any more. */
  timedOut(what: string): void;
  /** What zebra is told of `e` may have changed (its table was refused). */
  note(e: Entry): void;
}

export class RouteWriter {
  /**
   * Routes whose wanted set differs from VPP's, in arrival order; an entry taken off the queue
   * just leaves the add queue (dequeueAdd) and its slot is skipped when reached (no search, no hash).
   */
  private readonly addQ = new Fifo<Entry>();
  private addCount = 0;
  private readonly dels = new HeldDeletes();
  private delTimer: Timer | null = null;
  inflight = 0;
  /** Writes sent so far. */
  writes = 0;
  /**
   * Writes in flight by token: the entry and the set sent. The port hands the token back, so a
   * write needs no closure or object of its own, which would mostly live long enough (a window's
   * round trip) to be promoted to the old generation and pile up there until a full GC.
   */
  private readonly flightEntry: (Entry | undefined)[] = [];
  private readonly flightSet: (PathSet | null)[] = [];
  private readonly freeTokens: number[] = [];
  private readonly retries: WriteRetries;
  private readonly tables: TableMaker;
  /** Timers of table-creation retries and others on the clock: cleared on stop. */
  private readonly timers = new Set<Timer>();
  private pumpScheduled = false;
  private paused = false;
  stopping = false;
  private readonly drainCbs: (() => void)[] = [];
  /** stop() waits for the writes in flight to fall below `below`. */
  private flightWaiter: { below: number; done: () => void } | null = null;
  /** An audit's dump waits while zebra's changes are pending (VppPort.readOurs). */
  private readonly freeWaiters: (() => void)[] = [];
  readonly pace: Pace = {
    busy: () => this.backlog > 0 && !this.stopping,
    whenFree: (cb) => {
      this.freeWaiters.push(cb);
      this.checkDrain();
    },
  };
  private readonly pumpBound = () => this.pump();
  /** The network of every IPv4 write (the port reads it during its call only). */
  private readonly scratch = prefixScratch();
  /** The free part of the window a pump waits for while writes are in flight (a 16th: with the window of run M, the raw client's best; bench:real's raw client now writes a 64th). */
  private readonly batch: number;

  constructor(
    private readonly port: VppPort,
    private readonly state: RouteState,
    private readonly opts: WriterOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly counters: ReconcilerCounters,
    private readonly host: WriterHost,
  ) {
    this.batch = Math.max(1, opts.window >> 4);
    port.onWritten((token, err) => this.onWritten(token, err));
    this.retries = new WriteRetries(opts, log, counters, clock, (e) => {
      this.schedule(e);
      this.kick();
    });
    this.tables = new TableMaker(port, log, clock, {
      timedOut: (what) => this.host.timedOut(what),
      note: (e) => this.host.note(e),
      failed: () => this.counters.tableErrors++,
      live: () => this.host.ready() && this.port.connected && !this.stopping,
      stopping: () => this.stopping,
      delay: (n) => this.retries.delay(n),
      later: (ms, fn) => this.later(ms, fn),
      release: (e) => this.schedule(e),
      kick: () => this.kick(),
    });
  }

  get lastErrors(): ReconcilerState['lastErrors'] {
    return this.retries.last;
  }

  /**
   * Changes waiting to be written (queued, held, in flight): what pauses zebra's input past
   * maxBacklog. Routes waiting for their VPP table are not in it (waitingForTables): a table VPP
   * will not create must not stop the other tables.
   */
  get backlog(): number {
    return this.addCount + this.dels.size + this.inflight;
  }

  /** Routes parked until their VPP table exists. */
  get waitingForTables(): number {
    return this.tables.parked;
  }

  /** Tables VPP would not create, with the routes waiting for each. */
  failingTables(): FailingTable[] {
    return this.tables.failing();
  }

  get congested(): boolean {
    return this.paused;
  }

  /** Slots the add queue holds, dead ones included (what compaction bounds). */
  get queueSlots(): number {
    return this.addQ.size;
  }

  get retrying(): number {
    return this.retries.size;
  }

  /** Failed attempts of the route being retried (or of its table's creation), and VPP's last answer. */
  retryOf(e: Entry): { tries: number; error: string | null } {
    return this.tables.of(e) ?? this.retries.of(e);
  }

  onDrain(cb: () => void): void {
    this.drainCbs.push(cb);
  }

  /** A new wish replaces the one that kept failing. */
  wantChanged(e: Entry): void {
    this.retries.cancel(e);
    this.schedule(e);
  }

  /** Queues what `e` needs (a write, a held delete), or drops it from the queues when nothing. */
  schedule(e: Entry): void {
    if (isSending(e) || isRetrying(e)) return; // completion / retry re-checks
    if (isParked(e)) {
      if (e.want !== null) return; // released, with what it wants then, once its table exists
      this.tables.unpark(e); // wants nothing now: nothing to wait for
    }
    const queuedAdd = isQueuedAdd(e);
    const queuedDelete = isQueuedDelete(e);
    if (e.want === e.have) {
      if (queuedAdd) this.addCount--;
      if (queuedDelete) this.dels.cancel(e);
      dequeue(e);
      this.state.dropIfEmpty(e);
      return;
    }
    if (e.want === null) {
      if (queuedAdd) this.addCount--;
      if (!queuedDelete) this.dels.hold(e, this.clock.now() + this.opts.deleteHoldMs);
      queueDelete(e);
    } else {
      if (queuedDelete) this.dels.cancel(e);
      queueAdd(e);
      if (!queuedAdd) {
        this.addQ.push(e);
        this.addCount++;
        // Slots of entries taken off the queue (an add flipped to a delete) stay until the pump
        // passes them; with VPP away it does not, so a flapping route would grow the queue.
        if (this.addQ.size > 2 * this.addCount + 1024) this.compactAddQ();
      }
    }
  }

  /** The queue without dead slots or repeats: at most one slot per distinct route. */
  private compactAddQ(): void {
    const kept: Entry[] = [];
    this.addQ.retain((e) => {
      if (!isQueuedAdd(e) || isCompactSeen(e)) return false;
      markCompactSeen(e);
      kept.push(e);
      return true;
    });
    for (const e of kept) clearCompactSeen(e);
    this.addCount = kept.length;
  }

  /** Drops every queued write (a new VPP session's diff, or stopping, redoes what is needed). */
  clearQueues(): void {
    this.addQ.drain(dequeueAdd);
    this.addCount = 0;
    this.dels.clear(dequeueDelete);
  }

  /** A new VPP session: retries and table creations of the old one end (its diff redoes them). */
  resetSession(): void {
    this.tables.releaseAll();
    this.retries.clear(true);
  }

  kick(): void {
    if (!this.paused && this.backlog > this.opts.maxBacklog) {
      this.paused = true;
      this.log.info({ backlog: this.backlog, maxBacklog: this.opts.maxBacklog }, 'backlog full: FPM reading paused until VPP catches up');
    }
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pumpBound);
  }

  private pump(): void {
    this.pumpScheduled = false;
    // Writes go in batches: with some in flight (their replies will pump again), a pump sends
    // nothing until a batch's worth of the window is free, so that VPP and the socket see one
    // write per batch rather than one per reply or two (a real VPP spent most of its time on
    // the reads; bench/real.bench.ts).
    if (this.host.ready() && this.port.connected && !this.stopping && (this.inflight === 0 || this.opts.window - this.inflight >= this.batch)) {
      // A window's worth of requests takes the pump milliseconds to encode, and VPP's socket with
      // the system's default buffer holds ~3.5 ms of its work: each batch goes out as soon as it
      // is encoded, not all at the end.
      let flushed = this.writes;
      const window = this.opts.window;
      const q = this.addQ;
      while (q.size > 0 && this.inflight < window && this.port.room > 0) {
        const e = q.shift()!;
        if (!isQueuedAdd(e)) continue; // taken off the queue since
        dequeueAdd(e);
        this.addCount--;
        if (e.want === null || e.want === e.have || isSending(e)) continue;
        const info = e.slot.info;
        if (info.table !== 0 && !info.ready) {
          this.tables.wait(info, e);
          continue;
        }
        this.send(e, e.want);
        flushed = this.flushBatch(flushed);
      }
      const now = this.clock.now();
      for (let d = this.dels.peek(); d !== null; d = this.dels.peek()) {
        const [e, due] = d;
        if (this.inflight >= window || this.port.room <= 0) break;
        if (due > now) {
          this.delTimer ??= this.later(due - now, () => {
            this.delTimer = null;
            this.kick();
          });
          break;
        }
        this.dels.take(e);
        dequeueDelete(e);
        if (e.want !== null || e.have === null || isSending(e)) continue;
        this.send(e, null);
        flushed = this.flushBatch(flushed);
      }
      // The pump runs late in the event loop's turn: batched writes would wait for the end of
      // the next one (after the next chunk of zebra's input), with VPP idle meanwhile.
      if (this.writes !== flushed) this.port.flush();
    }
    this.host.pumped();
    this.checkDrain();
  }

  /** Hands what the pump encoded to the socket once a batch has gathered since `flushed` (the writes then); returns the new mark. */
  private flushBatch(flushed: number): number {
    if (this.writes - flushed < this.batch) return flushed;
    this.port.flush();
    return this.writes;
  }

  private send(e: Entry, ps: PathSet | null): void {
    markSending(e);
    this.inflight++;
    this.writes++;
    const token = this.freeTokens.length > 0 ? this.freeTokens.pop()! : this.flightEntry.length;
    this.flightEntry[token] = e;
    this.flightSet[token] = ps;
    const info = e.slot.info;
    if (ps) this.counters.replaces++;
    else this.counters.removes++;
    this.port.write(token, info.table, this.state.routes.prefixOf(e, this.scratch), ps ? ps.paths : null);
  }

  private onWritten(token: number, err: Error | null): void {
    const e = this.flightEntry[token]!;
    const ps = this.flightSet[token]!;
    this.flightEntry[token] = undefined;
    this.flightSet[token] = null;
    this.freeTokens.push(token);
    this.complete(e, ps, err);
  }

  private complete(e: Entry, sent: PathSet | null, err: Error | null): void {
    this.inflight--;
    if (this.flightWaiter !== null && this.inflight < this.flightWaiter.below) this.flightWaiter.done();
    clearSending(e);
    this.host.written(e);
    if (!err) {
      this.counters.acked++;
      this.state.have(e, sent);
      this.retries.succeeded(e);
    } else if (isTimeout(err)) {
      // Not a refusal: VPP may have applied the write, or may yet. What it holds for the route is
      // unknown, so the route is written again at the next chance (a re-add of the very paths a
      // timed-out delete removed included), and the session is reset: its reconnect reads VPP's
      // routes, which makes every such route known again.
      this.counters.timeouts++;
      this.state.have(e, UNKNOWN_PATHS);
      this.host.timedOut(`a route write to ${e.slot.info.table} ${this.state.routes.prefixOf(e)}`);
    } else if (isDisconnected(err) || !this.port.connected || !this.host.ready() || this.stopping) {
      // Lost with the VPP session: the diff after the reconnect redoes it. Not rescheduled here,
      // so that a session going down cannot spin the pump.
      this.kick();
      return;
    } else {
      // VPP refused this one route: retried later, the rest go on
      this.retries.failed(e, `${e.slot.info.table} ${this.state.routes.prefixOf(e)}`, sent, err);
    }
    this.schedule(e);
    this.kick();
  }

  /** A timer on the sync clock that stop() clears. */
  later(ms: number, fn: () => void): Timer {
    const t = this.clock.after(ms, () => {
      this.timers.delete(t);
      fn();
    });
    this.timers.add(t);
    return t;
  }

  /** Resolves once nothing waits to be written (or after `maxMs`, or when stopping). */
  quiet(maxMs: number): Promise<void> {
    if (this.backlog === 0 || this.stopping || maxMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let done = false;
      const go = () => {
        if (done) return;
        done = true;
        timer.cancel();
        this.timers.delete(timer);
        resolve();
      };
      const timer = this.later(maxMs, go);
      this.pace.whenFree(go);
    });
  }

  private checkDrain(): void {
    const backlog = this.backlog;
    if (this.freeWaiters.length && (backlog === 0 || this.stopping)) {
      for (const cb of this.freeWaiters.splice(0)) cb();
    }
    if (this.paused && backlog <= this.opts.maxBacklog / 2) {
      this.paused = false;
      this.log.info({ backlog }, 'backlog drained: FPM reading resumed');
      for (const cb of this.drainCbs) cb();
    }
    this.host.settled();
  }

  /**
   * Stops: no new writes; waits for those in flight (up to timeoutMs). VPP keeps our routes
   * unless `flush`, which removes every route fibmgr installed first.
   */
  async stop(opts: { flush: boolean; timeoutMs: number }): Promise<void> {
    this.stopping = true;
    this.retries.clear(false);
    this.delTimer = null;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.tables.releaseAll();
    this.clearQueues();
    for (const cb of this.freeWaiters.splice(0)) cb(); // an audit waiting for quiet ends
    const deadline = this.clock.now() + opts.timeoutMs;
    await this.inflightBelow(1, deadline);
    if (opts.flush && this.host.ready() && this.port.connected) {
      let n = 0;
      for (const e of [...this.state.routes]) {
        if (e.have === null || isSending(e)) continue;
        this.state.want(e, null, 0);
        this.send(e, null);
        n++;
        if (this.inflight >= this.opts.window) await this.inflightBelow(this.opts.window, deadline);
      }
      await this.inflightBelow(1, deadline);
      this.log.info({ removed: n }, 'flushed our routes from VPP');
    }
  }

  /** Resolves once fewer than `n` writes are in flight, or at `deadline` (on the clock). */
  private inflightBelow(n: number, deadline: number): Promise<void> {
    const left = deadline - this.clock.now();
    if (this.inflight < n || left <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.after(left, () => {
        this.flightWaiter = null;
        resolve();
      });
      this.flightWaiter = {
        below: n,
        done: () => {
          this.flightWaiter = null;
          timer.cancel();
          resolve();
        },
      };
    });
  }
}
