// The reconciler: zebra's route events in (a RouteSink), VPP route writes out (a VppPort).
//
// One entry per (VPP table, prefix) holds what fibmgr wants there and what VPP holds from it,
// both as shared path sets, so "nothing to do" is one comparison and an unchanged replay writes
// nothing. Work is queued per key, so changes coalesce: a delete waits `deleteHoldMs` for an add
// of the same prefix (dplane_fpm_nl sends every change as delete + add) and becomes one replacing
// add — VPP never sees the gap. Writes are pipelined up to a window; the backlog is bounded
// (past it the FPM socket is not read until it drains). Resync: a new zebra session marks every
// route stale; its replay refreshes them; after a quiet period what is still stale is deleted —
// except in tables the replay never mentioned (zebra does not replay `table N` routes after an
// FPM reconnect: deleting them would leave VPP without routes zebra still has).
import type { Logger } from '../log.js';
import type { RouteReporter, RouteSink } from '../route/sink.js';
import type { ErrorEvent, Family, NexthopGroupEvent, RouteEvent, RouteEventRoute } from '../route/types.js';
import { GroupIndex } from './group-index.js';
import { realClock, type Clock, type Timer } from './clock.js';
import { PathSets, type PathSet } from './path-sets.js';
import { pathsKey } from './vpp-fields.js';
import { Q_ADD, Q_DEL, Q_MARK, Q_RETRY, Q_SENDING, RouteTable, type Entry, type TableInfo } from './route-table.js';
import { N_AUDIT_BITS, N_PENDING, N_QUEUED, N_SKIP_FAIL, N_SKIP_OK, RouteNotes, wireOf } from './route-notes.js';
import { FibAudit } from './fib-audit.js';
import { ResyncFsm } from './resync.js';
import { SkipLog, explainRoute, routeOf } from './route-explain.js';
import { isConnected, translatePaths, vppTable, type SkipReason } from './translate.js';
import type { Ownership, Pace, VppPort, VppRouteSpec } from './vpp-port.js';

export { parseTableMap } from './translate.js';
export type { AuditResult, Drift, DriftKind, ReconcilerCounters, ReconcilerOptions, ReconcilerState, RouteExplain } from './reconciler-types.js';
import type { AuditResult, ReconcilerCounters, ReconcilerOptions, ReconcilerState, RouteExplain } from './reconciler-types.js';

/** A translation cached per next-hop array (a nexthop group's routes all share one). */
type Cached = PathSet | SkipReason;

