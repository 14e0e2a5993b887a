// When is zebra's replay after a new FPM session evidently complete? zebra sends no end-of-replay
// marker (FORMAT.md), so the rule reads the replay itself. Routes not replayed ("stale") are
// swept when the replay is complete and has gone quiet; otherwise they keep forwarding until
// zebra refreshes or deletes them, or until the stale time ends (graceful restart).
//
// The rule, at the end of the first quiet period of the session:
// - A plain reconnect (zebra kept running) replays its whole RIB in one burst: every protocol
//   that has routes is in it. So the replay is complete when every protocol with stale routes
//   had at least one route refreshed by it.
// - A zebra restart first replays only what zebra itself knows (connected and kernel routes);
//   staticd, bgpd… re-register and re-send theirs seconds to minutes later, in bursts with quiet
//   gaps between. A protocol of the stale routes missing from the first burst means zebra
//   restarted: the wait lasts until the stale time ends (or every stale route is refreshed or
//   deleted, or the operator runs `fibmgr sweep`). Later quiet gaps never end it — BGP
//   relearning a full table has many.
// - Routes adopted from VPP at fibmgr's start have no known protocol: the replay is complete for
//   them when it holds a route of some protocol other than zebra's own (kernel, connected,
//   local): zebra's daemons are connected to it and it gave their routes.

/** Protocols that zebra knows by itself, before any routing daemon reconnects to it. */
export const ZEBRA_OWN = new Set(['kernel', 'connected', 'local', 'zebra']);

export interface ReplayCounts {
  /** Stale routes by protocol name ('' for unknown: adopted from VPP). */
  stale: ReadonlyMap<string, number>;
  /** Protocols of the routes the replay has sent so far. */
  replayed: ReadonlySet<string>;
}

export interface Verdict {
  complete: boolean;
  /** Protocols with stale routes that the replay has not mentioned (why it is not complete). */
  missing: string[];
}

export function replayVerdict(c: ReplayCounts): Verdict {
  const missing: string[] = [];
  for (const [proto, n] of c.stale) {
    if (n <= 0) continue;
    if (proto === '') {
      let daemons = false;
      for (const p of c.replayed) if (!ZEBRA_OWN.has(p)) daemons = true;
      if (!daemons) missing.push('(adopted from VPP)');
    } else if (!c.replayed.has(proto)) missing.push(proto);
  }
  return { complete: missing.length === 0, missing };
}
