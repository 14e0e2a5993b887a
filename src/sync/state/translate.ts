// zebra's tables and next hops → VPP's: the VPP table of a zebra table, and a next-hop set's VPP
// paths or the reason it cannot be installed (not-installed.ts: found on the paths). Pure: the
// interface lookup is passed in.
import type { Family, Nexthop, RouteType } from '../../route/types.js';
import type { PathsReason } from './not-installed.js';
import { SW_IF_INDEX_NONE, type VppPath } from '../vpp/vpp-port.js';

/** Zebra's main table: 254 in netlink (RT_TABLE_MAIN), VRF 0 in protobuf. Both are VPP's 0. */
export const ZEBRA_MAIN = 254;

export interface InterfaceLookup {
  /** Linux ifindex → VPP sw_if_index, undefined when unmapped. */
  interfaceFor(linuxIfindex: number): number | undefined;
}

/** A next-hop set's VPP paths (`dropped`: next hops left out, mapping to no VPP interface), or why it cannot be installed. */
export type PathsTranslation = { ok: true; paths: VppPath[]; dropped: number } | { ok: false; reason: PathsReason; detail?: string };

/** fib_path's weight is a u8. */
export const MAX_VPP_WEIGHT = 255;

export function vppTable(zebraTable: number, tableMap: ReadonlyMap<number, number>): number {
  const mapped = tableMap.get(zebraTable);
  if (mapped !== undefined) return mapped;
  return zebraTable === ZEBRA_MAIN || zebraTable === 0 ? 0 : zebraTable;
}

const KIND_OF_TYPE = { blackhole: 'drop', unreachable: 'icmp-unreach', prohibit: 'icmp-prohibit' } as const;

/** A next-hop set (a route's, or a nexthop group's after it changed) → VPP paths. */
export function translatePaths(
  family: Family,
  type: RouteType,
  nexthops: readonly Nexthop[],
  o: InterfaceLookup,
): PathsTranslation {
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
    const proto: Family = n.family ?? family;
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
