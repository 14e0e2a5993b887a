// A zebra route → the VPP route fibmgr wants (table id, prefix, path set), or the reason it is
// not installed. Pure: the interface lookup is passed in.
import type { Family, Nexthop, Route, RouteType } from '../route/types.js';
import { SW_IF_INDEX_NONE, type VppPath } from './vpp-port.js';

/** Zebra's main table: 254 in netlink (RT_TABLE_MAIN), VRF 0 in protobuf. Both are VPP's 0. */
export const ZEBRA_MAIN = 254;

export interface TranslateOptions {
  /** zebra table id → VPP table id (--table-map); wins over the main-table rule. */
  tableMap: ReadonlyMap<number, number>;
  installConnected: boolean;
  /** Linux ifindex → VPP sw_if_index, undefined when unmapped. */
  interfaceFor(linuxIfindex: number): number | undefined;
}

/**
 * Why a route zebra sent is not installed (the reason label of fibmgr_routes_skipped_total, and
 * the counters' keys): `connected` (VPP has its own interface routes), `unmappable-nexthop` (no
 * next hop maps to a VPP interface, see --interface-map), `no-nexthops`, `source-specific` (an
 * IPv6 route with a source prefix: VPP's routes have none), `unusable-message` (any other message
 * fibmgr could not use: the event counts say which kind).
 */
export const SKIP_REASONS = ['connected', 'unmappable-nexthop', 'no-nexthops', 'source-specific', 'unusable-message'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
/** What a next-hop set's translation can say against it. */
export type PathSkip = Extract<SkipReason, 'connected' | 'unmappable-nexthop' | 'no-nexthops'>;

export type Translated =
  | { ok: true; table: number; paths: VppPath[]; dropped: number }
  | { ok: false; table: number; reason: PathSkip; detail?: string };

/** fib_path's weight is a u8. */
export const MAX_VPP_WEIGHT = 255;

export function vppTable(zebraTable: number, tableMap: ReadonlyMap<number, number>): number {
  const mapped = tableMap.get(zebraTable);
  if (mapped !== undefined) return mapped;
  return zebraTable === ZEBRA_MAIN || zebraTable === 0 ? 0 : zebraTable;
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

const KIND_OF_TYPE = { blackhole: 'drop', unreachable: 'icmp-unreach', prohibit: 'icmp-prohibit' } as const;

export function translate(r: Route, o: TranslateOptions): Translated {
  const table = vppTable(r.table, o.tableMap);
  if (!o.installConnected && isConnected(r)) return { ok: false, table, reason: 'connected' };
  return { table, ...translatePaths(r.family, r.type, r.nexthops, o) };
}

/** A next-hop set (a route's, or a nexthop group's after it changed) → VPP paths. */
export function translatePaths(
  family: Family,
  type: RouteType,
  nexthops: readonly Nexthop[],
  o: Pick<TranslateOptions, 'interfaceFor'>,
): { ok: true; paths: VppPath[]; dropped: number } | { ok: false; reason: PathSkip; detail?: string } {
  const special = KIND_OF_TYPE[type as keyof typeof KIND_OF_TYPE];
  if (special) {
    return { ok: true, paths: [{ kind: special, proto: family, gateway: null, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [] }], dropped: 0 };
  }
  if (nexthops.length === 0) return { ok: false, reason: 'no-nexthops' };
  const paths: VppPath[] = [];
  let dropped = 0;
  const unmapped: string[] = [];
  // VPP's path weight is a byte; zebra's 16-bit group weights (scaled up to 65,535) keep their ratios
  let maxWeight = 0;
  for (const n of nexthops) if (n.weight > maxWeight) maxWeight = n.weight;
  const scale = maxWeight > MAX_VPP_WEIGHT ? MAX_VPP_WEIGHT / maxWeight : 1;
  for (const n of nexthops) {
    const sw = n.ifindex === null ? undefined : o.interfaceFor(n.ifindex);
    if (sw === undefined && (n.gateway === null || isLinkLocal6(n.gateway))) {
      // An interface VPP does not know: installing it recursive or on a guessed interface would
      // forward somewhere zebra never said (a link-local gateway means nothing without its
      // interface: VPP could never resolve it).
      dropped++;
      unmapped.push(n.ifindex === null ? `${n.gateway} (no interface)` : n.gateway === null ? `${n.ifindex}` : `${n.ifindex} (link-local ${n.gateway})`);
      continue;
    }
    const proto: Family = n.gateway === null ? family : n.gateway.includes(':') ? 6 : 4;
    paths.push({
      kind: 'normal',
      proto,
      gateway: n.gateway,
      swIfIndex: sw ?? SW_IF_INDEX_NONE,
      weight: Math.max(1, Math.round(n.weight * scale)),
      labels: n.labels,
    });
  }
  if (paths.length === 0) return { ok: false, reason: 'unmappable-nexthop', detail: `no VPP interface for Linux ifindex ${unmapped.join(', ') || '(none)'}` };
  return { ok: true, paths, dropped };
}

/** An IPv6 link-local address (fe80::/10), as canonical text. */
export function isLinkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

/** The Linux interfaces whose VPP interface differs between two maps (added, removed or moved). */
export function changedInterfaces(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): Set<number> {
  const out = new Set<number>();
  for (const [i, sw] of after) if (before.get(i) !== sw) out.add(i);
  for (const i of before.keys()) if (!after.has(i)) out.add(i);
  return out;
}
