// The reconciler: zebra's route events in (a RouteSink), VPP route writes out (a VppPort). It
// turns each event into what a route wants (route-state.ts) and hands the difference to the
// writer (route-writer.ts); the VPP side's states are in vpp-session.ts, zebra's session (replay,
// stale wait, sweep) in resync.ts, the answers to zebra in route-notes.ts, the audit in
// fib-audit.ts. Resync: a new zebra session marks every route stale; its replay refreshes them;
// after a quiet period what is still stale is deleted — except in tables the replay never
// mentioned (zebra does not replay `table N` routes after an FPM reconnect).
import type { Logger } from '../log.js';
import type { RouteReporter, RouteSink } from '../route/sink.js';
import type { ErrorEvent, Family, NexthopGroupEvent, Prefix, RouteEvent, RouteEventRoute } from '../route/types.js';
import { realClock, type Clock, type Timer } from './clock.js';
import type { PathSet } from './state/path-sets.js';
import type { Hops } from './state/hop-sets.js';
import { pathsKey } from './vpp/vpp-fields.js';
import { setWire, wireProtocol, type Entry } from './state/route-entry.js';
import { oweAnswer, oweNothing, RouteNotes } from './zebra/route-notes.js';
import { isSending, isWriteIdle } from './write/write-flags.js';
import { FibAudit } from './audit/fib-audit.js';
import { ResyncFsm } from './zebra/resync.js';
import { NotInstalledRecords, explainRoute, routeOf } from './state/route-explain.js';
import { RouteState } from './state/route-state.js';
import { RouteWriter } from './write/route-writer.js';
import { VppSession } from './vpp/vpp-session.js';
import { LspSync } from './mpls/lsp-sync.js';
import { vppTable } from './state/translate.js';
import { NotInstalledCounter, newReasonCounts, routeReason, zebraTold } from './state/not-installed.js';
import type { VppPort } from './vpp/vpp-port.js';

export type { AuditResult, Drift, DriftKind, ReconcilerCounters, ReconcilerOptions, ReconcilerState, RouteExplain } from './reconciler-types.js';
import type { AuditResult, ReconcilerCounters, ReconcilerOptions, ReconcilerState, RouteExplain } from './reconciler-types.js';

export class Reconciler implements RouteSink {
  private readonly opts: { tableMap: ReadonlyMap<number, number>; installConnected: boolean; onResyncDone: ReconcilerOptions['onResyncDone'] };
  private readonly log: Logger;
  private readonly store: RouteState;
  private readonly writer: RouteWriter;
  private readonly vpp: VppSession;
  /** Routes recently not installed: why, and what zebra sent (bounded). */
  private readonly notInstalled: NotInstalledRecords;
  /** Routes not installed: counted and logged by reason (not-installed.ts). */
  private readonly leftOut: NotInstalledCounter;
  /** The resync generation: the route state keeps it, with what it has confirmed in it. */
  private get gen(): number {
    return this.store.generation;
  }
  private session: number | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly pendingNhg = new Map<number, NexthopGroupEvent>();
  readonly counters: ReconcilerCounters = {
    replaces: 0, removes: 0, acked: 0, errors: 0, timeouts: 0, tableErrors: 0, retries: 0,
    skipped: newReasonCounts(),
    partialPaths: 0, nhgReresolved: 0, resyncs: 0, swept: 0, keptUntouched: 0, notified: { offload: 0, failed: 0 },
    audits: 0, drift: { missing: 0, extra: 0, different: 0 },
  };
  private readonly fibAudit: FibAudit;
  /** The zebra-session state machine: replaying, stale wait (resync.ts). */
  private readonly resync: ResyncFsm;
  /** Route notifications to zebra (route-notes.ts). */
  private readonly notes: RouteNotes;
  /** LSPs: zebra's MPLS routes in VPP's MPLS table (lsp-sync.ts). */
  private readonly lsps: LspSync;
  /** The LSP sweep, put off to the end of a zebra restart's relearn (ldpd may re-send late). */
  private lspSweep: Timer | null = null;

