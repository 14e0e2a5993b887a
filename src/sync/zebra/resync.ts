// zebra's sessions as the sync layer sees them: a state machine of three explicit states, one
// function per state that takes an event and returns the next state with a typed reason
// (GoBGP's FSM style):
//
//   in-sync ──session up──▶ replaying ──first quiet period, or cut──▶ judged (stale-rule.ts):
//                              ▲                                       │ every group complete: swept
//                              │ session up (waits go on)              ├──────────────────────────▶ in-sync
//                              └──────────────────────────── stale-wait ◀┘ some group waits
//                                                              │ each wait ends when zebra confirms its
//                                                              │ routes, at its deadline, or `fibmgr sweep`
//                                                              └──no wait left (adoption done)──▶ in-sync
//
// A wait belongs to one group (VPP table, family, protocol) and holds the group's routes that no
// session has confirmed since `below` (Entry.gen < below) until its deadline. Waits outlive
// sessions: a new session never ends one by a fresh verdict; its own judgement continues it (a
// reconnect), or extends it to the new session's deadline (another restart, a cut replay). A
// deadline that passes while a session is replaying is decided at that replay's judgement (zebra
// may be re-sending those very routes). Tables a session first mentions after its judgement, and
// routes adopted from VPP after it (the initial dump may stream longer than zebra's replay), get
// waits of their own: nothing unconfirmed stays forever, nothing is swept before it had its time.
import type { Logger } from '../../log.js';
import { walkOrder } from '../../route/prefix.js';
import type { Prefix } from '../../route/types.js';
import { wallText, type Clock, type Timer } from '../clock.js';
import type { ReconcilerState, StaleState } from '../reconciler-types.js';
import type { Entry } from '../state/route-entry.js';
import type { RouteTable, TableInfo } from '../state/route-table.js';
import { judgeReplay, type GroupReplay, type SessionKind, type ZebraRelation } from './stale-rule.js';

type LastResync = NonNullable<ReconcilerState['lastResync']>;

export type ResyncPhase = 'in-sync' | 'replaying' | 'stale-wait';

/** Why the machine moved (logged with every transition). */
export type ResyncReason =
  | 'session-up'
  | 'replay-complete' // every group with unconfirmed routes was complete in the first burst
  | 'zebra-restarted' // another zebra process, or (zebra out of sight) a group missing from the first burst
  | 'unconfirmable' // groups whose protocol cannot show completeness (legacy `zebra`, adopted)
  | 'wait-continues' // a reconnect during a wait
  | 'replay-cut' // the session ended before its replay went quiet
  | 'adoption-streaming' // VPP's routes are still being adopted: routes may yet arrive to judge
  | 'late-table' // the live session first mentioned a table after its judgement
  | 'adopted-late' // the adoption ended after the judgement with routes no session confirmed
  | 'replay-walking' // complete groups, but zebra's walk had not reached some of their routes
  | 'replay-walked' // zebra's walk went past the routes still held (they were deleted)
  | 'stale-time-ended'
  | 'all-confirmed'
  | 'operator-sweep';

/** Why one group waits. */
export type WaitReason = 'zebra-restarted' | 'unconfirmable' | 'replay-cut' | 'late-table' | 'adopted' | 'not-walked-yet';

type ResyncEvent =
  | { kind: 'session-start'; session: number; gen: number; zebraProcess: string | null }
  | { kind: 'session-end'; session: number; reason: string }
  | { kind: 'quiet' }
  | { kind: 'walk-quiet' }
  | { kind: 'deadline' }
  | { kind: 'confirmed' }
  | { kind: 'adoption-done' }
  | { kind: 'late-table'; info: TableInfo }
  | { kind: 'sweep' };

interface Transition {
  next: ResyncPhase;
  reason: ResyncReason;
}

interface ZebraSession {
  readonly id: number;
  readonly gen: number;
  readonly startedAt: number;
  /** Its zebra against the last session's (stale-rule.ts). */
  readonly zebra: ZebraRelation;
  /** The zebra process it is from ("pid@start"), or null (not seen). */
  readonly zebraProcess: string | null;
  live: boolean;
  /** Its replay was judged (first quiet period, or cut). */
  judged: boolean;
  kind: SessionKind | null;
  /** Protocols its replay mentioned, per table it mentioned (TableInfo.seenGen says which). */
  readonly mentioned: Map<TableInfo, Set<string>>;
  /**
   * How far zebra's walk of each table has come, per VPP table and zebra table (several of
   * zebra's may share a VPP table): a replay that stalls inside a table is complete only up to there.
   */
  readonly walks: Map<TableInfo, Map<number, Walk>>;
  /**
   * Tables the session was seen to walk (two routes in walk order). In a reconnect, what the walk
   * has not reached waits only in these: one change zebra sends of a `table N` route during the
   * replay says nothing of the others (zebra never replays them), which are kept.
   */
  readonly walked: Set<TableInfo>;
  /** Tables first mentioned after the judgement, not yet seen walked. */
  readonly late: Set<TableInfo>;
  /** The table zebra's walk is in (the last whose reach moved). */
  walking: Walk | null;
  grace: Timer | null;
  /** The replay is judged at the stale time after the start at the latest (a churning zebra is never quiet). */
  cap: Timer | null;
}