export class Reconciler implements RouteSink {
  private readonly port: VppPort;
  private readonly opts: Required<Omit<ReconcilerOptions, 'logger' | 'tableMap' | 'onResyncDone' | 'clock'>> & Pick<ReconcilerOptions, 'tableMap' | 'onResyncDone'>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sets = new PathSets();
  private readonly routes = new RouteTable();
  private readonly byGroup = new GroupIndex();
  /** Timers of table-creation retries and of the VPP preparation's retry: cleared on stop. */
  private readonly timers = new Set<Timer>();
  /**
   * Routes whose wanted set differs from VPP's, in arrival order: a FIFO array; an entry taken
   * off the queue just loses its Q_ADD bit and its slot is skipped (no search, no hash).
   */
  private addQ: (Entry | undefined)[] = [];
  private addHead = 0;
  private addCount = 0;
  /** Routes to delete → when (held for a following add of the same prefix); insertion = due order. */
  private readonly dels = new Map<Entry, number>();
  /** A live iterator over `dels` (a fresh one per pump would rescan the holes of taken entries). */
  private delIter: IterableIterator<[Entry, number]> | null = null;
  private delPeek: [Entry, number] | null = null;
  /** Writes in flight. */
  private inflight = 0;
  /**
   * Writes in flight by token: the entry and the set sent. The port hands the token back, so a
   * write needs no closure or object of its own, which would mostly live long enough (a window's
   * round trip) to be promoted to the old generation and pile up there until a full GC.
   */
  private readonly flightEntry: (Entry | undefined)[] = [];
  private readonly flightSet: (PathSet | null)[] = [];
  private readonly freeTokens: number[] = [];
  private readonly retryTimers = new Map<Entry, NodeJS.Timeout>();
  private readonly tries = new Map<Entry, number>();
  /** The error of each route being retried (`fibmgr show route`); cleared with its tries. */
  private readonly retryErrors = new Map<Entry, string>();
  /** Routes recently not installed: why, and what zebra sent (bounded). */
  private readonly skips = new SkipLog();
  /** Tables being created → routes waiting for them. */
  private readonly tableWaiters = new Map<TableInfo, Set<Entry>>();
  /** Translations by next-hop array; dropped when the interface map may have changed. */
  private cache = new WeakMap<object, Cached>();
  private parked = 0;
  private desired = 0;
  private installed = 0;
  private gen = 0;
  private session: number | null = null;
  private vppReady = false;
  private preparing: Promise<void> | null = null;
  /** Path sets of the adoption under way, by the array the port handed over. */
  private adoptSets = new WeakMap<readonly object[], PathSet>();
  /** Set while VPP's routes of our source stream in. */
  private adopting: { initial: boolean; installed: number; adopted: number } | null = null;
  private prepareAgain = false;
  private ownership: Ownership | null = null;
  private pumpScheduled = false;
  private delTimer: NodeJS.Timeout | null = null;
  private paused = false;
  private stopping = false;
  private readonly drainCbs: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly pendingNhg = new Map<number, NexthopGroupEvent>();
  private writes = 0;
  private unmappableLogged = 0;
  private readonly lastErrors: ReconcilerState['lastErrors'] = [];
  readonly counters: ReconcilerCounters = {
    replaces: 0, removes: 0, acked: 0, errors: 0, retries: 0,
    skipped: { connected: 0, 'unmappable-nexthop': 0, 'no-nexthops': 0, 'unusable-message': 0 },
    partialPaths: 0, nhgReresolved: 0, resyncs: 0, swept: 0, keptUntouched: 0, notified: { offload: 0, failed: 0 },
    audits: 0, drift: { missing: 0, extra: 0, different: 0 },
  };
  /** An audit's dump waits while zebra's changes are pending (VppPort.readOurs). */
  private readonly freeWaiters: (() => void)[] = [];
  private readonly pace: Pace = {
    busy: () => this.backlog > 0 && !this.stopping,
    whenFree: (cb) => {
      this.freeWaiters.push(cb);
      this.checkDrain();
    },
  };
  /** Set while an audit dumps VPP (complete() marks what it writes meanwhile). */
  private readonly fibAudit: FibAudit;
  /** The zebra-session state machine: replaying, stale wait (resync.ts). */
  private readonly resync: ResyncFsm;
  /** Route notifications to zebra (route-notes.ts). */
  private readonly notes: RouteNotes = new RouteNotes({
    gen: () => this.gen,
    dropIfEmpty: (e) => this.dropIfEmpty(e),
    notified: this.counters.notified,
  });
  private readonly pumpBound = () => this.pump();
  private readonly writtenBound = (token: number, err: Error | null) => this.written(token, err);
  private readonly lookupIf = { interfaceFor: (i: number) => this.port.interfaceFor(i) };

  constructor(port: VppPort, opts: ReconcilerOptions) {
    this.port = port;
    this.log = opts.logger.child({ component: 'sync' });
    this.opts = {
      tableMap: opts.tableMap,
      installConnected: opts.installConnected,
      resyncGraceMs: opts.resyncGraceMs,
      maxBacklog: opts.maxBacklog,
      window: opts.window ?? 4096,
      deleteHoldMs: opts.deleteHoldMs ?? 50,
      retryMinMs: opts.retryMinMs ?? 200,
      retryMaxMs: opts.retryMaxMs ?? 30_000,
      onResyncDone: opts.onResyncDone,
      staleTimeMs: opts.staleTimeMs ?? 120_000,
    };
    this.clock = opts.clock ?? realClock;
    this.resync = new ResyncFsm({
      routes: this.routes, clock: this.clock, log: this.log, graceMs: this.opts.resyncGraceMs, staleTimeMs: this.opts.staleTimeMs,
      writes: () => this.writes,
      desired: () => this.desired,
      congested: () => this.paused,
      sweep: (e) => this.setWant(e, null, 0, false),
      counted: (swept, kept) => {
        this.counters.swept += swept;
        this.counters.keptUntouched += kept;
      },
      done: (r) => this.opts.onResyncDone?.(r),
      kick: () => this.kick(),
    });
    this.fibAudit = new FibAudit({
      routes: this.routes, sets: this.sets, port, clock: this.clock, pace: this.pace, counters: this.counters,
      unready: () => (!port.readOurs ? 'this VPP port cannot list our routes (dry run)' : this.stopping ? 'stopping' : !this.vppReady ? 'VPP is not ready' : null),
      quiet: (ms) => this.quiet(ms),
      adoptHave: (e, set) => this.adoptHave(e, set),
      kick: () => this.kick(),
    });
    port.onWritten(this.writtenBound);
    port.onReconnect(() => void this.prepareVpp(false));
    port.onDisconnect((reason) => {
      this.vppReady = false;
      this.log.warn({ reason, backlog: this.backlog }, 'VPP lost: writes wait for the reconnect, then everything is diffed against a dump of VPP');
    });
  }

