// The zebra-session state machine of the sync layer: no resync → replaying (until zebra's replay
// goes quiet for the grace period) → swept and done (the replay is evidently complete, stale-rule.ts)
// or → stale-wait (zebra restarted: routes it has not confirmed keep forwarding until it refreshes
// or deletes each, the stale time ends, or the operator sweeps) → swept and done. A new session
// during a resync starts replaying again and keeps the stale deadline. Each route carries the
// generation of the session that last confirmed it (Entry.gen); each table, the generation whose
// replay mentioned it (TableInfo.seenGen): tables a replay never mentions are kept.
import type { Logger } from '../log.js';
import { wallText, type Clock, type Timer } from './clock.js';
import type { ReconcilerState, StaleState } from './reconciler-types.js';
import type { Entry, RouteTable, TableInfo } from './route-table.js';
import { replayVerdict } from './stale-rule.js';

type LastResync = NonNullable<ReconcilerState['lastResync']>;

interface Resync {
  session: number;
  gen: number;
  phase: 'replaying' | 'stale-wait';
  startedAt: number;
  writesAtStart: number;
  grace: Timer | null;
  /** Protocols of the routes this session's replay confirmed. */
  protocols: Set<string>;
  /** When routes first went unconfirmed (kept across sessions that follow each other). */
  staleSince: number;
  /** When the stale wait ends at the latest. */
  deadline: number;
  staleTimer: Timer | null;
  /** Stale routes still held (stale-wait only). */
  stale: number;
  missing: string[];
}

interface Found {
  stale: Entry[];
  refreshed: number;
  kept: number;
  untouched: Set<string>;
  byProto: Map<string, number>;
}

export interface ResyncHost {
  readonly routes: RouteTable;
  readonly clock: Clock;
  readonly log: Logger;
  readonly graceMs: number;
  readonly staleTimeMs: number;
  /** Route writes sent so far (a resync reports the writes it needed). */
  writes(): number;
  /** Routes wanted now (for the start line). */
  desired(): number;
  /** True while the backlog holds zebra's socket: zebra's quiet is then ours. */
  congested(): boolean;
  /** Sweeps one stale route (it then wants nothing). */
  sweep(e: Entry): void;
  /** Counts swept and kept routes. */
  counted(swept: number, kept: number): void;
  done(r: LastResync): void;
  kick(): void;
}

export class ResyncFsm {
  private r: Resync | null = null;
  last: LastResync | null = null;

  constructor(private readonly h: ResyncHost) {}

  /** A resync is under way (replaying or in its stale wait). */
  get active(): boolean {
    return this.r !== null;
  }

  /** A new zebra session with generation `gen`: its replay begins. */
  begin(session: number, gen: number): void {
    const prev = this.r;
    prev?.grace?.cancel();
    prev?.staleTimer?.cancel();
    const now = this.h.clock.now();
    // A session that follows one still in its stale wait inherits its deadline: reconnecting
    // does not stretch how long unconfirmed routes may forward.
    const staleSince = prev ? prev.staleSince : now;
    const deadline = prev ? prev.deadline : now + this.h.staleTimeMs;
    this.r = {
      session, gen, phase: 'replaying', startedAt: now, writesAtStart: this.h.writes(), grace: null,
      protocols: new Set(), staleSince, deadline, staleTimer: null, stale: 0, missing: [],
    };
    this.armGrace();
    this.h.log.info({ session, routes: this.h.desired(), graceMs: this.h.graceMs, staleTimeMs: this.h.staleTimeMs }, 'zebra session up: resync started (routes the replay does not confirm are swept once it is complete, or when the stale time ends)');
  }

  end(session: number, reason: string): void {
    const r = this.r;
    if (r?.session === session && r.phase === 'replaying') {
      r.grace?.cancel();
      r.grace = null;
      this.h.log.warn({ session, reason, until: wallText(this.h.clock, r.deadline) }, 'zebra session ended during its replay: unconfirmed routes are kept until the next replay or the stale time ends');
    }
  }

  /** Zebra's session sent something: its replay is not quiet yet. */
  activity(session: number): void {
    if (this.r?.session === session && this.r.phase === 'replaying') this.armGrace();
  }

  /** A route event of the replay: its table and protocol count as mentioned. */
  seen(info: TableInfo, protocol: string): void {
    const r = this.r;
    if (!r) return;
    info.seenGen = r.gen;
    r.protocols.add(protocol);
  }

  /** A route (wanted, older than this session) was confirmed: the stale wait may be over. */
  confirmed(e: Entry): void {
    const r = this.r;
    if (r !== null && r.phase === 'stale-wait' && e.gen < r.gen && e.want !== null && --r.stale === 0) this.h.clock.after(0, () => this.staleConfirmed());
  }

  /** `fibmgr sweep`: the operator ends the wait now. The routes swept, or null without a resync. */
  sweepNow(): { swept: number; kept: number } | null {
    const r = this.r;
    if (!r) return null;
    const found = this.staleOf(r);
    this.finish(r, found, 'operator sweep');
    return { swept: found.stale.length, kept: found.kept };
  }