/**
 * zebra's replay walks each table in walk order (walkOrder); a change zebra sends meanwhile may
 * name any prefix. `reach` is where the walk has surely come: a prefix past it counts only once
 * the next one mentioned comes after it (`next`) — one change out of order is not the walk.
 */
interface Walk {
  reach: Prefix | null;
  next: Prefix | null;
  /** The walk went on to another table: it has come through this one. */
  done: boolean;
}

interface Wait {
  readonly info: TableInfo;
  readonly protocol: string;
  /** Routes of the group wanted and confirmed by no session since generation `below` are held. */
  below: number;
  since: number;
  deadline: number;
  /** Routes held (recounted at every judgement; counted down as zebra confirms them). */
  held: number;
  why: WaitReason;
}

/** One resync: from leaving in-sync to coming back (what `lastResync` reports). */
interface Run {
  session: number;
  startedAt: number;
  writesAtStart: number;
  refreshed: number;
  swept: number;
  kept: number;
  waitedSince: number | null;
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
  /** Every route wanted now was confirmed in generation `gen` (counted as they are: route-state.ts). */
  allConfirmed(gen: number): boolean;
  /** True while the backlog holds zebra's socket: zebra's quiet is then ours. */
  congested(): boolean;
  /** Sweeps one stale route (it then wants nothing). */
  sweep(e: Entry): void;
  /** Counts swept and kept routes. */
  counted(swept: number, kept: number): void;
  done(r: LastResync): void;
  kick(): void;
}

/** The walk has mentioned `p`: true when its reach moved (two in a row past it; one alone may be a change out of order). */
function advance(w: Walk, p: Prefix): boolean {
  if (w.next !== null && walkOrder(p, w.next) > 0) {
    w.reach = w.next;
    w.next = p;
    return true;
  }
  if (w.reach === null || walkOrder(p, w.reach) > 0) w.next = p; // the last one past the reach, if any, was out of order
  return false;
}

const familyName = (info: TableInfo) => (info.family === 4 ? 'ipv4' : 'ipv6');
const groupName = (info: TableInfo, protocol: string) => `${protocol === '' ? '(adopted from VPP)' : protocol} ${familyName(info)} table ${info.table}`;

export class ResyncFsm {
  private phase: ResyncPhase = 'in-sync';
  /** The latest zebra session (live or ended). */
  private session: ZebraSession | null = null;
  private readonly waits = new Map<TableInfo, Map<string, Wait>>();
  private waitCount = 0;
  private deadlineTimer: Timer | null = null;
  private confirmQueued = false;
  /** The initial adoption of VPP's routes is streaming. */
  private adopting = false;
  private run: Run | null = null;
  /** The (table, protocol) the last route event mentioned: runs of one group skip the lookups. */
  private lastInfo: TableInfo | null = null;
  private lastProto = '';
  private operatorSwept = 0;
  /**
   * The last session's zebra process (null: not seen; undefined: no session yet), and when fibmgr
   * saw it restart (or could not tell): its relearn runs until then plus the stale time.
   */
  private lastZebra: { process: string | null; restartedAt: number | null } | undefined = undefined;
  /** When the last zebra restart (known, or read from a replay) began its relearn. */
  private lastRestartAt: number | null = null;
  last: LastResync | null = null;

  constructor(private readonly h: ResyncHost) {}

  /**
   * Until when a zebra restart's daemons may still be relearning (null: no restart within the
   * stale time): what the route groups' waits do not cover (LSPs) is not swept before then.
   */
  relearnUntil(): number | null {
    if (this.lastRestartAt === null) return null;
    const until = this.lastRestartAt + this.h.staleTimeMs;
    return until > this.h.clock.now() ? until : null;
  }

  get staleTimeMs(): number {
    return this.h.staleTimeMs;
  }

  /** The session is from the last session's zebra process, seen, and not relearning a restart. */
  get sameZebra(): boolean {
    return this.session?.zebra === 'same';
  }

  /** A resync is under way (replaying, or routes held in a stale wait). */
  get active(): boolean {
    return this.phase !== 'in-sync';
  }

  // --- inputs ------------------------------------------------------------------------------------

