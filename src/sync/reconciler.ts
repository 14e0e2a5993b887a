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
import type { RouteSink } from '../route/sink.js';
import type { Family, NexthopGroupEvent, RouteEvent, RouteEventRoute } from '../route/types.js';
import { PathSets, type PathSet } from './path-sets.js';
import { translate, translatePaths, type SkipReason } from './translate.js';
import type { Ownership, VppPort, VppRouteSpec } from './vpp-port.js';

export { parseTableMap } from './translate.js';

export interface ReconcilerOptions {
  tableMap: ReadonlyMap<number, number>;
  installConnected: boolean;
  /** Quiet period that ends zebra's replay (it sends no end marker). */
  resyncGraceMs: number;
  /** Pending changes past which FPM reading pauses. */
  maxBacklog: number;
  logger: Logger;
  /** Writes in flight at once (default 4096). */
  window?: number;
  /** How long a delete waits for an add of the same prefix (default 50 ms). */
  deleteHoldMs?: number;
  /** Retry backoff after a VPP error on a route (default 200 ms doubling to 30 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

interface Entry {
  /** What zebra wants here (null: nothing). */
  want: PathSet | null;
  /** What VPP holds here from fibmgr, as far as fibmgr knows. */
  have: PathSet | null;
  /** The set in flight to VPP (null: a delete), undefined when nothing is. */
  sending: PathSet | null | undefined;
  /** The resync generation that last confirmed this route (0: adopted from VPP at start). */
  gen: number;
  /** The nexthop group the route refers to (0: none), so a changed group re-resolves it. */
  nhg: number;
  /** Failed writes in a row. */
  tries: number;
}

interface Resync {
  session: number;
  gen: number;
  startedAt: number;
  /** "family|table" of every table the replay touched. */
  seen: Set<string>;
  writesAtStart: number;
  timer: NodeJS.Timeout | null;
}

export interface ReconcilerCounters {
  replaces: number;
  removes: number;
  errors: number;
  retries: number;
  skipped: Record<SkipReason, number>;
  partialPaths: number;
  nhgReresolved: number;
  resyncs: number;
  swept: number;
  keptUntouched: number;
}

export interface ReconcilerState {
  session: number | null;
  resyncing: boolean;
  vppReady: boolean;
  ownership: Ownership | null;
  routes: number;
  desired: number;
  installed: number;
  backlog: number;
  inflight: number;
  retrying: number;
  pathSets: number;
  congested: boolean;
  counters: ReconcilerCounters;
  lastResync: { session: number; durationMs: number; refreshed: number; swept: number; kept: number; writes: number } | null;
  lastErrors: { route: string; error: string; at: string }[];
}

const keyOf = (table: number, prefix: string) => `${table}|${prefix}`;
const familyOfKey = (key: string): Family => (key.includes(':') ? 6 : 4);
function splitKey(key: string): { table: number; prefix: string } {
  const bar = key.indexOf('|');
  return { table: Number(key.slice(0, bar)), prefix: key.slice(bar + 1) };
}

