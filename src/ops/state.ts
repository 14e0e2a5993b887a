// The /state document: what an operator asks first (is zebra connected, is VPP, how many routes
// per table, what is pending, what failed last), as plain JSON. The one place status is built:
// `fibmgr status` and systemd's status line (src/cli/status.ts) render this document.
import { readiness, type Readiness } from './readiness.js';
import type { OpsSources } from './sources.js';
import type { VppLinkState } from './vpp-link.js';
import type { ReconcilerState } from '../sync/reconciler.js';

export interface StateDoc {
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  readiness: Readiness;
  fpm: {
    state: 'none' | 'up' | 'paused';
    session: { id: number; peer: string; since: string; frames: number; routes: number; nexthopGroups: number; errors: number } | null;
    sessionsAccepted: number;
    sessionsFailed: number;
    /** Connections refused as not zebra's, by reason kind (address, owner, invalid-first-frame, …). */
    refused: Record<string, number>;
    frames: number;
    events: { routeAdd: number; routeDel: number; lspAdd: number; lspDel: number; nexthopGroupAdd: number; nexthopGroupDel: number; errors: number; skipped: Record<string, number>; unusable: Record<string, number> };
    /** The latest messages that could not be used (skipped, the session went on). */
    lastUnusable: { what: string; reason: string; route: string | null; at: string }[];
  };
  vpp: VppLinkState & { prepared: boolean; ownership: string | null; requests: Record<string, Record<string, number>> };
  sync: SyncDoc;
  tables: { family: 4 | 6; table: number; desired: number; installed: number }[];
  lastErrors: { route: string; error: string; at: string }[];
}

/**
 * The reconciler's state as /state (and so `fibmgr status`) shows it: all of it but what is shown
 * elsewhere in the document (vpp.prepared, vpp.ownership, lastErrors, the session under fpm) or
 * is only progress's (auditChecked, adopting). A field added to ReconcilerState shows here as is.
 */
export type SyncDoc = Omit<ReconcilerState, (typeof NOT_IN_SYNC_DOC)[number]>;
const NOT_IN_SYNC_DOC = ['session', 'vppReady', 'ownership', 'lastErrors', 'auditChecked', 'adopting'] as const;

export function syncDoc(s: ReconcilerState): SyncDoc {
  const doc: Partial<ReconcilerState> = { ...s };
  for (const k of NOT_IN_SYNC_DOC) delete doc[k];
  return doc as SyncDoc;
}

export function readinessOf(src: OpsSources): Readiness {
  const s = src.sync.state();
  const v = src.vpp.state();
  return readiness(readinessInput(s, v.connected, src.fpm.stats.admitting));
}

function readinessInput(s: ReconcilerState, connected: boolean, admitting = 0) {
  const w = s.stale?.phase === 'stale-wait' ? { held: s.stale.held, until: s.stale.until, missing: s.stale.missing } : null;
  return { vppConnected: connected, vppPrepared: s.vppReady, resyncing: s.resyncing, staleWait: w, backlog: s.backlog, retrying: s.retrying, waitingForTables: s.waitingForTables, failingTables: s.failingTables.length, admitting };
}

export function buildState(src: OpsSources): StateDoc {
  const fpm = src.fpm.stats;
  const s = src.sync.state();
  const v = src.vpp.state();
  const requests: Record<string, Record<string, number>> = {};
  for (const [name, st] of src.vpp.requestStats()) requests[name] = { ...st.results };
  const sess = fpm.session;
  return {
    pid: process.pid,
    startedAt: src.startedAt.toISOString(),
    // measured on the process's monotonic clock: a step of the system clock does not change it
    uptimeSeconds: Math.round(process.uptime()),
    readiness: readiness(readinessInput(s, v.connected, fpm.admitting)),
    fpm: {
      state: fpm.state,
      session: sess && {
        id: sess.id, peer: sess.peer, since: sess.since.toISOString(),
        frames: sess.frames, routes: sess.routes, nexthopGroups: sess.nexthopGroups, errors: sess.errors,
      },
      sessionsAccepted: fpm.sessionsTotal,
      sessionsFailed: fpm.sessionsFailed,
      refused: fpm.refused,
      frames: fpm.framesTotal,
      events: {
        routeAdd: src.events.routeAdd, routeDel: src.events.routeDel, lspAdd: src.events.lspAdd, lspDel: src.events.lspDel, nexthopGroupAdd: src.events.nexthopGroupAdd,
        nexthopGroupDel: src.events.nexthopGroupDel, errors: src.events.errors,
        skipped: Object.fromEntries(src.events.skipped), unusable: Object.fromEntries(src.events.unusable),
      },
      lastUnusable: [...src.events.lastUnusable],
    },
    vpp: {
      ...v,
      prepared: s.vppReady,
      ownership: s.ownership ? (s.ownership.mode === 'source' ? `FIB source fibmgr (${s.ownership.sourceId})` : 'API source') : null,
      requests,
    },
    sync: syncDoc(s),
    tables: src.sync.perTable(),
    lastErrors: s.lastErrors,
  };
}