  /**
   * A new zebra session with generation `gen`: its replay begins. `zebraProcess` names the zebra
   * process at the other end ("pid@start"), or null when it cannot be seen.
   */
  begin(session: number, gen: number, zebraProcess: string | null = null): void {
    this.step({ kind: 'session-start', session, gen, zebraProcess });
  }

  end(session: number, reason: string): void {
    const s = this.session;
    if (s === null || s.id !== session || !s.live) return;
    if (s.judged) s.live = false;
    else this.step({ kind: 'session-end', session, reason });
  }

  /** Zebra's session sent something: its replay is not quiet yet. */
  activity(session: number): void {
    const s = this.session;
    if (s === null || s.id !== session || !s.live) return;
    if (!s.judged) this.armGrace(s);
    else if (this.waitCount > 0 && this.walking(s)) this.armWalkQuiet(s);
  }

  /**
   * A route event of zebra's (before it changes `e`): its table and protocol count as mentioned
   * by the session, its prefix as reached by zebra's walk, and the route, if held, as confirmed.
   */
  seen(info: TableInfo, protocol: string, e: Entry | undefined, prefix: Prefix, zebraTable: number): void {
    const s = this.session;
    if (s !== null && s.live) {
      if (info !== this.lastInfo || protocol !== this.lastProto) this.mention(s, info, protocol);
      if (!s.judged) this.walkTo(s, info, zebraTable, prefix);
      else {
        if (s.late.size > 0 && s.late.has(info) && this.walkTo(s, info, zebraTable, prefix)) {
          s.late.delete(info);
          this.step({ kind: 'late-table', info });
        }
        if (e !== undefined && this.waitCount > 0 && e.want !== null) this.walkResumed(s, e, prefix);
      }
    }
    if (e !== undefined && this.waitCount > 0 && e.want !== null) {
      const w = this.waits.get(e.slot.info)?.get(e.proto);
      if (w !== undefined && e.gen < w.below && --w.held === 0 && !this.confirmQueued) {
        this.confirmQueued = true;
        this.h.clock.after(0, () => {
          this.confirmQueued = false;
          this.step({ kind: 'confirmed' });
        });
      }
    }
  }

  /** The initial adoption of VPP's routes started (true) or is complete (false). */
  adoption(streaming: boolean): void {
    this.adopting = streaming;
    if (!streaming) this.step({ kind: 'adoption-done' });
  }

  /** `fibmgr sweep`: the operator ends every wait now. The routes swept, or null without a resync. */
  sweepNow(): { swept: number; kept: number } | null {
    if (this.phase === 'in-sync') return null;
    const kept = this.run?.kept ?? 0;
    this.operatorSwept = 0;
    this.step({ kind: 'sweep' });
    return { swept: this.operatorSwept, kept };
  }

  stop(): void {
    this.session?.grace?.cancel();
    this.session?.cap?.cancel();
    this.deadlineTimer?.cancel();
    this.session = null;
    this.waits.clear();
    this.waitCount = 0;
    this.phase = 'in-sync';
  }

  // --- the machine: one function per state ------------------------------------------------------

  private step(ev: ResyncEvent): void {
    const from = this.phase;
    const t = from === 'in-sync' ? this.inSync(ev) : from === 'replaying' ? this.inReplaying(ev) : this.inStaleWait(ev);
    if (t) this.enter(from, t);
    this.armDeadline();
  }

  private inSync(ev: ResyncEvent): Transition | null {
    switch (ev.kind) {
      case 'session-start':
        return this.startSession(ev.session, ev.gen, ev.zebraProcess);
      case 'late-table':
        this.lateTable(ev.info);
        return this.waitCount > 0 ? { next: 'stale-wait', reason: 'late-table' } : null;
      case 'adoption-done':
        this.adoptedLate();
        return this.waitCount > 0 ? { next: 'stale-wait', reason: 'adopted-late' } : null;
      default:
        return null;
    }
  }

  private inReplaying(ev: ResyncEvent): Transition | null {
    const s = this.session!;
    switch (ev.kind) {
      case 'session-start':
        return this.startSession(ev.session, ev.gen, ev.zebraProcess);
      case 'session-end':
        s.live = false;
        this.h.log.warn({ session: s.id, reason: ev.reason }, 'zebra session ended during its replay: it is judged as it stands (nothing counts as complete; unconfirmed routes wait for the stale time)');
        return this.judge(s, 'cut');
      case 'quiet':
        // While the backlog holds the FPM socket, zebra's quiet is ours: wait for real quiet.
        if (this.h.congested()) {
          this.armGrace(s);
          return null;
        }
        return this.judge(s, 'quiet');
      case 'confirmed':
        this.recount();
        return null;
      case 'sweep':
        this.sweepWaits();
        return null;
      default:
        // deadlines wait for the judgement (zebra may be re-sending those routes now); adoption
        // done: the judgement will see the routes; late tables: none before the judgement
        return null;
    }
  }