  constructor(private readonly port: VppPort, opts: ReconcilerOptions) {
    this.log = opts.logger.child({ component: 'sync' });
    this.leftOut = new NotInstalledCounter(this.log, this.counters.skipped);
    this.opts = { tableMap: opts.tableMap, installConnected: opts.installConnected, onResyncDone: opts.onResyncDone };
    const clock: Clock = opts.clock ?? realClock;
    this.notInstalled = new NotInstalledRecords(clock);
    this.store = new RouteState({
      interfaceFor: (i) => port.interfaceFor(i),
      log: this.log,
      partial: () => this.counters.partialPaths++,
    });
    const writerOpts = {
      window: opts.window ?? 4096,
      deleteHoldMs: opts.deleteHoldMs ?? 50,
      retryMinMs: opts.retryMinMs ?? 200,
      retryMaxMs: opts.retryMaxMs ?? 30_000,
      maxBacklog: opts.maxBacklog,
    };
    this.writer = new RouteWriter(port, this.store, writerOpts, clock, this.log, this.counters, {
      ready: () => this.vpp.ready,
      written: (e) => {
        this.fibAudit.written(e);
        this.notes.note(e);
      },
      pumped: () => {
        if (this.notes.size > 0) this.notes.report();
      },
      settled: () => this.settled(),
      timedOut: (what) => this.vpp.timedOut(what),
      note: (e) => this.notes.note(e),
    });
    this.lsps = new LspSync(port, this.log, clock, () => this.settled(), writerOpts.retryMinMs, writerOpts.retryMaxMs, writerOpts.deleteHoldMs, (what) => this.vpp.timedOut(what));
    this.vpp = new VppSession(port, this.store, this.writer, this.log, {
      adopted: (e) => this.notes.note(e),
      interfacesChanged: (changed) => {
        this.onInterfacesChanged(changed);
        this.lsps.interfacesChanged();
      },
      adoptMore: (initial) => this.lsps.adopt(initial),
    }, clock);
    this.notes = new RouteNotes({
      gen: () => this.gen,
      dropIfEmpty: (e) => this.store.dropIfEmpty(e),
      notified: this.counters.notified,
    });
    this.resync = new ResyncFsm({
      routes: this.store.routes, clock, log: this.log, graceMs: opts.resyncGraceMs, staleTimeMs: opts.staleTimeMs ?? 120_000,
      writes: () => this.writer.writes,
      desired: () => this.store.desired,
      allConfirmed: (gen) => this.store.allConfirmed(gen),
      congested: () => this.writer.congested,
      sweep: (e) => this.setWant(e, null, 0, false),
      counted: (swept, kept) => {
        this.counters.swept += swept;
        this.counters.keptUntouched += kept;
      },
      done: (r) => {
        this.forgetUnconfirmedUnmapped();
        this.sweepLsps(clock);
        this.opts.onResyncDone?.(r);
      },
      kick: () => this.writer.kick(),
    });
    this.fibAudit = new FibAudit({
      routes: this.store.routes, sets: this.store.sets, port, clock, pace: this.writer.pace, counters: this.counters,
      unready: () => (!port.readOurs ? 'this VPP port cannot list our routes (dry run)' : this.writer.stopping ? 'stopping' : !this.vpp.ready ? 'VPP is not ready' : null),
      quiet: (ms) => this.writer.quiet(ms),
      adoptHave: (e, set) => this.adoptHave(e, set),
      kick: () => this.writer.kick(),
    });
  }

  /** Finds our FIB source and adopts what VPP holds from it (a fibmgr restart causes no gap). */
  async start(): Promise<void> {
    // routes adopted while zebra's replay is judged are judged when the adoption is complete
    this.resync.adoption(true);
    try {
      await this.vpp.prepare(true);
    } finally {
      this.resync.adoption(false);
    }
  }

