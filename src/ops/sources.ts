// Everything the ops surface (metrics, /state, /readyz, systemd status) reads, as one object the
// daemon assembles. Read-only views: ops never drives the pipeline.
import type { FpmServerStats } from '../fpm/server.js';
import type { Family } from '../route/types.js';
import type { AuditResult, ReconcilerState } from '../sync/reconciler.js';
import type { EventCounts } from './event-counts.js';
import type { VppLink } from './vpp-link.js';

export interface SyncView {
  state(): ReconcilerState;
  /** `fibmgr sweep`: ends the stale wait now; null when no resync is under way. */
  sweep(): { swept: number; kept: number } | null;
  perTable(): { family: Family; table: number; desired: number; installed: number }[];
  /** `fibmgr audit`: VPP's routes of our source against what fibmgr installed (read-only unless `repair`). */
  audit(opts: { maxDrift: number; repair: boolean }): Promise<AuditResult>;
  /** `fibmgr show route`: one prefix in one of zebra's tables. */
  showRoute(prefix: string, zebraTable: number): Promise<unknown>;
  /** `fibmgr show label`: one LSP, by its incoming label. */
  showLabel(label: number): Promise<unknown>;
}

export interface OpsSources {
  startedAt: Date;
  fpm: { readonly stats: FpmServerStats };
  events: EventCounts;
  sync: SyncView;
  vpp: VppLink;
}