  private inStaleWait(ev: ResyncEvent): Transition | null {
    switch (ev.kind) {
      case 'session-start':
        return this.startSession(ev.session, ev.gen, ev.zebraProcess);
      case 'deadline':
        return this.expire() ? this.waitsOver('stale-time-ended') : null;
      case 'confirmed':
        this.recount();
        return this.waitsOver('all-confirmed');
      case 'adoption-done':
        this.adoptedLate();
        this.expire();
        return this.waitsOver('stale-time-ended');
      case 'late-table':
        this.lateTable(ev.info);
        return null;
      case 'walk-quiet':
        this.sweepWalked();
        return this.waitsOver('replay-walked');
      case 'sweep':
        this.sweepWaits();
        return this.waitsOver('operator-sweep');
      default:
        return null;
    }
  }

  /** In a stale wait: in sync again once no wait is left and no adopted route may still arrive. */
  private waitsOver(reason: ResyncReason): Transition | null {
    return this.waitCount === 0 && !this.adopting ? { next: 'in-sync', reason } : null;
  }

  private enter(from: ResyncPhase, t: Transition): void {
    this.phase = t.next;
    const now = this.h.clock.now();
    const s = this.session;
    if (from === 'in-sync') {
      this.run = { session: s?.id ?? 0, startedAt: now, writesAtStart: this.h.writes(), refreshed: 0, swept: 0, kept: 0, waitedSince: null };
    }
    const run = this.run!;
    if (s) run.session = s.id;
    if (t.next === 'replaying') {
      this.h.log.info({ session: s!.id, routes: this.h.desired(), waits: this.waitCount, graceMs: this.h.graceMs, staleTimeMs: this.h.staleTimeMs }, this.waitCount > 0
        ? 'zebra session up during a stale wait: the wait goes on (routes zebra relearns are confirmed as they come)'
        : 'zebra session up: resync started (routes the replay does not confirm are swept once it is complete, or when the stale time ends)');
    } else if (t.next === 'stale-wait' && from !== 'stale-wait') {
      const fresh = run.waitedSince === null;
      run.waitedSince ??= now;
      const st = this.state()!;
      this.h.log.info({ session: s?.id, why: t.reason, held: st.held, groups: st.waits.map((w) => `${w.group}: ${w.held} until ${w.until} (${w.why})`), until: st.until }, fresh && t.reason !== 'wait-continues'
        ? 'stale wait started: routes zebra has not confirmed keep forwarding until zebra refreshes or deletes them, or the stale time ends'
        : 'stale wait goes on');
    } else if (t.next === 'in-sync') {
      this.finish(run, t.reason, now);
    }
    this.h.kick();
  }

  private finish(run: Run, reason: ResyncReason, now: number): void {
    this.run = null;
    // every route the restart held came back: its daemons have relearned, and a flap from now on
    // is a plain reconnect again
    if (reason === 'all-confirmed' && this.lastZebra) this.lastZebra.restartedAt = null;
    const grace = this.h.graceMs;
    const waited = run.waitedSince !== null;
    const staleWaitMs = waited ? Math.max(0, now - run.waitedSince!) : 0;
    const durationMs = waited ? Math.max(0, now - run.startedAt) : Math.max(0, now - run.startedAt - grace);
    const writes = this.h.writes() - run.writesAtStart;
    this.last = { session: run.session, durationMs, refreshed: run.refreshed, swept: run.swept, kept: run.kept, writes, staleWaitMs };
    this.h.log.info({ session: run.session, why: reason, refreshed: run.refreshed, swept: run.swept, kept: run.kept, writes, durationMs, staleWaitMs, graceMs: grace }, waited ? 'stale wait ended: resync done' : 'resync done');
    this.h.done(this.last);
  }

  // --- what the states do -------------------------------------------------------------------------

  private startSession(id: number, gen: number, zebraProcess: string | null): Transition {
    const prev = this.session;
    if (prev !== null && prev.live && !prev.judged) {
      // replaced before its replay went quiet: judged as cut (its verdict is logged; the new
      // session's replay follows at once)
      prev.live = false;
      this.judge(prev, 'cut');
    } else if (prev !== null) prev.live = false;
    prev?.grace?.cancel();
    prev?.cap?.cancel();
    const now = this.h.clock.now();
    const last = this.lastZebra;
    let zebra: ZebraRelation = 'unknown';
    let restartedAt: number | null = null;
    if (last !== undefined && last.process !== null && zebraProcess !== null) {
      if (last.process !== zebraProcess) [zebra, restartedAt] = ['other', now];
      else if (last.restartedAt !== null && now < last.restartedAt + this.h.staleTimeMs) [zebra, restartedAt] = ['relearning', last.restartedAt];
      else zebra = 'same';
    }
    // a session whose process could not be seen (its socket closed during the lookup, say) tells
    // nothing of the last one's: a relearn under way is not forgotten by it
    if (zebraProcess !== null || last === undefined) this.lastZebra = { process: zebraProcess, restartedAt };
    const s: ZebraSession = { id, gen, startedAt: now, zebra, zebraProcess, live: true, judged: false, kind: null, mentioned: new Map(), walks: new Map(), walked: new Set(), late: new Set(), walking: null, grace: null, cap: null };
    this.session = s;
    this.lastInfo = null;
    this.armGrace(s);
    s.cap = this.h.clock.after(this.h.staleTimeMs, () => {
      s.cap = null;
      if (this.session === s && !s.judged) this.step({ kind: 'quiet' });
    });
    return { next: 'replaying', reason: 'session-up' };
  }

