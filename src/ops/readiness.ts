// When fibmgr is ready: VPP is connected and prepared, and nothing is pending (no resync under
// way, no backlog): VPP's FIB is zebra's as last told. A pure function, so /readyz, `fibmgr
// status` and the tests agree on it.

export interface ReadinessInput {
  vppConnected: boolean;
  /** The reconciler has found its FIB source and diffed VPP's routes after the last handshake. */
  vppPrepared: boolean;
  resyncing: boolean;
  /** Set while stale routes are held after a replay that was not evidently complete. */
  staleWait?: { held: number; until: string; missing: string[] } | null;
  backlog: number;
  retrying: number;
  /** Routes waiting for their VPP table, and the tables VPP would not create. */
  waitingForTables?: number;
  failingTables?: number;
  /** zebra connections being admitted: their session, and its replay, are about to begin. */
  admitting?: number;
}

export interface Readiness {
  ready: boolean;
  /** Why not, in a sentence; "ready" when ready. */
  reason: string;
}

export function readiness(s: ReadinessInput): Readiness {
  if (!s.vppConnected) return { ready: false, reason: 'VPP is not connected' };
  if (!s.vppPrepared) return { ready: false, reason: 'VPP connected; FIB source and installed routes are being read' };
  if (s.staleWait) {
    const w = s.staleWait;
    return { ready: false, reason: `holding ${w.held} stale routes until zebra confirms them or ${w.until} (waiting: ${w.missing.join(', ')}; fibmgr sweep ends the wait)` };
  }
  if (s.admitting) return { ready: false, reason: 'a zebra connection is being admitted (peer check): its replay follows' };
  if (s.resyncing) return { ready: false, reason: 'resync with zebra in progress (waiting for the end of its replay)' };
  if (s.backlog > 0) return { ready: false, reason: `${s.backlog} route changes pending` };
  if (s.retrying > 0) return { ready: false, reason: `${s.retrying} routes failed in VPP and are being retried` };
  if (s.failingTables) return { ready: false, reason: `${s.waitingForTables ?? 0} routes wait for ${s.failingTables} VPP table(s) VPP would not create (retried; see /state failingTables)` };
  return { ready: true, reason: 'ready' };
}
