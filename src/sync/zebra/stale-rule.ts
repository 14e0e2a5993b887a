// The stale rule, pure: what a zebra session's replay says about the routes zebra wanted before
// it and that the replay has not confirmed ("unconfirmed"). zebra sends no end-of-replay marker
// (test/fixtures/fpm/FORMAT.md), so the rule reads the replay itself, group by group — a group is
// the routes of one (VPP table, family, protocol): default-VRF BGP says nothing of another VRF's
// BGP, and ospf and ospf6 share rtm_protocol 188 but not a family.
//
// The replay is judged once, at the end of its first quiet period (or when its session ends
// before that: "cut"), in the tables it mentioned so far (zebra does not replay `table N` routes
// after an FPM reconnect: tables a session never mentions are kept; one it first mentions after
// the judgement waits, resync.ts):
// - A plain reconnect (zebra kept running) replays its whole RIB in one burst: every protocol
//   with routes is in it. A group that is mentioned is then complete and its unconfirmed routes
//   were deleted while the connection was down: they are swept.
// - A zebra restart first replays only what zebra knows itself (connected and kernel routes);
//   staticd, bgpd… re-register and re-send theirs seconds to minutes later, in bursts with quiet
//   gaps between. So a group with unconfirmed routes that the first burst does not mention means
//   zebra restarted, and then no group of the session is trusted complete (bgpd may be half way
//   through a relearn): every group with unconfirmed routes waits, with a deadline of its own —
//   the session's start plus the stale time, even when an earlier restart's wait was running.
// - A session cut before its first quiet period cannot tell either: the same as a restart.
// - A group whose protocol cannot show completeness waits even when mentioned: the legacy module
//   (`-M fpm`) writes rtm_protocol `zebra` for every daemon's routes, and routes adopted from VPP
//   at fibmgr's start have no protocol at all (zebra never names them: '' is no evidence of a
//   restart either). They wait until zebra re-sends each, or the stale time.
// - A group already waiting (a reconnect during a stale wait: FRR 10.3 resets its FPM connection
//   by itself when its output stays blocked for 15 s, exactly what a relearn into a busy consumer
//   does) continues its wait with its deadline: the new session never starts a fresh verdict
//   over routes zebra is still relearning.
// - When fibmgr can see zebra's process (the peer socket's owner, socket-owner.ts), it does not
//   guess: a session from another zebra process than the last one is a restart whatever its first
//   burst holds (a daemon whose first routes come within the grace of zebra's own, or a zebra
//   that still finds part of its predecessor's routes in the kernel, would otherwise look like a
//   reconnect), and one from the same process is a reconnect — unless that process restarted less
//   than the stale time ago (or its first session could not tell): then it is still the restart,
//   whose deadline stays. The guess above is for a zebra out of sight (another host, another PID
//   namespace).
// A wait ends for its group when every unconfirmed route is re-sent or deleted, at its deadline
// (what is still unconfirmed is swept), or by the operator's `fibmgr sweep`.

/** False for protocols whose presence in a replay cannot show their group complete. */
export function showsCompleteness(protocol: string): boolean {
  return protocol !== '' && protocol !== 'zebra';
}

/** One group of a session, as its replay stands when it is judged. */
export interface GroupReplay {
  readonly protocol: string;
  /** Routes of the group wanted before this session that its replay has not confirmed (> 0). */
  readonly unconfirmed: number;
  /** The replay holds a route of this (table, family, protocol). */
  readonly mentioned: boolean;
  /** A wait is under way for the group (from an earlier session). */
  readonly waiting: boolean;
}

/**
 * The session's zebra against the last session's: the same process, another one (zebra
 * restarted), the same one that restarted less than the stale time ago (its daemons may still be
 * relearning: a flap in a relearn is part of the restart), or not known (a process not seen).
 */
export type ZebraRelation = 'same' | 'other' | 'relearning' | 'unknown';

/** What the session was, as far as its replay shows. */
export type SessionKind = 'reconnect' | 'restart' | 'cut';

/**
 * What becomes of a group's unconfirmed routes: `sweep` (the replay is complete for it), `wait`
 * (a wait with the session's own deadline begins, or the one under way is extended to it),
 * `continue` (the wait under way goes on, its deadline unchanged).
 */
export type GroupDecision = 'sweep' | 'wait' | 'continue';

export interface Verdict {
  kind: SessionKind;
  /** One decision per group, in the order given. */
  decisions: GroupDecision[];
}

export function judgeReplay(groups: readonly GroupReplay[], end: 'quiet' | 'cut', zebra: ZebraRelation = 'unknown'): Verdict {
  let kind: SessionKind = end === 'cut' ? 'cut' : zebra === 'other' || zebra === 'relearning' ? 'restart' : 'reconnect';
  if (kind === 'reconnect' && zebra === 'unknown' && groups.some((g) => g.unconfirmed > 0 && !g.mentioned && g.protocol !== '')) kind = 'restart';
  const decisions = groups.map((g): GroupDecision => {
    if (kind !== 'reconnect') return 'wait';
    if (g.waiting) return 'continue';
    return showsCompleteness(g.protocol) ? 'sweep' : 'wait';
  });
  return { kind, decisions };
}

/**
 * LSPs (zebra's MPLS routes), one group per protocol — ldpd and staticd relearn apart, and VPP's
 * MPLS table is one — once the resync is over: until when the group's unconfirmed LSPs are held
 * (at or before `now`: swept now). zebra sends every LSP it has before its routes in a replay
 * (dplane_fpm_nl walks them first), so:
 * - after a zebra restart (`relearnUntil`: the restart's deadline) every group waits for it;
 * - a group already waiting keeps its deadline (a flap does not push it);
 * - on a reconnect of the same zebra process (seen), the replay is complete: a protocol it lacks
 *   was deleted while FPM was down;
 * - zebra out of sight: a protocol the replay mentions is complete, one it lacks may be a
 *   restarted zebra's daemon still relearning (as for routes, a group missing), and LSPs adopted
 *   from VPP have no protocol to tell: these wait until the session's start plus the stale time.
 */
export function lspWaitUntil(g: {
  protocol: string;
  mentioned: boolean;
  sameZebra: boolean;
  relearnUntil: number | null;
  /** The deadline of the group's wait under way, or null. */
  waiting: number | null;
  sessionAt: number;
  staleTimeMs: number;
}): number {
  if (g.relearnUntil !== null) return Math.max(g.relearnUntil, g.waiting ?? 0);
  if (g.waiting !== null) return g.waiting;
  if (g.sameZebra || (g.mentioned && showsCompleteness(g.protocol))) return -Infinity;
  return g.sessionAt + g.staleTimeMs;
}