  private mention(s: ZebraSession, info: TableInfo, protocol: string): void {
    this.lastInfo = info;
    this.lastProto = protocol;
    if (info.seenGen !== s.gen) {
      info.seenGen = s.gen;
      s.mentioned.set(info, new Set([protocol]));
      // after the judgement: a table zebra replays is held for the walk that reaches it now; one
      // it may not (`table N`) only once it is seen walked, not for a change of one of its routes
      if (s.judged) {
        if (this.answersFor(s, info)) this.step({ kind: 'late-table', info });
        else s.late.add(info);
      }
      return;
    }
    s.mentioned.get(info)?.add(protocol);
  }

  private armGrace(s: ZebraSession): void {
    s.grace?.cancel();
    s.grace = this.h.clock.after(this.h.graceMs, () => {
      s.grace = null;
      if (this.session === s && !s.judged) this.step({ kind: 'quiet' });
    });
  }

  private wait(info: TableInfo, protocol: string): Wait | undefined {
    return this.waits.get(info)?.get(protocol);
  }

  private setWait(w: Wait): void {
    let m = this.waits.get(w.info);
    if (!m) this.waits.set(w.info, (m = new Map()));
    if (!m.has(w.protocol)) this.waitCount++;
    m.set(w.protocol, w);
  }

  private dropWait(w: Wait): void {
    const m = this.waits.get(w.info);
    if (m?.delete(w.protocol)) {
      this.waitCount--;
      if (m.size === 0) this.waits.delete(w.info);
    }
  }

  /**
   * A wait for (info, protocol) held from `below` until at least `deadline` — unless `extend` is
   * false: the same zebra process cutting its sessions again and again (FRR 10.3 resets one whose
   * output stays blocked) must not push a wait under way past its deadline for good.
   */
  private holdUntil(info: TableInfo, protocol: string, below: number, since: number, deadline: number, why: WaitReason, extend = true): Wait {
    const w = this.wait(info, protocol);
    if (!w) {
      const fresh: Wait = { info, protocol, below, since, deadline, held: 0, why };
      this.setWait(fresh);
      return fresh;
    }
    w.below = Math.max(w.below, below);
    if (extend && deadline > w.deadline) {
      w.deadline = deadline;
      w.why = why;
    }
    return w;
  }