export class Reconciler implements RouteSink {
  private readonly port: VppPort;
  private readonly opts: Required<Omit<ReconcilerOptions, 'logger' | 'tableMap'>> & Pick<ReconcilerOptions, 'tableMap'>;
  private readonly log: Logger;
  private readonly sets = new PathSets();
  private readonly entries = new Map<string, Entry>();
  /** Keys whose wanted set differs from VPP's, in arrival order. */
  private readonly adds = new Set<string>();
  /** Keys to delete → when (held for a following add). */
  private readonly dels = new Map<string, number>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly tablesReady = new Set<string>();
  /** "family|table" → keys waiting for that table to be created. */
  private readonly tableWaiters = new Map<string, Set<string>>();
  private parked = 0;
  private inflight = 0;
  private desired = 0;
  private installed = 0;
  private gen = 0;
  private session: number | null = null;
  private resync: Resync | null = null;
  private vppReady = false;
  private preparing: Promise<void> | null = null;
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
  private lastResync: ReconcilerState['lastResync'] = null;
  private readonly lastErrors: ReconcilerState['lastErrors'] = [];
  readonly counters: ReconcilerCounters = {
    replaces: 0, removes: 0, errors: 0, retries: 0,
    skipped: { connected: 0, 'unmappable-nexthop': 0, 'no-nexthops': 0 },
    partialPaths: 0, nhgReresolved: 0, resyncs: 0, swept: 0, keptUntouched: 0,
  };
  private readonly pumpBound = () => this.pump();

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
    };
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
    if (this.resync?.timer) clearTimeout(this.resync.timer);
    this.session = sessionId;
    this.gen++;
    this.counters.resyncs++;
    this.unmappableLogged = 0;
    this.resync = { session: sessionId, gen: this.gen, startedAt: Date.now(), seen: new Set(), writesAtStart: this.writes, timer: null };
    this.armGrace();
    this.log.info({ session: sessionId, routes: this.desired, graceMs: this.opts.resyncGraceMs }, 'zebra session up: resync started, routes not replayed are removed after a quiet period');
  }

  sessionEnd(sessionId: number, reason: string): void {
    if (this.session === sessionId) this.session = null;
    if (this.resync?.session === sessionId) {
      if (this.resync.timer) clearTimeout(this.resync.timer);
      this.resync = null;
      this.log.warn({ session: sessionId, reason }, 'zebra session ended during its replay: stale routes are kept until the next replay');
    }
  }

  apply(sessionId: number, events: RouteEvent[]): void {
    for (const ev of events) {
      if (ev.kind === 'route') this.onRoute(ev);
      else if (ev.kind === 'nexthop-group' && ev.op === 'add' && ev.replaced && ev.resolved) this.onGroupChange(ev);
    }
    if (this.resync?.session === sessionId) this.armGrace();
    if (this.backlog > this.opts.maxBacklog && !this.paused) {
      this.paused = true;
      this.log.info({ backlog: this.backlog, maxBacklog: this.opts.maxBacklog }, 'backlog full: FPM reading paused until VPP catches up');
    }
    this.kick();
  }

  get congested(): boolean {
    return this.paused;
  }

  onDrain(cb: () => void): void {
    this.drainCbs.push(cb);
  }

  // --- events → wanted state -----------------------------------------------------------------

  private onRoute(ev: RouteEventRoute): void {
    const t = translate(ev, { tableMap: this.opts.tableMap, installConnected: this.opts.installConnected, interfaceFor: (i) => this.port.interfaceFor(i) });
    const key = keyOf(t.table, ev.prefix);
    this.resync?.seen.add(`${ev.family}|${t.table}`);
    if (ev.op === 'del') {
      this.setWant(key, null, 0);
      return;
    }
    if (!t.ok) {
      this.counters.skipped[t.reason]++;
      if (t.reason === 'unmappable-nexthop' || t.reason === 'no-nexthops') {
        const fields = { route: `${t.table} ${ev.prefix}`, zebraTable: ev.table, reason: t.reason, detail: t.detail, nexthops: ev.nexthops };
        if (this.unmappableLogged++ < 200) this.log.warn(fields, 'route not installed: its next hops are not mapped to VPP interfaces (see --interface-map, linux-cp)');
        else this.log.debug(fields, 'route not installed');
      }
      this.setWant(key, null, 0);
      return;
    }
    if (t.dropped > 0) {
      this.counters.partialPaths++;
      this.log.warn({ route: `${t.table} ${ev.prefix}`, dropped: t.dropped, kept: t.paths.length }, 'route installed without its unmapped interface-only next hops');
    }
    this.setWant(key, this.sets.intern(t.paths), ev.nhg ?? 0);
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
    for (const [key, e] of this.entries) {
      if (e.nhg === 0 || e.want === null) continue;
      const g = groups.get(e.nhg);
      if (!g) continue;
      const t = translatePaths(familyOfKey(key), g.blackhole ? 'blackhole' : 'unicast', g.resolved ?? [], { interfaceFor: (i) => this.port.interfaceFor(i) });
      this.setWant(key, t.ok ? this.sets.intern(t.paths) : null, t.ok ? e.nhg : 0, false);
      n++;
    }
    this.counters.nhgReresolved += n;
    if (n > 0) this.log.info({ groups: [...groups.keys()], routes: n }, 'nexthop groups changed: their routes re-resolved');
    this.kick();
  }

  private setWant(key: string, ps: PathSet | null, nhg: number, confirm = true): void {
    let e = this.entries.get(key);
    if (!e) {
      if (ps === null) return;
      e = { want: null, have: null, sending: undefined, gen: this.gen, nhg: 0, tries: 0 };
      this.entries.set(key, e);
    }
    if (confirm) e.gen = this.gen;
    e.nhg = nhg;
    if (e.want === ps) return;
    this.sets.ref(ps);
    this.sets.unref(e.want);
    if (e.want === null) this.desired++;
    if (ps === null) this.desired--;
    e.want = ps;
    const retry = this.retryTimers.get(key);
    if (retry) {
      // a new wish replaces the one that kept failing
      clearTimeout(retry);
      this.retryTimers.delete(key);
      e.tries = 0;
    }
    this.schedule(key, e);
  }

  private schedule(key: string, e: Entry): void {
    if (e.sending !== undefined || this.retryTimers.has(key)) return; // completion / retry re-checks
    if (e.want === e.have) {
      this.adds.delete(key);
      this.dels.delete(key);
      if (e.want === null) this.entries.delete(key);
      return;
    }
    if (e.want === null) {
      this.adds.delete(key);
      if (!this.dels.has(key)) this.dels.set(key, Date.now() + this.opts.deleteHoldMs);
    } else {
      this.dels.delete(key);
      this.adds.add(key);
    }
  }

  // --- writing ---------------------------------------------------------------------------------

  private kick(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pumpBound);
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.vppReady && this.port.connected && !this.stopping) {
      for (const key of this.adds) {
        if (this.inflight >= this.opts.window) break;
        this.adds.delete(key);
        const e = this.entries.get(key);
        if (!e || e.sending !== undefined || e.want === null || e.want === e.have) continue;
        const { table, prefix } = splitKey(key);
        const family = familyOfKey(key);
        if (table !== 0 && !this.tablesReady.has(`${family}|${table}`)) {
          this.waitForTable(family, table, key);
          continue;
        }
        this.send(key, e, { family, table, prefix, paths: e.want.paths as VppRouteSpec['paths'] });
      }
      const now = Date.now();
      for (const [key, due] of this.dels) {
        if (this.inflight >= this.opts.window) break;
        if (due > now) {
          if (!this.delTimer) {
            this.delTimer = setTimeout(() => {
              this.delTimer = null;
              this.kick();
            }, due - now);
          }
          break;
        }
        this.dels.delete(key);
        const e = this.entries.get(key);
        if (!e || e.sending !== undefined || e.want !== null || e.have === null) continue;
        this.send(key, e, null);
      }
    }
    this.checkDrain();
  }

  private send(key: string, e: Entry, spec: VppRouteSpec | null): void {
    e.sending = spec ? e.want : null;
    this.inflight++;
    this.writes++;
    const done = (err: Error | null) => this.complete(key, e, err);
    if (spec) {
      this.counters.replaces++;
      this.port.replace(spec, done);
    } else {
      this.counters.removes++;
      const { table, prefix } = splitKey(key);
      this.port.remove(familyOfKey(key), table, prefix, done);
    }
  }

  private complete(key: string, e: Entry, err: Error | null): void {
    this.inflight--;
    const sent = e.sending ?? null;
    e.sending = undefined;
    if (!err) {
      if (e.have !== sent) {
        this.sets.ref(sent);
        this.sets.unref(e.have);
        if (e.have === null) this.installed++;
        if (sent === null) this.installed--;
        e.have = sent;
      }
      e.tries = 0;
    } else if (err.name === 'VppDisconnectedError' || !this.port.connected || !this.vppReady || this.stopping) {
      // Lost with the VPP session: the diff after the reconnect redoes it. Not rescheduled here,
      // so that a session going down cannot spin the pump.
      this.kick();
      return;
    } else {
      // VPP refused this one route: log it with the route, retry later, let the rest go on.
      e.tries++;
      this.counters.errors++;
      const delay = Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(e.tries - 1, 20));
      const route = key.replace('|', ' ');
      this.log.warn({ route, op: sent ? 'replace' : 'delete', paths: sent?.key, err: err.message, attempt: e.tries, retryInMs: delay }, 'VPP refused a route write: retrying');
      this.lastErrors.push({ route, error: err.message, at: new Date().toISOString() });
      if (this.lastErrors.length > 20) this.lastErrors.shift();
      this.retryTimers.set(key, setTimeout(() => {
        this.retryTimers.delete(key);
        this.counters.retries++;
        if (this.entries.get(key) === e) this.schedule(key, e);
        this.kick();
      }, delay));
    }
    if (this.entries.get(key) === e) this.schedule(key, e);
    this.kick();
  }

  private waitForTable(family: Family, table: number, key: string): void {
    const tk = `${family}|${table}`;
    let waiting = this.tableWaiters.get(tk);
    if (waiting) {
      if (!waiting.has(key)) this.parked++;
      waiting.add(key);
      return;
    }
    waiting = new Set([key]);
    this.parked++;
    this.tableWaiters.set(tk, waiting);
    const attempt = (n: number) => {
      this.port.ensureTable(family, table).then(
        () => {
          this.tablesReady.add(tk);
          this.releaseTable(tk);
        },
        (err: Error) => {
          if (!this.vppReady || !this.port.connected) return this.releaseTable(tk); // redone after the reconnect
          const delay = Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(n, 20));
          this.log.warn({ family, table, err: err.message, retryInMs: delay }, 'could not create VPP table: retrying');
          setTimeout(() => attempt(n + 1), delay);
        },
      );
    };
    attempt(0);
  }

  private releaseTable(tk: string): void {
    const waiting = this.tableWaiters.get(tk);
    this.tableWaiters.delete(tk);
    if (!waiting) return;
    this.parked -= waiting.size;
    for (const key of waiting) {
      const e = this.entries.get(key);
      if (e) this.schedule(key, e);
    }
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
          const { ownership, installed } = await this.port.prepare();
          if (this.prepareAgain) continue;
          this.adopt(ownership, installed, initial);
          return;
        } catch (err) {
          const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
          this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'could not read VPP state: retrying');
          await new Promise((r) => setTimeout(r, delay));
          if (this.stopping) return;
        }
      }
    })().finally(() => {
      this.preparing = null;
    });
    return this.preparing;
  }

  /** VPP's routes of our source become the installed state; the diff against zebra's follows. */
  private adopt(ownership: Ownership, installed: VppRouteSpec[], initial: boolean): void {
    this.ownership = ownership;
    this.tablesReady.clear();
    for (const [tk] of this.tableWaiters) this.releaseTable(tk);
    for (const [key, t] of this.retryTimers) {
      clearTimeout(t);
      this.retryTimers.delete(key);
    }
    let kept = 0;
    for (const e of this.entries.values()) {
      e.tries = 0;
      // With the API source nothing of ours can be dumped: a route zebra deleted meanwhile is
      // still deleted (VPP answers 0 if it is already gone); everything wanted is rewritten.
      if (ownership.mode === 'api' && e.want === null && e.have !== null) {
        kept++;
        continue;
      }
      this.sets.unref(e.have);
      e.have = null;
    }
    this.installed = kept;
    let adopted = 0;
    for (const spec of installed) {
      const key = keyOf(spec.table, spec.prefix);
      let e = this.entries.get(key);
      if (!e) {
        e = { want: null, have: null, sending: undefined, gen: 0, nhg: 0, tries: 0 };
        this.entries.set(key, e);
        // At start fibmgr does not know zebra's table yet: keep VPP's routes until zebra's first
        // replay confirms or sweeps them. After a VPP reconnect zebra's table is known.
        if (initial) adopted++;
      }
      const ps = this.sets.ref(this.sets.intern(spec.paths))!;
      e.have = ps;
      this.installed++;
      if (initial && e.want === null && e.gen === 0) {
        this.sets.ref(ps);
        e.want = ps;
        this.desired++;
      }
      if (spec.table !== 0) this.tablesReady.add(`${spec.family}|${spec.table}`);
    }
    this.adds.clear();
    this.dels.clear();
    let toWrite = 0;
    for (const [key, e] of this.entries) {
      if (e.want !== e.have) toWrite++;
      this.schedule(key, e);
    }
    this.vppReady = true;
    this.log.info({ ownership: ownership.mode, source: ownership.sourceId, installed: installed.length, adopted, desired: this.desired, toWrite }, initial ? 'VPP ready: adopted our routes' : 'VPP back: diffing zebra\'s table against VPP\'s');
    this.kick();
  }

  // --- resync ----------------------------------------------------------------------------------

  private armGrace(): void {
    const r = this.resync;
    if (!r) return;
    if (r.timer) clearTimeout(r.timer);
    r.timer = setTimeout(() => this.endResync(), this.opts.resyncGraceMs);
  }

  private endResync(): void {
    const r = this.resync;
    if (!r) return;
    // While the backlog holds the FPM socket, zebra's quiet is ours: wait for real quiet.
    if (this.paused) return this.armGrace();
    this.resync = null;
    let refreshed = 0;
    let swept = 0;
    let kept = 0;
    const untouched = new Set<string>();
    const stale: string[] = [];
    for (const [key, e] of this.entries) {
      if (e.want === null) continue;
      if (e.gen >= r.gen) {
        refreshed++;
        continue;
      }
      const { table } = splitKey(key);
      const tk = `${familyOfKey(key)}|${table}`;
      if (!r.seen.has(tk)) {
        kept++;
        untouched.add(tk);
        continue;
      }
      stale.push(key);
    }
    for (const key of stale) {
      this.setWant(key, null, 0, false);
      swept++;
    }
    this.counters.swept += swept;
    this.counters.keptUntouched += kept;
    const durationMs = Date.now() - r.startedAt - this.opts.resyncGraceMs;
    const writes = this.writes - r.writesAtStart;
    this.lastResync = { session: r.session, durationMs, refreshed, swept, kept, writes };
    this.log.info({ session: r.session, refreshed, swept, kept, writes, durationMs: Math.max(0, durationMs), graceMs: this.opts.resyncGraceMs }, 'resync done');
    if (kept > 0) {
      this.log.warn({ session: r.session, kept, tables: [...untouched] }, 'routes in tables the replay did not mention were kept (zebra does not replay routes of other tables after an FPM reconnect)');
    }
    this.kick();
  }

  // --- backpressure, state, shutdown -----------------------------------------------------------

  get backlog(): number {
    return this.adds.size + this.dels.size + this.parked + this.inflight;
  }

  private checkDrain(): void {
    const backlog = this.backlog;
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
    return this.vppReady && this.backlog === 0 && this.retryTimers.size === 0 && this.resync === null && this.pendingNhg.size === 0;
  }

  /** Resolves when nothing is pending: no backlog, no retries, no resync under way. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  state(): ReconcilerState {
    return {
      session: this.session,
      resyncing: this.resync !== null,
      vppReady: this.vppReady,
      ownership: this.ownership,
      routes: this.entries.size,
      desired: this.desired,
      installed: this.installed,
      backlog: this.backlog,
      inflight: this.inflight,
      retrying: this.retryTimers.size,
      pathSets: this.sets.size,
      congested: this.paused,
      counters: this.counters,
      lastResync: this.lastResync,
      lastErrors: [...this.lastErrors],
    };
  }

  /** Routes per VPP table and family: wanted and installed (for /state and metrics). */
  perTable(): { family: Family; table: number; desired: number; installed: number }[] {
    const m = new Map<string, { family: Family; table: number; desired: number; installed: number }>();
    for (const [key, e] of this.entries) {
      const family = familyOfKey(key);
      const { table } = splitKey(key);
      const tk = `${family}|${table}`;
      let row = m.get(tk);
      if (!row) m.set(tk, (row = { family, table, desired: 0, installed: 0 }));
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
    if (this.resync?.timer) clearTimeout(this.resync.timer);
    this.resync = null;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    if (this.delTimer) clearTimeout(this.delTimer);
    this.adds.clear();
    this.dels.clear();
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    const settle = async () => {
      while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await settle();
    if (opts.flush && this.vppReady && this.port.connected) {
      let n = 0;
      for (const [key, e] of this.entries) {
        if (e.have === null || e.sending !== undefined) continue;
        this.sets.unref(e.want);
        if (e.want) this.desired--;
        e.want = null;
        this.send(key, e, null);
        n++;
        while (this.inflight >= this.opts.window && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      }
      await settle();
      this.log.info({ removed: n }, 'flushed our routes from VPP');
    }
  }
}
