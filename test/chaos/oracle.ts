// The campaign's judge. What fibmgr owes, per route (VPP's "table|prefix"):
//  - a route zebra sent in the live FPM session, and has not withdrawn: owed while the session
//    lasts (fibmgr knows zebra has it);
//  - when that session ends (a cut, a flap, zebra killed, fibmgr restarted), the route stays owed
//    for the stale time from then, whether zebra still has it or lost it in a restart: only zebra's
//    replay can tell fibmgr otherwise, and a restarted zebra needs that long to relearn;
//  - a route zebra itself drops (a daemon withdrew it, connected or not) is owed nothing from then;
//    nor is a route a restart took once its daemon has given the new zebra its whole table again
//    without it (zebra then knows it is gone; until then only the stale time may end the debt).
//
// After every instant of the timeline:
//  - missing: a route VPP held while owed, and still owed, is gone — unless VPP crashed, or the
//    delete that took it was sent before zebra last confirmed the route (zebra withdrew it and
//    took that back, or fibmgr swept it before zebra sent it again: VPP applied that delete late,
//    and fibmgr is to write the route again — the next check holds it to that);
//  - believed: fibmgr says a route is in sync with its VPP session up, and VPP lacks it (a write
//    VPP applied after fibmgr stopped waiting for it, never written again);
//  - foreign: VPP holds, for a route, paths zebra never gave for it (a route re-pointed through a
//    newer zebra's group).
// After a quiet period (faults lifted, zebra relearned and connected, the stale time passed): VPP
// holds exactly zebra's table, and fibmgr is idle.

export interface Violation {
  kind: 'missing' | 'believed' | 'foreign' | 'differs' | 'extra' | 'not-settled' | 'error';
  detail: string;
}

interface Ledger {
  /** Owed until then (Infinity: confirmed in the live session); null: not owed. */
  owedUntil: number | null;
  /** Bumped whenever the debt lapses, so that a lapse between two checks is seen. */
  epoch: number;
  /** When zebra last sent the route (in a session, while it had it). */
  confirmedAt: number;
  /** Paths zebra gave for the route (as the simulator reads them). */
  history: Set<string>;
}

export interface VppView {
  /** "table|prefix" → sorted path texts, of fibmgr's source. */
  routes(): Map<string, string[]>;
  /** Bumped when VPP loses its FIB. */
  readonly lives: number;
}

export interface FibmgrView {
  /** A fibmgr runs with its VPP session up (what it believes installed is not awaiting a dump). */
  ready(): boolean;
  /** fibmgr's own word on a route (RouteExplain.state). */
  state(key: string): string;
  /** When any fibmgr last sent VPP a delete of the route (-Infinity: never). */
  deleteSent(key: string): number;
}

export class Oracle {
  private readonly ledger = new Map<string, Ledger>();
  /** Routes present at the last check while owed: the debt's epoch and VPP's life then. */
  private prev = new Map<string, { epoch: number; life: number }>();
  checks = 0;

  constructor(
    private readonly staleTimeMs: number,
    private readonly now: () => number,
    private readonly vpp: VppView,
    private readonly fib: FibmgrView,
  ) {}

  private entry(key: string): Ledger {
    let l = this.ledger.get(key);
    if (!l) this.ledger.set(key, (l = { owedUntil: null, epoch: 0, confirmedAt: -Infinity, history: new Set() }));
    return l;
  }

  private owed(l: Ledger, t: number): boolean {
    return l.owedUntil !== null && l.owedUntil > t;
  }

  // --- what zebra's life tells (ZebraWitness) -------------------------------------------------

  delivered(key: string, text: string | null, held: boolean): void {
    const l = this.entry(key);
    if (text !== null) l.history.add(text);
    if (text === null || !held) {
      if (l.owedUntil !== null) this.lapse(l);
      return;
    }
    if (!this.owed(l, this.now())) l.epoch++;
    l.owedUntil = Infinity;
    l.confirmedAt = this.now();
  }