  /** The session's replay is judged: each group's unconfirmed routes are swept or wait. */
  private judge(s: ZebraSession, end: 'quiet' | 'cut'): Transition {
    s.judged = true;
    s.grace?.cancel();
    s.cap?.cancel();
    s.grace = s.cap = null;
    const run = this.run!;
    // the groups of the tables the replay mentioned, with their unconfirmed routes
    const groups = new Map<TableInfo, Map<string, { protocol: string; unconfirmed: number; mentioned: boolean; waiting: boolean }>>();
    let refreshed = 0;
    let kept = 0;
    const untouched = new Set<string>();
    // the common replay (a first sync, an unchanged one) confirms every route: nothing to find, and
    // a walk of a full table stops fibmgr for ~150 ms while its writes may still be going out
    if (this.h.allConfirmed(s.gen)) refreshed = this.h.desired();
    else this.h.routes.forEach((e) => {
      if (e.want === null) return;
      if (e.gen >= s.gen) {
        refreshed++;
        return;
      }
      const info = e.slot.info;
      if (info.seenGen !== s.gen && !this.answersFor(s, info)) {
        kept++;
        untouched.add(info.key);
        return;
      }
      let m = groups.get(info);
      if (!m) groups.set(info, (m = new Map()));
      let g = m.get(e.proto);
      if (!g) m.set(e.proto, (g = { protocol: e.proto, unconfirmed: 0, mentioned: s.mentioned.get(info)?.has(e.proto) ?? false, waiting: this.wait(info, e.proto) !== undefined }));
      g.unconfirmed++;
    });
    const list: { info: TableInfo; g: GroupReplay }[] = [];
    for (const [info, m] of groups) for (const g of m.values()) list.push({ info, g });
    const v = judgeReplay(list.map((x) => x.g), end, s.zebra);
    s.kind = v.kind;
    // a session that could only guess, and guessed a restart: later sessions of its process are
    // in that restart's relearn (a cut one tells nothing: its next session is taken as it comes)
    if (s.zebra === 'unknown' && v.kind === 'restart' && this.lastZebra?.process === s.zebraProcess && s.zebraProcess !== null) this.lastZebra.restartedAt = s.startedAt;
    // a restart's waits end at the restart's deadline, whichever of its sessions holds them
    const waitFrom = s.zebra === 'relearning' ? this.lastZebra!.restartedAt! : s.startedAt;
    if (v.kind === 'restart' || (v.kind === 'cut' && s.zebra === 'unknown')) this.lastRestartAt = waitFrom;
    const sweepNow = new Map<TableInfo, Set<string>>();
    const why: WaitReason = v.kind === 'restart' ? 'zebra-restarted' : v.kind === 'cut' ? 'replay-cut' : 'unconfirmable';
    list.forEach(({ info, g }, i) => {
      const d = v.decisions[i]!;
      if (d === 'sweep') {
        let set = sweepNow.get(info);
        if (!set) sweepNow.set(info, (set = new Set()));
        set.add(g.protocol);
      } else if (d === 'wait') {
        this.holdUntil(info, g.protocol, s.gen, waitFrom, waitFrom + this.h.staleTimeMs, g.protocol === '' ? 'adopted' : why, s.zebra !== 'same' && s.zebra !== 'relearning');
      } else this.wait(info, g.protocol)!.below = s.gen;
    });
    let swept = 0;
    // a complete group is complete up to where zebra's walk has come: a replay that stalled inside
    // a table (zebra's main thread busy) has not reached the rest yet, which waits for the walk
    const notWalked = new Map<TableInfo, Set<string>>();
    let notWalkedKept = 0;
    if (sweepNow.size > 0) {
      this.h.routes.forEach((e) => {
        if (e.want === null || e.gen >= s.gen || !sweepNow.get(e.slot.info)?.has(e.proto)) return;
        if (this.walkedPast(s, e)) {
          this.h.sweep(e);
          swept++;
          return;
        }
        if (!s.walked.has(e.slot.info) && !this.answersFor(s, e.slot.info)) {
          notWalkedKept++;
          return;
        }
        let set = notWalked.get(e.slot.info);
        if (!set) notWalked.set(e.slot.info, (set = new Set()));
        set.add(e.proto);
      });
    }
    for (const [info, protocols] of notWalked) {
      for (const p of protocols) this.holdUntil(info, p, s.gen, s.startedAt, s.startedAt + this.h.staleTimeMs, 'not-walked-yet');
    }
    kept += notWalkedKept;
    run.refreshed = refreshed;
    run.kept += kept;
    run.swept += swept;
    this.h.counted(swept, kept);
    this.recount();
    this.expire();
    this.h.log.info({
      session: s.id, end, zebra: s.zebra, kind: v.kind, refreshed, swept, waiting: this.waitCount,
      groups: list.map(({ info, g }, i) => `${groupName(info, g.protocol)}: ${g.unconfirmed} unconfirmed, ${g.mentioned ? 'mentioned' : 'not mentioned'} → ${v.decisions[i]}`).slice(0, 50),
    }, 'zebra\'s replay judged');
    if (kept > 0) {
      this.h.log.warn({ session: s.id, kept, tables: [...untouched] }, 'routes in tables the replay did not mention were kept (zebra does not replay routes of other tables after an FPM reconnect)');
    }
    if (this.waitCount > 0) {
      const reason: ResyncReason = v.kind === 'restart' ? 'zebra-restarted' : v.kind === 'cut' ? 'replay-cut'
        : list.some(({ g }, i) => g.waiting && v.decisions[i] === 'continue') ? 'wait-continues' : notWalked.size > 0 ? 'replay-walking' : 'unconfirmable';
      return { next: 'stale-wait', reason };
    }
    if (this.adopting) return { next: 'stale-wait', reason: 'adoption-streaming' };
    return { next: 'in-sync', reason: end === 'cut' ? 'replay-cut' : 'replay-complete' };
  }

  private walkOf(s: ZebraSession, info: TableInfo, zebraTable: number): Walk {
    let m = s.walks.get(info);
    if (m === undefined) s.walks.set(info, (m = new Map()));
    let w = m.get(zebraTable);
    if (w === undefined) m.set(zebraTable, (w = { reach: null, next: null, done: false }));
    return w;
  }