  /**
   * LSPs zebra did not replay go when the resync is done, or wait per protocol like routes
   * (stale-rule.ts, lspWaitUntil: a restart's relearn, ldpd still to re-send its LSPs); a
   * deadline passing during a resync is decided at its end.
   */
  private sweepLsps(clock: Clock): void {
    this.lspSweep?.cancel();
    this.lspSweep = null;
    const next = this.lsps.sweepStale({ sameZebra: this.resync.sameZebra, relearnUntil: this.resync.relearnUntil(), staleTimeMs: this.resync.staleTimeMs });
    if (next === null) return;
    this.lspSweep = clock.after(next - clock.now(), () => {
      this.lspSweep = null;
      if (!this.resync.active) this.sweepLsps(clock);
    });
  }

  /** Resolves once VPP's interface map is first loaded (start() goes on adopting VPP's routes). */
  interfacesLoaded(): Promise<void> {
    return this.vpp.interfacesLoaded;
  }

  // --- RouteSink -------------------------------------------------------------------------------

  sessionStart(sessionId: number, zebraProcess: string | null = null): void {
    this.notes.detach();
    this.session = sessionId;
    this.store.newGeneration();
    this.counters.resyncs++;
    this.leftOut.sessionStart();
    // group ids are the new session's own from now on (group-index.ts); the last one's pending
    // changes are about its groups, not these
    this.store.byGroup.newGeneration();
    this.pendingNhg.clear();
    this.lspSweep?.cancel(); // the new session's replay confirms LSPs first; its resync's end sweeps
    this.lspSweep = null;
    this.lsps.sessionStart(this.gen);
    this.resync.begin(sessionId, this.gen, zebraProcess);
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
      else if (ev.kind === 'lsp') this.lsps.event(ev);
      else if (ev.kind === 'error' && ev.lsp !== undefined) this.lsps.unusable(ev);
    }
    this.resync.activity(sessionId);
    this.writer.kick();
  }

  get congested(): boolean {
    return this.writer.congested;
  }

  onDrain(cb: () => void): void {
    this.writer.onDrain(cb);
  }

  /** The session reads route notifications: report through `reporter` from now on. */
  attachReporter(sessionId: number, reporter: RouteReporter): void {
    if (sessionId !== this.session) return;
    this.notes.attach(reporter, () => this.writer.kick(), (fn) => this.store.routes.forEach(fn));
    this.writer.kick();
  }

  // --- events → wanted state -----------------------------------------------------------------

  /** `unusable`: an add fibmgr could not use, passed as the delete it becomes (reported as failed). */
  private onRoute(ev: RouteEventRoute, unusable = false): void {
    const table = vppTable(ev.table, this.opts.tableMap);
    const e = this.store.routes.lookup(table, ev.prefix, ev.op === 'add' || unusable);
    // before the route changes: a route held by a stale wait is found under its old protocol
    this.resync.seen(e?.slot.info ?? this.store.routes.tableInfo(ev.family, table), ev.protocol, e, ev.prefix, ev.table);
    if (!e) return; // a delete of a route fibmgr does not have
    e.proto = ev.protocol;
    e.zebraTable = ev.table;
    if (ev.op === 'del') {
      // a delete is not answered; an add that cannot be used is, as failed
      setWire(e, unusable ? ev : null);
      if (unusable) {
        oweAnswer(e, 'failed');
        this.notes.note(e);
      } else oweNothing(e);
      this.setWant(e, null, 0, true);
      return;
    }
    // a reason found on the route itself comes before its next hops' translation, which all
    // routes through the same next hops share (not-installed.ts)
    const why = routeReason(ev, this.opts);
    const hops = why === null ? this.store.hopsOf(ev) : null;
    const t = why ?? this.store.translate(ev, hops);
    setWire(e, ev);
    oweAnswer(e, typeof t !== 'string' ? null : zebraTold(t));
    // a route not installed is noted before setWant: wanting nothing, it stays in the table until reported
    if (typeof t === 'string') {
      this.notes.note(e);
      this.leftOut.note(t, table, ev);
      this.notInstalled.note(ev, table, t);
      // an unmappable route keeps its next hops: a new interface map may install it
      this.setWant(e, null, ev.nhg ?? 0, true, t === 'unmappable-nexthop' ? hops : null);
      return;
    }
    // a route left out had no entry wanting anything: only such a route may be in the record
    if (e.want === null) this.notInstalled.forget(table, ev.prefix);
    this.setWant(e, t, ev.nhg ?? 0, true, hops);
    // installed already (an unchanged replay): say so now; otherwise the write's completion will
    if (e.want === e.have && !isSending(e)) this.notes.note(e);
  }

  /**
   * A route message fibmgr could not use: the route cannot be installed as zebra sent it, and
   * whatever version VPP holds is no longer zebra's. It goes, as a delete would.
   */
  private onUnusable(ev: ErrorEvent): void {
    const r = ev.route!;
    if (r.src) return this.onSourceSpecific(ev);
    const table = vppTable(r.table, this.opts.tableMap);
    this.leftOut.note('unusable-message', table, r);
    this.notInstalled.note(r, table, 'unusable-message', `${ev.what}: ${ev.reason}`);
    // zebra did speak of the route (its table and protocol count for the resync as any message's)
    this.onRoute({ kind: 'route', op: 'del', family: r.family, table: r.table, prefix: r.prefix, type: r.type, protocol: r.protocol, protocolId: r.protocolId, metric: 0, nhg: null, nexthops: [] }, r.op === 'add');
  }

  /**
   * A source-specific route (IPv6, with a source prefix): VPP's routes have none, so it cannot be
   * installed; and it is not the route of its destination, which it therefore never touches.
   * Its add is counted, logged and reported to zebra as failed; its delete owes nothing.
   */
  private onSourceSpecific(ev: ErrorEvent): void {
    const r = ev.route!;
    const table = vppTable(r.table, this.opts.tableMap);
    // zebra did speak of the table and protocol (the resync counts them as any message's)
    this.resync.seen(this.store.routes.tableInfo(r.family, table), r.protocol, undefined, r.prefix, r.table);
    if (r.op === 'del') {
      this.notes.forgetSourceSpecific(r);
      return;
    }
    this.notes.failSourceSpecific(r);
    this.leftOut.note('source-specific', table, r);
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
      // a group's next hops and their translation, once per family (a group serves many routes)
      const byFamily: ({ hops: Hops | null; paths: PathSet | null } | undefined)[] = [];
      for (const e of this.store.byGroup.routes(id)) {
        if (e.want === null && e.hops === null) continue;
        if (g.unusable) {
          this.leftOut.note('unusable-message', e.slot.info.table, { prefix: this.store.routes.prefixOf(e), table: e.zebraTable, protocol: e.proto });
          // zebra was told it is installed: it is told it no longer is (a delete owes nothing, this does)
          oweAnswer(e, zebraTold('unusable-message'));
          this.notes.note(e);
          this.setWant(e, null, 0, false);
        } else {
          const family = e.slot.info.family;
          let t = byFamily[family];
          if (t === undefined) {
            const hops = this.store.groupHops(family, !!g.blackhole, g.resolved ?? []);
            byFamily[family] = t = { hops, paths: this.store.translateGroup(family, !!g.blackhole, hops) };
          }
          this.setWant(e, t.paths, id, false, t.hops);
        }
        n++;
      }
    }
    this.counters.nhgReresolved += n;
    if (n > 0) this.log.info({ groups: [...groups.keys()], routes: n }, 'nexthop groups changed: their routes re-resolved');
    this.writer.kick();
  }

  /**
   * VPP's interface map changed: the routes whose next hops name a changed interface are
   * translated again (one that maps now is installed, one that no longer maps goes), and zebra is
   * told what became of each.
   */
  private onInterfacesChanged(changed: ReadonlySet<number>): void {
    let installable = 0;
    let unmappable = 0;
    for (const e of this.store.interfacesChanged(changed)) {
      const t = this.store.resolve(e.hops!);
      const ps = typeof t === 'string' ? null : t;
      if (ps === e.want) continue;
      oweAnswer(e, typeof t !== 'string' ? null : zebraTold(t));
      if (typeof t === 'string') {
        unmappable++;
        const r = { prefix: this.store.routes.prefixOf(e), table: e.zebraTable, type: 'unicast' as const, protocol: e.proto, nexthops: e.hops!.nexthops };
        // logged once for all of them, below
        this.leftOut.note(t, e.slot.info.table, r, false);
        this.notInstalled.note(r, e.slot.info.table, t);
        this.notes.note(e);
      } else {
        installable++;
        this.notInstalled.forget(e.slot.info.table, this.store.routes.prefixOf(e));
      }
      // a group id of an older zebra session means nothing now (group-index.ts): it is not kept
      this.setWant(e, ps, e.gen === this.gen ? e.nhg : 0, false, e.hops);
    }
    this.log.info({ changed: [...changed], installable, unmappable }, 'interface map changed: the routes through the changed interfaces were translated again');
    this.writer.kick();
  }

  /**
   * The resync is over: an unmappable route zebra's replay did not confirm, in a table the replay
   * mentioned, is no longer zebra's (the sweep only looks at routes that want something).
   */
  private forgetUnconfirmedUnmapped(): void {
    // zebra's unmappable routes are those that want nothing yet keep their next hops (route-state.ts);
    // with none (as a rule), a million entries need no walk
    if (this.store.unmappable === 0) return;
    const gone: Entry[] = [];
    this.store.routes.forEach((e) => {
      if (e.want === null && e.hops !== null && e.gen < this.gen && e.slot.info.seenGen === this.gen) gone.push(e);
    });
    for (const e of gone) this.setWant(e, null, 0, false);
  }

  /** `nhg`: the group the route names; `confirm`: zebra sent it (in this session's replay); `hops`: its next hops (route-state.ts). */
  private setWant(e: Entry, ps: PathSet | null, nhg: number, confirm: boolean, hops: Hops | null = null): void {
    if (confirm) this.store.confirm(e);
    if (this.store.want(e, ps, nhg, hops)) this.writer.wantChanged(e);
    else if (ps === null) this.store.dropIfEmpty(e, 'in-flight');
  }

  // --- the operator: sweep, show route, audit ---------------------------------------------------

  /** `fibmgr sweep`: the operator ends the wait now. Returns the routes swept, or null without a resync. */
  sweepNow(): { swept: number; kept: number } | null {
    const routes = this.resync.sweepNow();
    const lsps = this.lsps.sweepHeld();
    if (lsps > 0 && !this.resync.active) {
      this.lspSweep?.cancel();
      this.lspSweep = null;
    }
    if (routes === null) return lsps > 0 ? { swept: lsps, kept: 0 } : null;
    return { swept: routes.swept + lsps, kept: routes.kept };
  }

  /**
   * `fibmgr show route`: a prefix (any spelling, an address without a length is a host route) in
   * zebra's table `zebraTable`: what fibmgr knows of it and what VPP holds there (one lookup).
   */
  async showRoute(text: string, zebraTable: number): Promise<RouteExplain & { zebraTable: number; vpp: { source: number; ours: boolean; paths: string } | null | string }> {
    const p = routeOf(text);
    const table = vppTable(zebraTable, this.opts.tableMap);
    const out = this.explain(table, p);
    let vpp: { source: number; ours: boolean; paths: string } | null | string;
    if (!this.port.lookupRoute) vpp = 'this VPP port cannot look routes up (dry run)';
    else if (!this.port.connected) vpp = 'VPP is not connected';
    else {
      try {
        const r = await this.port.lookupRoute(table, p);
        vpp = r && { source: r.source, ours: r.ours, paths: pathsKey(r.paths) };
      } catch (err) {
        vpp = `lookup failed: ${(err as Error).message}`;
      }
    }
    return { ...out, zebraTable, vpp };
  }

  /** What fibmgr knows of one LSP (its incoming label). */
  explainLabel(label: number): ReturnType<LspSync['explain']> {
    return this.lsps.explain(label);
  }

  /** `fibmgr show label N`: what fibmgr knows of one LSP and what VPP's MPLS table holds for it. */
  async showLabel(label: number): Promise<ReturnType<LspSync['explain']> & { vpp: { eos: string | null; neos: string | null } | string }> {
    return { ...this.lsps.explain(label), vpp: await this.lsps.vppOf(label) };
  }

  /** What fibmgr knows of one route: zebra's version, the paths wanted and installed, pending work, errors. */
  explain(table: number, prefix: Prefix): RouteExplain {
    const e = this.store.routes.lookup(table, prefix, false);
    const retry = e ? this.writer.retryOf(e) : { tries: 0, error: null };
    return explainRoute(table, prefix, e, this.notInstalled.get(table, prefix), retry.tries, retry.error);
  }

  async audit(opts: { repair: boolean; maxDrift?: number; quietWaitMs?: number }): Promise<AuditResult> {
    const r = await this.fibAudit.run(opts);
    if (!r.ok) return r;
    try {
      const lsps = await this.lsps.audit(opts.repair, opts.maxDrift ?? 20);
      if (lsps) {
        r.lsps = lsps;
        this.counters.drift.missing += lsps.missing;
        this.counters.drift.extra += lsps.extra;
        this.counters.drift.different += lsps.different;
      }
    } catch (err) {
      r.ok = false;
      r.error = `reading VPP's MPLS table failed: ${(err as Error).message}`;
    }
    return r;
  }

  /** An audit's repair: VPP's view becomes the installed state; the queue then makes it what zebra wants. */
  private adoptHave(e: Entry, vpp: PathSet | null): boolean {
    if (!isWriteIdle(e)) return false; // work arrived meanwhile: it decides
    this.store.have(e, vpp);
    this.writer.schedule(e);
    return true;
  }

  // --- state, idleness, shutdown -----------------------------------------------------------------

  get backlog(): number {
    return this.writer.backlog;
  }

  private settled(): void {
    if (this.idleWaiters.length && this.isIdle()) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const cb of w) cb();
    }
  }

  private isIdle(): boolean {
    return this.vpp.ready && this.writer.backlog === 0 && this.writer.waitingForTables === 0 && this.writer.retrying === 0 && !this.resync.active && this.pendingNhg.size === 0 && this.lsps.idle;
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
      vppReady: this.vpp.ready,
      ownership: this.vpp.ownership,
      routes: this.store.routes.size,
      desired: this.store.desired,
      installed: this.store.installed,
      backlog: this.writer.backlog,
      inflight: this.writer.inflight,
      retrying: this.writer.retrying,
      waitingForTables: this.writer.waitingForTables,
      failingTables: this.writer.failingTables(),
      pathSets: this.store.sets.size,
      congested: this.writer.congested,
      counters: this.counters,
      lastResync: this.resync.last,
      stale: this.resync.state(),
      lastErrors: [...this.writer.lastErrors],
      lastAudit: this.fibAudit.last,
      auditChecked: this.fibAudit.dumping ? this.fibAudit.checked : null,
      adopting: this.vpp.adopting ? this.vpp.adopting.installed : null,
      lsps: this.lsps.state(),
    };
  }

  /** Routes per VPP table and family: wanted and installed (for /state and metrics). */
  perTable(): { family: Family; table: number; desired: number; installed: number }[] {
    return this.store.perTable();
  }

  /**
   * Stops: no new writes; waits for those in flight (up to timeoutMs). VPP keeps our routes
   * unless `flush`, which removes every route fibmgr installed first.
   */
  async stop(opts: { flush?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.resync.stop();
    this.lspSweep?.cancel();
    this.lsps.stop();
    await this.writer.stop({ flush: opts.flush ?? false, timeoutMs: opts.timeoutMs ?? 30_000 });
  }
}