  state(): StaleState | null {
    const r = this.r;
    if (!r) return null;
    return {
      phase: r.phase, held: r.phase === 'stale-wait' ? r.stale : 0, since: wallText(this.h.clock, r.staleSince),
      until: wallText(this.h.clock, r.deadline), missing: r.missing,
    };
  }

  stop(): void {
    this.r?.grace?.cancel();
    this.r?.staleTimer?.cancel();
    this.r = null;
  }

  private armGrace(): void {
    const r = this.r;
    if (!r || r.phase !== 'replaying') return;
    r.grace?.cancel();
    r.grace = this.h.clock.after(this.h.graceMs, () => this.replayQuiet());
  }

  private armStaleTimer(): void {
    const r = this.r;
    if (!r) return;
    r.staleTimer?.cancel();
    r.staleTimer = this.h.clock.after(Math.max(0, r.deadline - this.h.clock.now()), () => this.staleTimeUp());
  }

  /** Stale routes of a resync, in tables its replay mentioned; and those kept in tables it did not. */
  private staleOf(r: Resync): Found {
    let refreshed = 0;
    let kept = 0;
    const untouched = new Set<string>();
    const stale: Entry[] = [];
    const byProto = new Map<string, number>();
    this.h.routes.forEach((e) => {
      if (e.want === null) return;
      if (e.gen >= r.gen) {
        refreshed++;
        return;
      }
      if (e.slot.info.seenGen !== r.gen) {
        kept++;
        untouched.add(e.slot.info.key);
        return;
      }
      stale.push(e);
      byProto.set(e.proto, (byProto.get(e.proto) ?? 0) + 1);
    });
    return { stale, refreshed, kept, untouched, byProto };
  }

  /** The replay went quiet for the grace period: sweep now if it is evidently complete, else wait. */
  private replayQuiet(): void {
    const r = this.r;
    if (!r || r.phase !== 'replaying') return;
    r.grace = null;
    // While the backlog holds the FPM socket, zebra's quiet is ours: wait for real quiet.
    if (this.h.congested()) return this.armGrace();
    const found = this.staleOf(r);
    const verdict = replayVerdict({ stale: found.byProto, replayed: r.protocols });
    if (verdict.complete) return this.finish(r, found, 'replay complete');
    if (this.h.clock.now() >= r.deadline) return this.finish(r, found, 'stale time ended');
    r.phase = 'stale-wait';
    r.stale = found.stale.length;
    r.missing = verdict.missing;
    this.armStaleTimer();
    this.h.log.info({
      session: r.session, stale: r.stale, refreshed: found.refreshed, missing: verdict.missing,
      byProtocol: Object.fromEntries(found.byProto), until: wallText(this.h.clock, r.deadline),
    }, 'stale wait started: zebra\'s replay lacks whole protocols (zebra restarted?); unconfirmed routes keep forwarding until zebra refreshes or deletes them, or the stale time ends');
    this.h.kick();
  }

  /** Every stale route was refreshed or deleted (as counted): recount, and end the wait if so. */
  private staleConfirmed(): void {
    const r = this.r;
    if (!r || r.phase !== 'stale-wait' || r.stale > 0) return;
    const found = this.staleOf(r);
    if (found.stale.length === 0) return this.finish(r, found, 'every stale route confirmed');
    r.stale = found.stale.length;
  }

  private staleTimeUp(): void {
    const r = this.r;
    if (!r) return;
    r.staleTimer = null;
    if (r.phase === 'replaying' && r.grace !== null) {
      // zebra is still replaying: the quiet period decides, now with no time left to wait
      r.deadline = this.h.clock.now();
      return;
    }
    this.finish(r, this.staleOf(r), 'stale time ended');
  }

  private finish(r: Resync, found: Found, why: string): void {
    r.grace?.cancel();
    r.staleTimer?.cancel();
    this.r = null;
    const { stale, refreshed, kept, untouched } = found;
    for (const e of stale) this.h.sweep(e);
    const swept = stale.length;
    this.h.counted(swept, kept);
    const now = this.h.clock.now();
    const grace = this.h.graceMs;
    const staleWaitMs = r.phase === 'stale-wait' ? Math.max(0, now - r.staleSince - grace) : 0;
    const durationMs = r.phase === 'stale-wait' ? Math.max(0, now - r.startedAt) : Math.max(0, now - r.startedAt - grace);
    const writes = this.h.writes() - r.writesAtStart;
    this.last = { session: r.session, durationMs, refreshed, swept, kept, writes, staleWaitMs };
    this.h.log.info({ session: r.session, why, refreshed, swept, kept, writes, durationMs, staleWaitMs, graceMs: grace }, r.phase === 'stale-wait' ? 'stale wait ended: resync done' : 'resync done');
    this.h.done(this.last);
    if (kept > 0) {
      this.h.log.warn({ session: r.session, kept, tables: [...untouched] }, 'routes in tables the replay did not mention were kept (zebra does not replay routes of other tables after an FPM reconnect)');
    }
    this.h.kick();
  }
}