  /**
   * The session mentioned `p` in zebra's table `zebraTable` (VPP's `info`). True when that is the
   * first sign the session walks the table; a reconnect's walk then shows the table is one zebra
   * replays on every reconnect (a VRF's: `walkedBy`).
   */
  private walkTo(s: ZebraSession, info: TableInfo, zebraTable: number, p: Prefix): boolean {
    const w = this.walkOf(s, info, zebraTable);
    if (!advance(w, p)) return false;
    // zebra walks one table after another: walking this one, it has come through the last one
    if (s.walking !== w) {
      if (s.walking !== null) s.walking.done = true;
      s.walking = w;
    }
    if (s.walked.has(info)) return false;
    s.walked.add(info);
    if (!s.judged && (s.zebra === 'same' || s.zebra === 'relearning')) info.walkedBy = s.zebraProcess;
    return true;
  }

  /**
   * After the judgement, zebra re-sends a route held for its walk: the walk has resumed and come
   * this far (a change zebra sends of a route it was still to walk is rare, and what it passes is
   * swept only at a quiet period, when the walk has had its time).
   */
  private walkResumed(s: ZebraSession, e: Entry, p: Prefix): void {
    const w = this.wait(e.slot.info, e.proto);
    if (w === undefined || w.why !== 'not-walked-yet' || e.gen >= w.below) return;
    advance(this.walkOf(s, e.slot.info, e.zebraTable), p);
  }

  /** zebra's walk of `e`'s table, as `s` mentioned it, has surely come to `e` or past it. */
  private walkedPast(s: ZebraSession, e: Entry): boolean {
    const w = s.walks.get(e.slot.info)?.get(e.zebraTable);
    return w !== undefined && (w.done || (w.reach !== null && walkOrder(this.h.routes.prefixOf(e), w.reach) <= 0));
  }

  /** The judged live session still has routes waiting for its walk to reach them. */
  private walking(s: ZebraSession): boolean {
    for (const m of this.waits.values()) for (const w of m.values()) if (w.why === 'not-walked-yet' && w.below === s.gen) return true;
    return false;
  }

  /** After the judgement, each quiet period of the session sweeps what its walk went past meanwhile. */
  private armWalkQuiet(s: ZebraSession): void {
    s.grace?.cancel();
    s.grace = this.h.clock.after(this.h.graceMs, () => {
      s.grace = null;
      if (this.session !== s || !s.live) return;
      if (this.h.congested()) this.armWalkQuiet(s);
      else this.step({ kind: 'walk-quiet' });
    });
  }

  /** Routes waiting for the live session's walk that it has now gone past: zebra no longer has them. */
  private sweepWalked(): void {
    const s = this.session;
    if (s === null || !s.live) return;
    let swept = 0;
    this.h.routes.forEach((e) => {
      if (e.want === null) return;
      const w = this.wait(e.slot.info, e.proto);
      if (w === undefined || w.why !== 'not-walked-yet' || w.below !== s.gen || e.gen >= w.below || !this.walkedPast(s, e)) return;
      this.h.sweep(e);
      swept++;
    });
    if (this.run) this.run.swept += swept;
    this.h.counted(swept, 0);
    if (swept > 0) this.h.log.info({ session: s.id, swept }, 'zebra\'s walk went past routes it did not replay: they are swept');
    this.recount();
  }

  /**
   * A table the session's replay did not mention is judged with it only when zebra would have
   * replayed it: a restarted zebra's first connection carries everything it has (even `table N`
   * routes), and a process seen to walk the table on a reconnect walks it on every reconnect (a
   * VRF). Otherwise it may be a `table N` one, which zebra never replays on a reconnect: kept.
   */
  private answersFor(s: ZebraSession, info: TableInfo): boolean {
    if (s.zebra === 'other' || info.table === 0) return true; // VPP's table 0: the default VRF's, replayed on every connection
    return (s.zebra === 'same' || s.zebra === 'relearning') && info.walkedBy === s.zebraProcess;
  }

  /** A table the live session first mentions after its judgement: its unconfirmed routes wait. */
  private lateTable(info: TableInfo): void {
    const s = this.session!;
    const now = this.h.clock.now();
    const protocols = new Set<string>();
    this.h.routes.forEach((e) => {
      if (e.slot.info === info && e.want !== null && e.gen < s.gen) protocols.add(e.proto);
    });
    if (protocols.size === 0) return;
    for (const p of protocols) this.holdUntil(info, p, s.gen, now, now + this.h.staleTimeMs, p === '' ? 'adopted' : 'late-table');
    this.recount();
    this.h.log.info({ session: s.id, table: `${familyName(info)} table ${info.table}`, protocols: [...protocols], until: wallText(this.h.clock, now + this.h.staleTimeMs) }, 'a table first mentioned after the replay was judged: its unconfirmed routes wait');
  }

