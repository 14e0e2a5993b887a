// Why a route zebra sent is not installed in VPP, and everything that follows from each reason:
// where it is found, what zebra is told, how it is logged, its counter and metric label, and what
// `fibmgr show route` says of it. Every other place reads this table: a new reason is one entry
// here (with its `applies` when it is found on the route itself) and one test.
//
// The decoder's UnusableKind (route/types.ts) is not this: it says why a *message* could not be
// used (the FPM layer's concern, counted per kind in fibmgr_fpm_skipped_total, and the same for
// LSPs and nexthop groups); what the sync does with the *route* such a message was about is the
// reason here ('unusable-message', or 'source-specific', which is its own route). The decoder's
// SkippedEvent (a message kind fibmgr does not read at all, RTM_NEWNEIGH…) names no route either.
//
// The external names keep the older word: /state's counters.skipped and /route's `skipped`, the
// metric fibmgr_routes_skipped_total{reason}.
import type { Logger } from '../../log.js';
import type { Nexthop, Prefix, Route } from '../../route/types.js';

/**
 * Where a reason is found, which is also where it must be checked:
 * - `route`: on the route itself (protocol, type, prefix), in `routeReason` before its next hops
 *   are looked at. Never in the translation of a next-hop set: that is made once and shared by
 *   every route through the same next hops (hop-sets.ts), so a route's own check there would
 *   decide for all of them.
 * - `paths`: from the next-hop set under the current interface map (translatePaths); it may
 *   change when the map does.
 * - `message`: the decoder could not use zebra's message about the route (an ErrorEvent naming it).
 */
export type FoundAt = 'route' | 'paths' | 'message';

/**
 * What zebra is told of an add not installed (a delete is never answered): `installed` — VPP
 * forwards it by routes of its own, so zebra may count it offloaded — or `failed`.
 */
export type ZebraTold = 'installed' | 'failed';

/** How the daemon logs a route not installed for this reason: the first `warnPerSession` of each zebra session at warn, the rest at debug. */
export interface LogRule {
  warnPerSession: number;
  message: string;
}

export interface ReasonEntry {
  found: FoundAt;
  /** For `route` reasons: whether it applies to this route (checked in the table's order). */
  applies?: (r: Route, o: RouteReasonOptions) => boolean;
  zebra: ZebraTold;
  /** Null: not logged per route (the message's own log says it, or it is expected). */
  log: LogRule | null;
  /** What `fibmgr show route` says after "not installed: <reason>". */
  explain: string;
}

export interface RouteReasonOptions {
  installConnected: boolean;
}

/** Warned for the first 200 routes of a zebra session (a full table's worth would flood the log), the rest at debug. */
const warned = (message: string): LogRule => ({ warnPerSession: 200, message });

/**
 * The reasons. Each key is also the counter's key (/state counters.skipped) and the metric's
 * reason label (fibmgr_routes_skipped_total).
 */
export const NOT_INSTALLED = {
  connected: {
    found: 'route', zebra: 'installed',
    applies: (r, o) => !o.installConnected && isConnected(r),
    log: null,
    explain: 'a connected route (an interface\'s own subnet): VPP has its own route for it (--install-connected installs it)',
  },
  multicast: {
    found: 'route', zebra: 'failed',
    applies: (r) => isMulticast(r.prefix),
    log: warned('route not installed: its destination is multicast (VPP forwards multicast by its multicast FIB, which fibmgr does not write)'),
    explain: 'a multicast destination (224.0.0.0/4, ff00::/8): VPP looks those up in its multicast FIB, never in the unicast one fibmgr writes',
  },
  'unmappable-nexthop': {
    found: 'paths', zebra: 'failed',
    log: warned('route not installed: its next hops are not mapped to VPP interfaces (see --interface-map, linux-cp)'),
    explain: 'no next hop maps to a VPP interface (see --interface-map, linux-cp); it is installed once one does',
  },
  'no-nexthops': {
    found: 'paths', zebra: 'failed',
    log: warned('route not installed: zebra sent it with no next hops'),
    explain: 'zebra sent it with no next hops',
  },
  'source-specific': {
    found: 'message', zebra: 'failed',
    log: warned('route not installed: it is source-specific (VPP\'s routes have no source prefix); the route of its destination is left as it is'),
    explain: 'an IPv6 route with a source prefix: VPP\'s routes have none (the route of its destination is left as it is)',
  },
  'unusable-message': {
    found: 'message', zebra: 'failed',
    // the FPM server logs the message it could not use
    log: null,
    explain: 'zebra\'s message about it could not be used; whatever VPP held for it was removed',
  },
} as const satisfies Record<string, ReasonEntry>;