  allowed(key: string, text: string): void {
    this.entry(key).history.add(text);
  }

  dropped(key: string): void {
    this.lapse(this.entry(key));
  }

  sessionEnded(): void {
    const until = this.now() + this.staleTimeMs;
    for (const l of this.ledger.values()) if (l.owedUntil === Infinity) l.owedUntil = until;
  }

  private lapse(l: Ledger): void {
    l.owedUntil = null;
    l.epoch++;
  }

  // --- the checks -------------------------------------------------------------------------------

  /** After every instant (see the top of this file). */
  check(): Violation[] {
    this.checks++;
    const now = this.now();
    const present = this.vpp.routes();
    const life = this.vpp.lives;
    const out: Violation[] = [];
    for (const [key, paths] of present) {
      const text = paths.join(', ');
      const l = this.ledger.get(key);
      if (!l || !l.history.has(text)) {
        out.push({ kind: 'foreign', detail: `VPP holds ${key} via [${text}], which zebra never gave for it (it gave: ${l ? [...l.history].map((h) => `[${h}]`).join(' ') || 'nothing' : 'nothing'})` });
      }
    }
    for (const [key, p] of this.prev) {
      if (p.life !== life || present.has(key)) continue;
      const l = this.ledger.get(key)!;
      if (l.epoch !== p.epoch || !this.owed(l, now)) continue;
      // a delete sent before zebra last confirmed the route: a race VPP settled late, not a decision
      if (this.fib.deleteSent(key) < l.confirmedAt) continue;
      const why = l.owedUntil === Infinity ? 'zebra sent it in the live session and has not withdrawn it' : `zebra's session ended without withdrawing it; owed until t=${fmt(l.owedUntil!)}`;
      out.push({ kind: 'missing', detail: `${key} left VPP: ${why}` });
    }
    const ready = this.fib.ready();
    for (const key of ready ? this.ledger.keys() : []) {
      if (present.has(key)) continue;
      if (this.fib.state(key) === 'in-sync') out.push({ kind: 'believed', detail: `fibmgr says ${key} is installed (in sync, VPP session up); VPP does not hold it` });
    }
    const next = new Map<string, { epoch: number; life: number }>();
    for (const key of present.keys()) {
      const l = this.ledger.get(key);
      if (l && this.owed(l, now)) next.set(key, { epoch: l.epoch, life });
    }
    this.prev = next;
    return out;
  }

  /** After a quiet period: VPP is zebra's table (less the tables VPP refuses to create). */
  quietCheck(expected: Map<string, string>, refusedTables: ReadonlySet<number>, state: { resyncing: boolean; backlog: number; vppReady: boolean; retrying: number }): Violation[] {
    const out: Violation[] = [];
    const present = this.vpp.routes();
    const refused = (key: string) => refusedTables.has(Number(key.slice(0, key.indexOf('|'))));
    for (const [key, text] of expected) {
      if (refused(key)) continue;
      const got = present.get(key);
      if (!got) out.push({ kind: 'differs', detail: `${key} missing after the quiet period (zebra has [${text}])` });
      else if (got.join(', ') !== text) out.push({ kind: 'differs', detail: `${key} is [${got.join(', ')}] after the quiet period; zebra has [${text}]` });
    }
    for (const [key, paths] of present) {
      if (!expected.has(key) || refused(key)) out.push({ kind: 'extra', detail: `${key} [${paths.join(', ')}] is in VPP after the quiet period; zebra has no such route` });
    }
    // routes of a table VPP will not create may stay parked (and retried): only the rest must be done
    const parked = refusedTables.size > 0;
    if (!state.vppReady || state.resyncing || (!parked && (state.backlog > 0 || state.retrying > 0))) {
      out.push({ kind: 'not-settled', detail: `fibmgr not settled after the quiet period: vppReady ${state.vppReady}, resyncing ${state.resyncing}, backlog ${state.backlog}, retrying ${state.retrying}` });
    }
    return out;
  }
}

export function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}
