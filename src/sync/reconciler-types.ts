// The reconciler's public shapes: its options, its state as /state and the metrics read it, and
// the answers of its operator queries (show route, audit).
import type { LspSync } from './mpls/lsp-sync.js';
import type { Logger } from '../log.js';
import type { Family, RouteType } from '../route/types.js';
import type { Clock } from './clock.js';
import type { FailingTable } from './write/table-maker.js';
import type { NotInstalledReason } from './state/not-installed.js';
import type { Ownership } from './vpp/vpp-port.js';

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
  /** Told when a resync ends (for metrics). */
  onResyncDone?: (r: NonNullable<ReconcilerState['lastResync']>) => void;
  /** How long routes zebra's replay did not confirm keep forwarding when the replay is not evidently complete (stale-rule.ts). Default 120 s. */
  staleTimeMs?: number;
  /** Time for the resync's quiet period and stale wait (tests pass a fake one). */
  clock?: Clock;
}

export interface StaleState {
  phase: 'replaying' | 'stale-wait';
  /** Routes held that zebra's replay has not confirmed (counted at the end of the replay). */
  held: number;
  since: string;
  until: string;
  /** The groups waiting ("bgp ipv4 table 0"; adopted routes have no protocol), and the adoption if it holds the resync open. */
  missing: string[];
  /** Each group's wait: routes held, its deadline, why it waits (resync.ts WaitReason). */
  waits: { group: string; held: number; until: string; why: string }[];
}

export interface ReconcilerCounters {
  replaces: number;
  removes: number;
  /** Writes VPP acknowledged. */
  acked: number;
  errors: number;
  /** Writes VPP did not answer in time (their routes' state in VPP became unknown). */
  timeouts: number;
  /** Attempts to create a VPP table that VPP refused (each retried with backoff). */
  tableErrors: number;
  retries: number;
  /** Routes not installed, by reason (not-installed.ts: the table of reasons). */
  skipped: Record<NotInstalledReason, number>;
  partialPaths: number;
  nhgReresolved: number;
  resyncs: number;
  swept: number;
  keptUntouched: number;
  /** Route notifications sent to zebra, by kind. */
  notified: { offload: number; failed: number };
  /** Audits run, and the drift they found (repaired when the audit repairs). */
  audits: number;
  drift: { missing: number; extra: number; different: number };
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
  /** Routes waiting for a VPP table to be created (not in the backlog). */
  waitingForTables: number;
  /** Tables VPP would not create: the last refusal, attempts, since when, routes waiting. */
  failingTables: FailingTable[];
  pathSets: number;
  congested: boolean;
  counters: ReconcilerCounters;
  lastResync: { session: number; durationMs: number; refreshed: number; swept: number; kept: number; writes: number; staleWaitMs: number } | null;
  /** The resync's stale routes, while a resync is under way. */
  stale: StaleState | null;
  lastErrors: { route: string; error: string; at: string }[];
  /** The last audit of VPP against what fibmgr believes it installed. */
  lastAudit: AuditResult | null;
  /** Routes the audit under way has read so far (null: no audit). */
  auditChecked: number | null;
  /** Routes of VPP adopted so far while its routes are read (null: not reading them). */
  adopting: number | null;
  /** LSPs (MPLS table 0): wanted, installed, being written or failing, and what went wrong. */
  lsps: ReturnType<LspSync['state']>;
}

/** A route zebra sent that fibmgr did not install, and why (`fibmgr show route`). */
export interface NotInstalledRecord {
  reason: NotInstalledReason;
  /** What exactly, where the reason alone does not say (an unusable message: its kind and why). */
  detail: string | null;
  at: string;
  protocol: string;
  type: RouteType;
  zebraTable: number;
  nexthops: { gateway: string | null; ifindex: number | null; weight: number; labels: number[] }[];
}

/** Everything fibmgr knows of one route (`fibmgr show route`). */
export interface RouteExplain {
  family: Family;
  /** VPP table. */
  table: number;
  prefix: string;
  /** What zebra last sent, as far as fibmgr keeps it; null when zebra has not sent this route (or deleted it). */
  zebra: { protocol: string; protocolId: number; table: number; type: RouteType; nhg: number | null } | null;
  /** The paths fibmgr wants in VPP, and those it believes VPP holds from it (pathsKey text). */
  wants: string | null;
  installed: string | null;
  /** in-sync, queued, in-flight, retrying, waiting-for-table, unknown-in-vpp (a write timed out; written again once VPP is back), not-installed, unknown. */
  state: string;
  attempts: number;
  lastError: string | null;
  /** When zebra's route was not installed: why, with what zebra sent. */
  skipped: NotInstalledRecord | null;
  /** Route notification to zebra still owed. */
  notifyPending: boolean;
}

export type DriftKind = 'missing' | 'extra' | 'different';

/** One route where VPP and fibmgr disagree: paths as text (pathsKey), null where there are none. */
export interface Drift {
  kind: DriftKind;
  family: Family;
  table: number;
  prefix: string;
  vpp: string | null;
  fibmgr: string | null;
}

export interface AuditResult {
  at: string;
  /** Whether VPP's routes of our source could be read at all (else `error` says why). */
  ok: boolean;
  error?: string;
  /** Routes of our source VPP holds, as dumped. */
  checked: number;
  /** Routes written while the dump ran, or waiting to be written: not judged (their state moves). */
  unjudged: number;
  missing: number;
  extra: number;
  different: number;
  repaired: number;
  durationMs: number;
  /** The first differences (up to `maxDrift`). */
  drift: Drift[];
  /** VPP's MPLS table against the LSPs fibmgr installed (absent where VPP has no MPLS messages, or not ready). */
  lsps?: LspAudit;
}

/** The LSP half of an audit: VPP's MPLS table 0 (labels 16 and up) against what fibmgr installed. */
export interface LspAudit {
  checked: number;
  /** Labels being written or waiting for a retry: not judged. */
  unjudged: number;
  missing: number;
  extra: number;
  different: number;
  repaired: number;
  drift: { label: number; kind: DriftKind; vpp: string | null; fibmgr: string | null }[];
}