export type NotInstalledReason = keyof typeof NOT_INSTALLED;
type FoundWhere<F extends FoundAt> = { [K in NotInstalledReason]: (typeof NOT_INSTALLED)[K]['found'] extends F ? K : never }[NotInstalledReason];
/** What a next-hop set's translation can say against it. */
export type PathsReason = FoundWhere<'paths'>;
export type RouteReason = FoundWhere<'route'>;

export const NOT_INSTALLED_REASONS = Object.keys(NOT_INSTALLED) as NotInstalledReason[];

const ROUTE_REASONS: { reason: RouteReason; applies: (r: Route, o: RouteReasonOptions) => boolean }[] = [];
for (const reason of NOT_INSTALLED_REASONS) {
  const e: ReasonEntry = NOT_INSTALLED[reason];
  if (e.found === 'route') ROUTE_REASONS.push({ reason: reason as RouteReason, applies: e.applies! });
}

/** Why this route is not installed, found on the route itself (before its next hops), or null. */
export function routeReason(r: Route, o: RouteReasonOptions): RouteReason | null {
  for (let i = 0; i < ROUTE_REASONS.length; i++) if (ROUTE_REASONS[i]!.applies(r, o)) return ROUTE_REASONS[i]!.reason;
  return null;
}

/** Zebra's answer for an add not installed for `reason`. */
export function zebraTold(reason: NotInstalledReason): ZebraTold {
  return NOT_INSTALLED[reason].zebra;
}

/** `fibmgr show route`'s words for a reason (null when this fibmgr does not know it: another version's daemon). */
export function explainReason(reason: string): string | null {
  return (NOT_INSTALLED as Record<string, ReasonEntry>)[reason]?.explain ?? null;
}

/** The counters, one a reason, all zero. */
export function newReasonCounts(): Record<NotInstalledReason, number> {
  return Object.fromEntries(NOT_INSTALLED_REASONS.map((r) => [r, 0])) as Record<NotInstalledReason, number>;
}

/**
 * Connected routes (an interface's own subnet): protobuf says so; netlink gives protocol
 * "kernel" for them and for routes learned from the kernel alike, and only the next hops tell
 * them apart: a connected route has interfaces and no gateway.
 */
export function isConnected(r: Route): boolean {
  if (r.protocol === 'connected') return true;
  if (r.protocol !== 'kernel' || r.type !== 'unicast' || r.nexthops.length === 0) return false;
  return r.nexthops.every((n) => n.gateway === null && n.ifindex !== null);
}

/** What a log line names of a route not installed (a route event, or the route a message was about). */
export interface LoggedRoute {
  prefix: Prefix;
  /** zebra's table. */
  table: number;
  protocol: string;
  nexthops?: readonly Nexthop[];
  /** A source-specific route's source prefix. */
  src?: Prefix;
}

/**
 * A network inside 224.0.0.0/4 or ff00::/8. VPP's ip4-input and ip6-input send a packet to such a
 * destination to the multicast FIB's lookup, so a unicast route there would hold FIB memory and
 * show in the dumps without ever forwarding a packet.
 */
export function isMulticast(p: Prefix): boolean {
  return p.family === 4 ? p.len >= 4 && p.w0 >>> 28 === 0xe : p.len >= 8 && p.w0 >>> 24 === 0xff;
}

/** Counts each route not installed and logs it by its reason's rule (throttled per zebra session). */
export class NotInstalledCounter {
  private logged = newReasonCounts();

  constructor(
    private readonly log: Logger,
    /** The counters /state shows (ReconcilerCounters.skipped). */
    readonly counts: Record<NotInstalledReason, number>,
  ) {}

  /** A new zebra session: each reason's warnings start again. */
  sessionStart(): void {
    this.logged = newReasonCounts();
  }

  /**
   * Route `r` (zebra's; in VPP table `table`) is not installed for `reason`: counted, and logged by
   * the reason's rule unless `logged` is false (a caller that logs one summary for many).
   */
  note(reason: NotInstalledReason, table: number, r: LoggedRoute, logged = true): void {
    this.counts[reason]++;
    const rule: LogRule | null = NOT_INSTALLED[reason].log;
    if (rule === null || !logged) return;
    const fields = { route: `${table} ${r.prefix}`, ...(r.src ? { from: String(r.src) } : {}), zebraTable: r.table, protocol: r.protocol, reason, ...(r.nexthops ? { nexthops: r.nexthops } : {}) };
    if (this.logged[reason]++ < rule.warnPerSession) this.log.warn(fields, rule.message);
    else this.log.debug(fields, 'route not installed');
  }
}