  /** The initial adoption is complete: adopted routes no judged session confirmed wait for one. */
  private adoptedLate(): void {
    const s = this.session;
    if (s === null || !s.judged) return; // no session yet, or its judgement is still to come
    const tables = new Set<TableInfo>();
    this.h.routes.forEach((e) => {
      if (e.want !== null && e.proto === '' && e.gen < s.gen && e.slot.info.seenGen === s.gen) tables.add(e.slot.info);
    });
    for (const info of tables) this.holdUntil(info, '', s.gen, s.startedAt, s.startedAt + this.h.staleTimeMs, 'adopted');
    this.recount();
  }

  /** Counts what each wait holds; a wait that holds nothing is over. */
  private recount(): void {
    if (this.waitCount === 0) return;
    for (const m of this.waits.values()) for (const w of m.values()) w.held = 0;
    this.h.routes.forEach((e) => {
      if (e.want === null) return;
      const w = this.wait(e.slot.info, e.proto);
      if (w !== undefined && e.gen < w.below) w.held++;
    });
    for (const m of [...this.waits.values()]) {
      for (const w of [...m.values()]) {
        if (w.held > 0) continue;
        this.dropWait(w);
        this.h.log.info({ group: groupName(w.info, w.protocol), why: w.why }, 'every stale route of the group confirmed: its wait is over');
      }
    }
  }

  /** Waits whose deadline has passed (adopted ones wait for the adoption): their routes go. */
  private expire(): boolean {
    const now = this.h.clock.now();
    const due = new Set<Wait>();
    for (const m of this.waits.values()) for (const w of m.values()) if (w.deadline <= now && !(w.protocol === '' && this.adopting)) due.add(w);
    if (due.size === 0) return false;
    const swept = this.sweepHeld(due);
    this.h.log.info({ swept, groups: [...due].map((w) => groupName(w.info, w.protocol)) }, 'stale time ended: routes zebra did not confirm are swept');
    return true;
  }

  /** `fibmgr sweep`: every wait ends now. */
  private sweepWaits(): void {
    const all = new Set<Wait>();
    for (const m of this.waits.values()) for (const w of m.values()) all.add(w);
    const swept = this.sweepHeld(all);
    this.operatorSwept += swept;
    this.h.log.info({ swept, groups: [...all].map((w) => groupName(w.info, w.protocol)) }, 'operator sweep: every stale wait ended');
  }

  private sweepHeld(waits: Set<Wait>): number {
    let swept = 0;
    this.h.routes.forEach((e) => {
      if (e.want === null) return;
      const w = this.wait(e.slot.info, e.proto);
      if (w !== undefined && waits.has(w) && e.gen < w.below) {
        this.h.sweep(e);
        swept++;
      }
    });
    for (const w of waits) this.dropWait(w);
    if (this.run) this.run.swept += swept;
    this.h.counted(swept, 0);
    return swept;
  }

  /** One timer, for the earliest deadline that may end a wait in this state. */
  private armDeadline(): void {
    this.deadlineTimer?.cancel();
    this.deadlineTimer = null;
    const now = this.h.clock.now();
    let at = Infinity;
    for (const m of this.waits.values()) {
      for (const w of m.values()) {
        if (w.protocol === '' && this.adopting) continue;
        if (this.phase === 'replaying' && w.deadline <= now) continue; // decided at the judgement
        at = Math.min(at, w.deadline);
      }
    }
    if (at === Infinity) return;
    this.deadlineTimer = this.h.clock.after(Math.max(0, at - now), () => {
      this.deadlineTimer = null;
      this.step({ kind: 'deadline' });
    });
  }

  // --- what the operator sees ----------------------------------------------------------------------

  state(): StaleState | null {
    if (this.phase === 'in-sync') return null;
    const s = this.session;
    const ws: Wait[] = [];
    for (const m of this.waits.values()) for (const w of m.values()) ws.push(w);
    ws.sort((a, b) => a.deadline - b.deadline);
    const held = ws.reduce((n, w) => n + w.held, 0);
    const start = s?.startedAt ?? this.h.clock.now();
    const since = ws.length ? Math.min(...ws.map((w) => w.since)) : start;
    const until = ws.length ? Math.max(...ws.map((w) => w.deadline)) : start + this.h.staleTimeMs;
    const missing = ws.map((w) => groupName(w.info, w.protocol));
    if (this.adopting && s?.judged) missing.push('(VPP routes still being adopted)');
    return {
      phase: ws.length > 0 || this.phase === 'stale-wait' ? 'stale-wait' : 'replaying',
      held, since: wallText(this.h.clock, since), until: wallText(this.h.clock, until), missing,
      waits: ws.map((w) => ({ group: groupName(w.info, w.protocol), held: w.held, until: wallText(this.h.clock, w.deadline), why: w.why })),
    };
  }
}
