// Prometheus metrics. The pipeline keeps plain counters (a prom-client call per route would cost
// more than the route); each metric here reads them when scraped. Only the resync histogram is
// observed as it happens, because resyncs are rare and each one matters.
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS } from 'vpp-binapi-ts';
import type { OpsSources } from './sources.js';
import { NOT_INSTALLED_REASONS } from '../sync/state/not-installed.js';

type Labels = Record<string, string | number>;
interface Sample {
  labels?: Labels;
  value: number;
  metricName?: string;
}

/** A metric whose samples are read from the sources at scrape time. */
class Snapshot {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter' | 'histogram',
    private readonly read: () => Sample[],
  ) {}

  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: string } {
    return { name: this.name, help: this.help, type: this.type, values: this.read(), aggregator: 'sum' };
  }
}

export interface Metrics {
  registry: Registry;
  /** Called by the reconciler at the end of each resync. */
  resyncDone(r: { durationMs: number; writes: number }): void;
}

export function createMetrics(src: OpsSources, opts: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const add = (name: string, help: string, type: Snapshot['type'], read: () => Sample[]) =>
    registry.registerMetric(new Snapshot(name, help, type, read) as never);
  const one = (value: number): Sample[] => [{ value }];

  // A scrape reads the reconciler's state once, not once per metric.
  let cached: { at: number; state: ReturnType<OpsSources['sync']['state']>; tables: ReturnType<OpsSources['sync']['perTable']> } | null = null;
  const sync = () => {
    // monotonic: after a backward step of the system clock a wall-clock age would keep the cache for good
    const now = performance.now();
    if (!cached || now - cached.at > 500) cached = { at: now, state: src.sync.state(), tables: src.sync.perTable() };
    return cached;
  };

  // --- FPM ---
  add('fibmgr_fpm_session_up', 'Whether a zebra FPM session is connected (1) or not (0)', 'gauge', () => one(src.fpm.stats.session ? 1 : 0));
  add('fibmgr_fpm_session_paused', 'Whether reading the FPM session is paused for backpressure', 'gauge', () => one(src.fpm.stats.state === 'paused' ? 1 : 0));
  add('fibmgr_fpm_sessions_accepted_total', 'zebra FPM sessions accepted', 'counter', () => one(src.fpm.stats.sessionsTotal));
  add('fibmgr_fpm_sessions_failed_total', 'FPM sessions closed because their byte stream was malformed', 'counter', () => one(src.fpm.stats.sessionsFailed));
  add('fibmgr_fpm_bytes_total', 'Bytes received from zebra', 'counter', () => one(src.fpm.stats.bytesTotal));
  add('fibmgr_fpm_frames_total', 'FPM frames received', 'counter', () => one(src.fpm.stats.framesTotal));
  add('fibmgr_fpm_events_total', 'Decoded events received from zebra, by kind and operation', 'counter', () => {
    const e = src.events;
    return [
      { labels: { kind: 'route', op: 'add' }, value: e.routeAdd },
      { labels: { kind: 'route', op: 'del' }, value: e.routeDel },
      { labels: { kind: 'lsp', op: 'add' }, value: e.lspAdd },
      { labels: { kind: 'lsp', op: 'del' }, value: e.lspDel },
      { labels: { kind: 'nexthop-group', op: 'add' }, value: e.nexthopGroupAdd },
      { labels: { kind: 'nexthop-group', op: 'del' }, value: e.nexthopGroupDel },
    ];
  });
  add('fibmgr_fpm_connections_refused_total', 'Connections to the FPM port refused as not zebra\'s, by reason (address, owner, busy, invalid-first-frame, too-many-waiting)', 'counter', () =>
    Object.entries(src.fpm.stats.refused).map(([reason, value]) => ({ labels: { reason }, value })));
  add('fibmgr_fpm_decode_errors_total', 'FPM frames or messages that could not be decoded', 'counter', () => one(src.events.errors));
  add('fibmgr_fpm_skipped_total', 'Messages skipped, by reason: a kind fibmgr does not use (RTM_NEWNEIGH, …) or why one could not be used (unsupported-encap, nested-group, malformed, …)', 'counter', () =>
    [...src.events.skipped, ...src.events.unusable].map(([reason, value]) => ({ labels: { reason }, value })));

  // --- desired and installed routes ---
  add('fibmgr_routes_desired', 'Routes zebra wants in VPP, by VPP table and family', 'gauge', () =>
    sync().tables.map((t) => ({ labels: { family: `ipv${t.family}`, table: t.table }, value: t.desired })));
  add('fibmgr_routes_installed', 'Routes fibmgr has installed in VPP, by VPP table and family', 'gauge', () =>
    sync().tables.map((t) => ({ labels: { family: `ipv${t.family}`, table: t.table }, value: t.installed })));
  add('fibmgr_lsps', 'LSPs (MPLS labels, VPP\'s MPLS table 0) by state: desired (zebra wants them), installed (VPP holds them), pending (being written or failing)', 'gauge', () => {
    const l = sync().state.lsps;
    return [{ labels: { state: 'desired' }, value: l.desired }, { labels: { state: 'installed' }, value: l.installed }, { labels: { state: 'pending' }, value: l.pending }];
  });
  add('fibmgr_lsp_errors_total', 'LSP writes VPP refused or that failed (each is retried with backoff)', 'counter', () => one(sync().state.lsps.errors));
  add('fibmgr_lsps_skipped_total', 'LSPs zebra sent that cannot be installed (no usable next hop, an unusable message)', 'counter', () => one(sync().state.lsps.skipped));
  add('fibmgr_backlog', 'Route changes not yet acknowledged by VPP (queued, held, in flight)', 'gauge', () => one(sync().state.backlog));
  add('fibmgr_routes_retrying', 'Routes VPP refused, waiting for a retry', 'gauge', () => one(sync().state.retrying));
  add('fibmgr_path_sets', 'Distinct next-hop sets in use', 'gauge', () => one(sync().state.pathSets));
  add('fibmgr_route_writes_total', 'Route writes acknowledged by VPP, by operation', 'counter', () => {
    const c = sync().state.counters;
    return [{ labels: { op: 'replace' }, value: c.replaces }, { labels: { op: 'remove' }, value: c.removes }];
  });
  add('fibmgr_route_write_timeouts_total', 'Route writes VPP did not answer in time (the route is written again after the session reset)', 'counter', () => one(sync().state.counters.timeouts));
  add('fibmgr_vpp_table_errors_total', 'Attempts to create a VPP table that VPP refused (retried with backoff; only that table\'s routes wait)', 'counter', () => one(sync().state.counters.tableErrors));
  add('fibmgr_routes_waiting_for_table', 'Routes waiting for their VPP table to be created (not part of the backlog)', 'gauge', () => one(sync().state.waitingForTables));
  add('fibmgr_vpp_tables_failing', 'VPP tables VPP would not create at the last attempt', 'gauge', () => one(sync().state.failingTables.length));
  add('fibmgr_route_errors_total', 'Route writes VPP refused or that failed (each is retried)', 'counter', () => one(sync().state.counters.errors));
  add('fibmgr_routes_skipped_total', `Route events not installed, by reason (${NOT_INSTALLED_REASONS.join(', ')})`, 'counter', () =>
    Object.entries(sync().state.counters.skipped).map(([reason, value]) => ({ labels: { reason }, value })));
  add('fibmgr_unmappable_nexthops_total', 'Interface-only next hops whose Linux interface maps to no VPP interface (route skipped or installed without them)', 'counter', () => {
    const c = sync().state.counters;
    return one(c.skipped['unmappable-nexthop'] + c.partialPaths);
  });

  add('fibmgr_route_notifications_total', 'Route notifications sent to zebra, by kind (offload: installed in VPP or left to it; offload-failed: could not be installed)', 'counter', () => {
    const n = sync().state.counters.notified;
    return [{ labels: { kind: 'offload' }, value: n.offload }, { labels: { kind: 'offload-failed' }, value: n.failed }];
  });

  add('fibmgr_audit_runs_total', 'Audits of VPP\'s routes of fibmgr\'s source against what fibmgr installed', 'counter', () => one(sync().state.counters.audits));
  add('fibmgr_audit_drift_total', 'Routes an audit found differing, by kind (missing in VPP, extra under our source, different paths)', 'counter', () =>
    Object.entries(sync().state.counters.drift).map(([kind, value]) => ({ labels: { kind }, value })));
  add('fibmgr_audit_duration_seconds', 'How long the last audit took', 'gauge', () => one((sync().state.lastAudit?.durationMs ?? 0) / 1000));

  // --- resyncs ---
  add('fibmgr_resyncs_total', 'Resyncs with zebra (one per FPM session)', 'counter', () => one(sync().state.counters.resyncs));
  add('fibmgr_resync_swept_total', 'Stale routes deleted at the end of resyncs', 'counter', () => one(sync().state.counters.swept));
  add('fibmgr_stale_routes', 'Routes zebra\'s replay has not confirmed, held (forwarding) during a stale wait', 'gauge', () => {
    const st = sync().state.stale;
    return one(st?.phase === 'stale-wait' ? st.held : 0);
  });
  add('fibmgr_stale_wait_seconds_left', 'Seconds until the stale wait ends at the latest (0: no wait)', 'gauge', () => {
    const st = sync().state.stale;
    return one(st?.phase === 'stale-wait' ? Math.max(0, (Date.parse(st.until) - Date.now()) / 1000) : 0);
  });
  add('fibmgr_resync_in_progress', 'Whether a resync is under way', 'gauge', () => one(sync().state.resyncing ? 1 : 0));
  let resyncWrites = 0;
  add('fibmgr_resync_writes_total', 'Route writes made during resyncs (0 when zebra replays an unchanged table)', 'counter', () => one(resyncWrites));
  const resyncDuration = new Histogram({
    name: 'fibmgr_resync_duration_seconds',
    help: 'Time from a zebra session start to the end of its replay, grace period excluded',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 40, 80, 160],
    registers: [registry],
  });

  // --- VPP ---
  add('fibmgr_vpp_connected', 'Whether the VPP API session is up', 'gauge', () => one(src.vpp.state().connected ? 1 : 0));
  add('fibmgr_vpp_ready', 'Whether VPP is connected and prepared (FIB source found, routes diffed)', 'gauge', () => one(sync().state.vppReady ? 1 : 0));
  add('fibmgr_vpp_reconnects_total', 'VPP API sessions re-established after a loss', 'counter', () => one(src.vpp.state().reconnects));
  add('fibmgr_vpp_leftover_sessions_reaped', 'Sessions of API clients that died without a goodbye (a crashed fibmgr), reaped from VPP at start', 'gauge', () => one(src.vpp.state().leftoversReaped ?? 0));
  add('fibmgr_vpp_requests_total', 'VPP API requests completed, by message and result', 'counter', () => {
    const out: Sample[] = [];
    for (const [message, st] of src.vpp.requestStats()) {
      for (const [result, value] of Object.entries(st.results)) out.push({ labels: { message, result }, value });
    }
    return out;
  });
  add('fibmgr_vpp_request_duration_seconds', 'VPP API request latency, send to reply, by message', 'histogram', () => {
    const out: Sample[] = [];
    for (const [message, st] of src.vpp.requestStats()) {
      let cum = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cum += st.buckets[i]!;
        out.push({ metricName: 'fibmgr_vpp_request_duration_seconds_bucket', labels: { le, message }, value: cum });
      });
      cum += st.buckets[LATENCY_BUCKETS.length]!;
      out.push({ metricName: 'fibmgr_vpp_request_duration_seconds_bucket', labels: { le: '+Inf', message }, value: cum });
      out.push({ metricName: 'fibmgr_vpp_request_duration_seconds_sum', labels: { message }, value: st.sum });
      out.push({ metricName: 'fibmgr_vpp_request_duration_seconds_count', labels: { message }, value: st.count });
    }
    return out;
  });

  return {
    registry,
    resyncDone(r) {
      resyncWrites += r.writes;
      resyncDuration.observe(r.durationMs / 1000);
    },
  };
}