  /** Finds our FIB source and adopts what VPP holds from it (a fibmgr restart causes no gap). */
  async start(): Promise<void> {
    await this.prepareVpp(true);
  }

  // --- RouteSink -------------------------------------------------------------------------------

  sessionStart(sessionId: number): void {
    this.notes.detach();
    this.session = sessionId;
    this.gen++;
    this.counters.resyncs++;
    this.unmappableLogged = 0;
    this.resync.begin(sessionId, this.gen);
  }

  sessionEnd(sessionId: number, reason: string): void {
    if (this.session === sessionId) {
      this.session = null;
      this.notes.detach();
    }
    this.resync.end(sessionId, reason);
  }

  apply(sessionId: number, events: RouteEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      if (ev.kind === 'route') this.onRoute(ev);
      else if (ev.kind === 'nexthop-group' && ev.op === 'add' && ev.replaced && (ev.resolved || ev.unusable)) this.onGroupChange(ev);
      else if (ev.kind === 'error' && ev.route) this.onUnusable(ev);
    }
    this.resync.activity(sessionId);
    this.kick();
  }

  /** Past the bound, from whatever made the backlog (zebra, a group change, a sweep, a VPP diff). */
  private checkCongestion(): void {
    if (!this.paused && this.backlog > this.opts.maxBacklog) {
      this.paused = true;
      this.log.info({ backlog: this.backlog, maxBacklog: this.opts.maxBacklog }, 'backlog full: FPM reading paused until VPP catches up');
    }
  }

  get congested(): boolean {
    return this.paused;
  }

  onDrain(cb: () => void): void {
    this.drainCbs.push(cb);
  }

  // --- events → wanted state -----------------------------------------------------------------

  /** `unusable`: an add fibmgr could not use, passed as the delete it becomes (reported as failed). */
  private onRoute(ev: RouteEventRoute, unusable = false): void {
    const table = vppTable(ev.table, this.opts.tableMap);
    const e = this.routes.lookup(ev.family, table, ev.prefix, ev.op === 'add' || unusable);
    if (this.resync.active) this.resync.seen(e?.slot.info ?? this.routes.tableInfo(ev.family, table), ev.protocol);
    if (!e) return; // a delete of a route fibmgr does not have
    e.proto = ev.protocol;
    e.zt = ev.table;
    if (ev.op === 'del') {
      // a delete is not answered; an add that cannot be used is, as failed
      e.n = (e.n & N_AUDIT_BITS) | (unusable ? N_PENDING | N_SKIP_FAIL | wireOf(ev) : 0);
      if (unusable) this.notes.note(e);
      this.setWant(e, null, 0, true);
      return;
    }
    const t = this.translate(ev);
    e.n = (e.n & N_AUDIT_BITS) | N_PENDING | wireOf(ev) | (typeof t !== 'string' ? 0 : t === 'connected' ? N_SKIP_OK : N_SKIP_FAIL);
    // a skipped route is noted before setWant: wanting nothing, it stays in the table until reported
    if (typeof t === 'string') {
      this.notes.note(e);
      this.counters.skipped[t]++;
      this.skips.note(ev, table, t);
      if (t === 'unmappable-nexthop' || t === 'no-nexthops') {
        const fields = { route: `${table} ${ev.prefix}`, zebraTable: ev.table, reason: t, nexthops: ev.nexthops };
        if (this.unmappableLogged++ < 200) this.log.warn(fields, 'route not installed: its next hops are not mapped to VPP interfaces (see --interface-map, linux-cp)');
        else this.log.debug(fields, 'route not installed');
      }
      this.setWant(e, null, 0, true);
      return;
    }
    // a route left out had no entry wanting anything: only such a route may be in the skip log
    if (e.want === null) this.skips.forget(ev.family, table, ev.prefix);
    this.setWant(e, t, ev.nhg ?? 0, true);
    // installed already (an unchanged replay): say so now; otherwise the write's completion will
    if (e.want === e.have && (e.q & Q_SENDING) === 0) this.notes.note(e);
  }

  /**
   * A route message fibmgr could not use: the route cannot be installed as zebra sent it, and
   * whatever version VPP holds is no longer zebra's. It goes, as a delete would.
   */
  private onUnusable(ev: ErrorEvent): void {
    const r = ev.route!;
    this.counters.skipped['unusable-message']++;
    this.skips.note({ ...r, kind: 'route', metric: 0, nhg: null, nexthops: [] } as RouteEventRoute, vppTable(r.table, this.opts.tableMap), `unusable-message: ${ev.what}: ${ev.reason}`);
    // zebra did speak of the route (its table and protocol count for the resync as any message's)
    this.onRoute({ kind: 'route', op: 'del', family: r.family, table: r.table, prefix: r.prefix, type: r.type, protocol: r.protocol, protocolId: r.protocolId, metric: 0, nhg: null, nexthops: [] }, r.op === 'add');
  }

  /** A route's path set (shared), or why it is not installed. Cached per next-hop array. */
  private translate(ev: RouteEventRoute): Cached {
    if (!this.opts.installConnected && isConnected(ev)) return 'connected';
    const cacheable = ev.nhg !== null && ev.type === 'unicast' && ev.nexthops.length > 0;
    if (cacheable) {
      const hit = this.cache.get(ev.nexthops);
      // a set freed at refcount 0 is no longer the interned one: translate afresh
      if (hit !== undefined && (typeof hit === 'string' || this.sets.isLive(hit))) return hit;
    }
    const t = translatePaths(ev.family, ev.type, ev.nexthops, this.lookupIf);
    let out: Cached;
    if (!t.ok) out = t.reason;
    else {
      if (t.dropped > 0) {
        this.counters.partialPaths++;
        this.log.warn({ route: ev.prefix, table: ev.table, dropped: t.dropped, kept: t.paths.length }, 'route installed without its unmapped interface-only next hops');
      }
      out = this.sets.intern(t.paths);
    }
    if (cacheable) this.cache.set(ev.nexthops, out);
    return out;
  }

  /** A group's members changed: zebra does not resend the routes using it, so re-resolve them. */
  private onGroupChange(ev: NexthopGroupEvent): void {
    this.pendingNhg.set(ev.id, ev);
    if (this.pendingNhg.size === 1) setImmediate(() => this.reresolveGroups());
  }

  private reresolveGroups(): void {
    const groups = new Map(this.pendingNhg);
    this.pendingNhg.clear();
    let n = 0;
    for (const [id, g] of groups) {
      for (const e of this.byGroup.routes(id)) {
        if (e.want === null) continue;
        if (g.unusable) {
          this.counters.skipped['unusable-message']++;
          this.setWant(e, null, 0, false);
        } else {
          const t = translatePaths(e.slot.info.family, g.blackhole ? 'blackhole' : 'unicast', g.resolved ?? [], this.lookupIf);
          this.setWant(e, t.ok ? this.sets.intern(t.paths) : null, id, false);
        }
        n++;
      }
    }
    this.counters.nhgReresolved += n;
    if (n > 0) this.log.info({ groups: [...groups.keys()], routes: n }, 'nexthop groups changed: their routes re-resolved');
    this.kick();
  }

  /** `nhg`: the group the route names; a route that wants nothing leaves its group's list. */
  private setWant(e: Entry, ps: PathSet | null, nhg: number, confirm: boolean): void {
    if (confirm) {
      this.resync.confirmed(e);
      e.gen = this.gen;
    }
    this.byGroup.set(e, ps === null ? 0 : nhg);
    if (e.want === ps) {
      if (ps === null && e.have === null && (e.q & Q_SENDING) === 0 && (e.n & N_QUEUED) === 0) this.routes.delete(e);
      return;
    }
    this.sets.ref(ps);
    this.sets.unref(e.want);
    if (e.want === null) this.desired++;
    if (ps === null) this.desired--;
    e.want = ps;
    if (e.q & Q_RETRY) {
      // a new wish replaces the one that kept failing
      clearTimeout(this.retryTimers.get(e));
      this.retryTimers.delete(e);
      this.tries.delete(e);
      this.retryErrors.delete(e);
      e.q &= ~Q_RETRY;
    }
    this.schedule(e);
  }

  private schedule(e: Entry): void {
    const q = e.q;
    if (q & (Q_SENDING | Q_RETRY)) return; // completion / retry re-checks
    if (e.want === e.have) {
      if (q & Q_ADD) this.addCount--;
      if (q & Q_DEL) this.dels.delete(e);
      e.q = 0;
      if (e.want === null && (e.n & N_QUEUED) === 0) this.routes.delete(e);
      return;
    }
    if (e.want === null) {
      if (q & Q_ADD) this.addCount--;
      if ((q & Q_DEL) === 0) this.dels.set(e, Date.now() + this.opts.deleteHoldMs);
      e.q = Q_DEL;
    } else {
      if (q & Q_DEL) this.dels.delete(e);
      e.q = Q_ADD;
      if ((q & Q_ADD) === 0) {
        this.addQ.push(e);
        this.addCount++;
        // Slots of entries taken off the queue (an add flipped to a delete) stay until the pump
        // passes them; with VPP away it does not, so a flapping route would grow the queue.
        if (this.addQ.length - this.addHead > 2 * this.addCount + 1024) this.compactAddQ();
      }
    }
  }

  /** The queue without dead slots or repeats: at most one slot per distinct route. */
  private compactAddQ(): void {
    const q = this.addQ;
    const out: Entry[] = [];
    for (let i = this.addHead; i < q.length; i++) {
      const e = q[i];
      if (!e || (e.q & Q_ADD) === 0 || e.q & Q_MARK) continue;
      e.q |= Q_MARK;
      out.push(e);
    }
    for (const e of out) e.q &= ~Q_MARK;
    this.addQ = out;
    this.addHead = 0;
    this.addCount = out.length;
  }

  // --- writing ---------------------------------------------------------------------------------

  private kick(): void {
    this.checkCongestion();
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pumpBound);
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.vppReady && this.port.connected && !this.stopping) {
      const writes = this.writes;
      const window = this.opts.window;
      const q = this.addQ;
      while (this.addHead < q.length && this.inflight < window && this.hasRoom()) {
        const e = q[this.addHead]!;
        q[this.addHead++] = undefined;
        if ((e.q & Q_ADD) === 0) continue; // taken off the queue since
        e.q &= ~Q_ADD;
        this.addCount--;
        if (e.want === null || e.want === e.have || e.q & Q_SENDING) continue;
        const info = e.slot.info;
        if (info.table !== 0 && !info.ready) {
          this.waitForTable(info, e);
          continue;
        }
        this.send(e, e.want);
      }
      if (this.addHead === q.length) {
        this.addQ = [];
        this.addHead = 0;
      } else if (this.addHead > 4096 && this.addHead * 2 > q.length) {
        this.addQ = q.slice(this.addHead);
        this.addHead = 0;
      }
      const now = Date.now();
      for (let d = this.peekDel(); d !== null; d = this.peekDel()) {
        const [e, due] = d;
        if (this.inflight >= window || !this.hasRoom()) break;
        if (due > now) {
          if (!this.delTimer) {
            this.delTimer = setTimeout(() => {
              this.delTimer = null;
              this.kick();
            }, due - now);
          }
          break;
        }
        this.delPeek = null;
        this.dels.delete(e);
        e.q &= ~Q_DEL;
        if (e.want !== null || e.have === null || e.q & Q_SENDING) continue;
        this.send(e, null);
      }
      // The pump runs late in the event loop's turn: batched writes would wait for the end of
      // the next one (after the next chunk of zebra's input), with VPP idle meanwhile.
      if (this.writes !== writes) this.port.flush();
    }
    if (this.notes.size > 0) this.notes.report();
    this.checkDrain();
  }

  /** The oldest pending delete, still current (an entry re-queued since has a later record). */
  private peekDel(): [Entry, number] | null {
    for (;;) {
      if (this.delPeek) {
        const [e, due] = this.delPeek;
        if (this.dels.get(e) === due) return this.delPeek;
        this.delPeek = null;
      }
      if (this.dels.size === 0) {
        this.delIter = null;
        return null;
      }
      this.delIter ??= this.dels.entries();
      const r = this.delIter.next();
      if (r.done) {
        this.delIter = null; // drained; new deletes get a new iterator
        if (this.dels.size === 0) return null;
        continue;
      }
      this.delPeek = r.value;
    }
  }

  /** The port takes more writes now (the window bounds them too). */
  private hasRoom(): boolean {
    return this.port.room > 0;
  }

  private send(e: Entry, ps: PathSet | null): void {
    e.q |= Q_SENDING;
    this.inflight++;
    this.writes++;
    const token = this.freeTokens.length > 0 ? this.freeTokens.pop()! : this.flightEntry.length;
    this.flightEntry[token] = e;
    this.flightSet[token] = ps;
    const info = e.slot.info;
    if (ps) this.counters.replaces++;
    else this.counters.removes++;
    this.port.write(token, info.family, info.table, e.a, e.slot.len, ps ? ps.paths : null);
  }

  private written(token: number, err: Error | null): void {
    const e = this.flightEntry[token]!;
    const ps = this.flightSet[token]!;
    this.flightEntry[token] = undefined;
    this.flightSet[token] = null;
    this.freeTokens.push(token);
    this.complete(e, ps, err);
  }

  private complete(e: Entry, sent: PathSet | null, err: Error | null): void {
    this.inflight--;
    e.q &= ~Q_SENDING;
    this.fibAudit.written(e);
    if (e.n & N_PENDING) this.notes.note(e);
    if (!err) {
      this.counters.acked++;
      this.setHave(e, sent);
      this.tries.delete(e);
      this.retryErrors.delete(e);
    } else if (err.name === 'VppDisconnectedError' || !this.port.connected || !this.vppReady || this.stopping) {
      // Lost with the VPP session: the diff after the reconnect redoes it. Not rescheduled here,
      // so that a session going down cannot spin the pump.
      this.kick();
      return;
    } else {
      // VPP refused this one route: log it with the route, retry later, let the rest go on.
      const tries = (this.tries.get(e) ?? 0) + 1;
      this.tries.set(e, tries);
      this.retryErrors.set(e, err.message);
      this.counters.errors++;
      const delay = Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(tries - 1, 20));
      const route = `${e.slot.info.table} ${this.routes.prefixOf(e)}`;
      this.log.warn({ route, op: sent ? 'replace' : 'delete', paths: sent?.key, err: err.message, attempt: tries, retryInMs: delay }, 'VPP refused a route write: retrying');
      this.lastErrors.push({ route, error: err.message, at: new Date().toISOString() });
      if (this.lastErrors.length > 20) this.lastErrors.shift();
      e.q |= Q_RETRY;
      this.retryTimers.set(e, setTimeout(() => {
        this.retryTimers.delete(e);
        e.q &= ~Q_RETRY;
        this.counters.retries++;
        this.schedule(e);
        this.kick();
      }, delay));
    }
    this.schedule(e);
    this.kick();
  }

  private waitForTable(info: TableInfo, e: Entry): void {
    let waiting = this.tableWaiters.get(info);
    if (waiting) {
      if (!waiting.has(e)) this.parked++;
      waiting.add(e);
      return;
    }
    waiting = new Set([e]);
    this.parked++;
    this.tableWaiters.set(info, waiting);
    const attempt = (n: number) => {
      if (this.stopping || this.tableWaiters.get(info) !== waiting) return; // stopped, or released by a re-adoption
      Promise.resolve()
        .then(() => this.port.ensureTable(info.family, info.table))
        .then(
          () => {
            info.ready = true;
            this.releaseTable(info);
          },
          (err: Error) => {
            if (!this.vppReady || !this.port.connected || this.stopping) return this.releaseTable(info); // redone after the reconnect
            const delay = Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(n, 20));
            this.log.warn({ family: info.family, table: info.table, err: err?.message ?? String(err), retryInMs: delay }, 'could not create VPP table: retrying');
            this.later(delay, () => attempt(n + 1));
          },
        )
        .catch((err: unknown) => this.log.error({ family: info.family, table: info.table, err: String(err) }, 'table creation failed unexpectedly'));
    };
    attempt(0);
  }

  /** A timer on the reconciler's clock that stop() clears. */
  private later(ms: number, fn: () => void): Timer {
    const t = this.clock.after(ms, () => {
      this.timers.delete(t);
      fn();
    });
    this.timers.add(t);
    return t;
  }

  private releaseTable(info: TableInfo): void {
    const waiting = this.tableWaiters.get(info);
    this.tableWaiters.delete(info);
    if (!waiting) return;
    this.parked -= waiting.size;
    for (const e of waiting) this.schedule(e);
    this.kick();
  }

  // --- VPP sessions ----------------------------------------------------------------------------

  private prepareVpp(initial: boolean): Promise<void> {
    if (this.preparing) {
      this.prepareAgain = true;
      return this.preparing;
    }
    this.vppReady = false;
    this.preparing = (async () => {
      for (let attempt = 0; ; attempt++) {
        this.prepareAgain = false;
        try {
          const t0 = Date.now();
          this.adopting = { initial, installed: 0, adopted: 0 };
          const sink = { begin: (o: Ownership) => this.beginAdopt(o), route: (spec: VppRouteSpec) => this.adoptOne(spec) };
          const { ownership } = await this.port.prepare(sink);
          if (this.stopping) return;
          if (this.prepareAgain) continue;
          this.endAdopt(ownership, Date.now() - t0);
          return;
        } catch (err) {
          if (this.stopping) return;
          const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
          this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'could not read VPP state: retrying');
          await new Promise<void>((r) => this.later(delay, r));
          if (this.stopping) return;
        } finally {
          this.adopting = null;
        }
      }
    })().finally(() => {
      this.preparing = null;
    });
    return this.preparing;
  }

  /** The dump of VPP's routes of our source begins: what fibmgr believed installed is forgotten. */
  private beginAdopt(ownership: Ownership): void {
    this.ownership = ownership;
    this.cache = new WeakMap(); // the interface map may have changed
    this.adoptSets = new WeakMap();
    for (const info of this.routes.allTables()) info.ready = false;
    for (const [info] of this.tableWaiters) this.releaseTable(info);
    for (const [e, t] of this.retryTimers) {
      clearTimeout(t);
      e.q &= ~Q_RETRY;
    }
    this.retryTimers.clear();
    this.tries.clear();
    this.retryErrors.clear();
    let kept = 0;
    this.routes.forEach((e) => {
      // With the API source nothing of ours can be dumped: a route zebra deleted meanwhile is
      // still deleted (VPP answers 0 if it is already gone); everything wanted is rewritten.
      if (ownership.mode === 'api' && e.want === null && e.have !== null) {
        kept++;
        return;
      }
      this.sets.unref(e.have);
      e.have = null;
    });
    this.installed = kept;
  }

  /** One route of our source, as the dump streams in: VPP's truth becomes the installed state. */
  private adoptOne(spec: VppRouteSpec): void {
    const a = this.adopting;
    if (!a) return;
    a.installed++;
    const e = this.routes.lookup(spec.family, spec.table, spec.prefix, true);
    // the port hands equal path sets over as one array: intern (and key) each once
    const ps = this.sets.internOnce(spec.paths, this.adoptSets);
    this.setHave(e, ps);
    // At start fibmgr does not know zebra's table yet: keep VPP's routes until zebra's first
    // replay confirms or sweeps them (zebra's replay may already be streaming in: a route it
    // mentioned is its, not VPP's). After a VPP reconnect zebra's table is known.
    if (a.initial && e.want === null && e.gen === 0) {
      this.sets.ref(ps);
      e.want = ps;
      this.desired++;
      a.adopted++;
    }
    if (spec.table !== 0) e.slot.info.ready = true;
  }

  /** The dump is complete: diff zebra's table against VPP's and start writing. */
  private endAdopt(ownership: Ownership, ms: number): void {
    const a = this.adopting!;
    this.clearQueues();
    let toWrite = 0;
    this.routes.forEach((e) => {
      if (e.want !== e.have) toWrite++;
      if (e.n & N_PENDING) this.notes.note(e);
      this.schedule(e);
    });
    this.vppReady = true;
    this.log.info({ ownership: ownership.mode, source: ownership.sourceId, installed: a.installed, adopted: a.adopted, desired: this.desired, toWrite, ms }, a.initial ? 'VPP ready: adopted our routes' : 'VPP back: diffing zebra\'s table against VPP\'s');
    this.kick();
  }

  // --- resync (resync.ts) ------------------------------------------------------------------------

  /** `fibmgr sweep`: the operator ends the wait now. Returns the routes swept, or null without a resync. */
  sweepNow(): { swept: number; kept: number } | null {
    return this.resync.sweepNow();
  }

  private clearQueues(): void {
    for (let i = this.addHead; i < this.addQ.length; i++) {
      const e = this.addQ[i];
      if (e) e.q &= ~Q_ADD;
    }
    this.addQ = [];
    this.addHead = 0;
    this.addCount = 0;
    for (const e of this.dels.keys()) e.q &= ~Q_DEL;
    this.dels.clear();
    this.delIter = null;
    this.delPeek = null;
  }

  // --- route notifications to zebra ------------------------------------------------------------

  /** The session reads route notifications: report through `reporter` from now on. */
  attachReporter(sessionId: number, reporter: RouteReporter): void {
    if (sessionId !== this.session) return;
    this.notes.attach(reporter, () => this.kick(), (fn) => this.routes.forEach(fn));
    this.kick();
  }

  /** A route that wants nothing, holds nothing and waits for nothing leaves the table. */
  private dropIfEmpty(e: Entry): void {
    if (e.want === null && e.have === null && e.q === 0 && (e.n & N_QUEUED) === 0) this.routes.delete(e);
  }

  // --- one route, for the operator ---------------------------------------------------------------

  /**
   * `fibmgr show route`: a prefix (any spelling, an address without a length is a host route) in
   * zebra's table `zebraTable`: what fibmgr knows of it and what VPP holds there (one lookup).
   */
  async showRoute(text: string, zebraTable: number): Promise<RouteExplain & { zebraTable: number; vpp: { source: number; ours: boolean; paths: string } | null | string }> {
    const p = routeOf(text);
    const prefix = p.prefix;
    const table = vppTable(zebraTable, this.opts.tableMap);
    const out = this.explain(p.family, table, prefix);
    let vpp: { source: number; ours: boolean; paths: string } | null | string;
    if (!this.port.lookupRoute) vpp = 'this VPP port cannot look routes up (dry run)';
    else if (!this.port.connected) vpp = 'VPP is not connected';
    else {
      try {
        const r = await this.port.lookupRoute(p.family, table, prefix);
        vpp = r && { source: r.source, ours: r.ours, paths: pathsKey(r.paths) };
      } catch (err) {
        vpp = `lookup failed: ${(err as Error).message}`;
      }
    }
    return { ...out, zebraTable, vpp };
  }

  /** Resolves once nothing waits to be written (or after `maxMs`, or when stopping). */
  private quiet(maxMs: number): Promise<void> {
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

  /** What fibmgr knows of one route: zebra's version, the paths wanted and installed, pending work, errors. */
  explain(family: Family, table: number, prefix: string): RouteExplain {
    const e = this.routes.lookup(family, table, prefix, false);
    return explainRoute(family, table, prefix, e, this.skips.get(family, table, prefix), e ? this.tries.get(e) ?? 0 : 0, e ? this.retryErrors.get(e) ?? null : null);
  }

  // --- audit: VPP against what fibmgr believes it installed (fib-audit.ts) ----------------------

  audit(opts: { repair: boolean; maxDrift?: number; quietWaitMs?: number }): Promise<AuditResult> {
    return this.fibAudit.run(opts);
  }

  /** An audit's repair: VPP's view becomes the installed state; the queue then makes it what zebra wants. */
  private adoptHave(e: Entry, vpp: PathSet | null): boolean {
    if (e.q !== 0) return false; // work arrived meanwhile: it decides
    this.setHave(e, vpp);
    this.schedule(e);
    return true;
  }

  /** What VPP holds from fibmgr for this route, with the set references and the count kept right. */
  private setHave(e: Entry, ps: PathSet | null): void {
    if (e.have === ps) return;
    this.sets.ref(ps);
    this.sets.unref(e.have);
    if (e.have === null) this.installed++;
    if (ps === null) this.installed--;
    e.have = ps;
  }

  // --- backpressure, state, shutdown -----------------------------------------------------------

  get backlog(): number {
    return this.addCount + this.dels.size + this.parked + this.inflight;
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
    if (this.idleWaiters.length && this.isIdle()) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const cb of w) cb();
    }
  }

  private isIdle(): boolean {
    return this.vppReady && this.backlog === 0 && this.retryTimers.size === 0 && !this.resync.active && this.pendingNhg.size === 0;
  }

  /** Resolves when nothing is pending: no backlog, no retries, no resync under way. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  state(): ReconcilerState {
    return {
      session: this.session,
      resyncing: this.resync.active,
      vppReady: this.vppReady,
      ownership: this.ownership,
      routes: this.routes.size,
      desired: this.desired,
      installed: this.installed,
      backlog: this.backlog,
      inflight: this.inflight,
      retrying: this.retryTimers.size,
      pathSets: this.sets.size,
      congested: this.paused,
      counters: this.counters,
      lastResync: this.resync.last,
      stale: this.resync.state(),
      lastErrors: [...this.lastErrors],
      lastAudit: this.fibAudit.last,
      auditChecked: this.fibAudit.dumping ? this.fibAudit.checked : null,
      adopting: this.adopting ? this.adopting.installed : null,
    };
  }

  /** Routes per VPP table and family: wanted and installed (for /state and metrics). */
  perTable(): { family: Family; table: number; desired: number; installed: number }[] {
    const m = new Map<TableInfo, { family: Family; table: number; desired: number; installed: number }>();
    for (const e of this.routes) {
      const info = e.slot.info;
      let row = m.get(info);
      if (!row) m.set(info, (row = { family: info.family, table: info.table, desired: 0, installed: 0 }));
      if (e.want) row.desired++;
      if (e.have) row.installed++;
    }
    return [...m.values()].sort((a, b) => a.family - b.family || a.table - b.table);
  }

  /**
   * Stops: no new writes; waits for those in flight (up to timeoutMs). VPP keeps our routes
   * unless `flush`, which removes every route fibmgr installed first.
   */
  async stop(opts: { flush?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.resync.stop();
    for (const [e, t] of this.retryTimers) {
      clearTimeout(t);
      e.q &= ~Q_RETRY;
    }
    this.retryTimers.clear();
    if (this.delTimer) clearTimeout(this.delTimer);
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const [info] of this.tableWaiters) this.releaseTable(info);
    this.clearQueues();
    for (const cb of this.freeWaiters.splice(0)) cb(); // an audit waiting for quiet ends
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    const settle = async () => {
      while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await settle();
    if (opts.flush && this.vppReady && this.port.connected) {
      let n = 0;
      for (const e of [...this.routes]) {
        if (e.have === null || e.q & Q_SENDING) continue;
        this.sets.unref(e.want);
        if (e.want) this.desired--;
        e.want = null;
        this.send(e, null);
        n++;
        while (this.inflight >= this.opts.window && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      }
      await settle();
      this.log.info({ removed: n }, 'flushed our routes from VPP');
    }
  }
}
