// Route specs ↔ the fields of VPP's route messages (the generated codec's shape: field names as
// in ip.api.json / fib_types.api.json, addresses and prefixes as text). Pure, so that what
// fibmgr installs and what it reads back from a dump compare without a socket.
import { parsePrefix } from '../../route/prefix.js';
import type { Family } from '../../route/types.js';
import type { FibPath, FibPathIn, IpRoute, IpRouteV2 } from 'vpp-binapi-ts/gen';
import { SW_IF_INDEX_NONE, type VppPath, type VppRouteSpec } from './vpp-port.js';

// fib_path_type and fib_path_nh_proto values from fib_types.api.json: only these four path
// types are ever sent (UDP_ENCAP without an object crashed the recorded VPP).
export const PATH_TYPE = { normal: 0, drop: 2, 'icmp-unreach': 5, 'icmp-prohibit': 6 } as const;
const KIND_OF_TYPE = new Map<number, VppPath['kind']>(Object.entries(PATH_TYPE).map(([k, v]) => [v, k as VppPath['kind']]));
const NH_PROTO_IP4 = 0;
const NH_PROTO_IP6 = 1;
/** The TTL VPP's own clients give out-labels (the recorded MPLS routes carry 64). */
const LABEL_TTL = 64;

export function pathFields(p: VppPath): FibPathIn {
  const address = p.gateway === null ? {} : p.proto === 6 ? { ip6: p.gateway } : { ip4: p.gateway };
  return {
    sw_if_index: p.swIfIndex >>> 0,
    table_id: 0,
    rpf_id: 0,
    weight: p.weight,
    preference: 0,
    type: PATH_TYPE[p.kind],
    flags: 0,
    proto: p.proto === 6 ? NH_PROTO_IP6 : NH_PROTO_IP4,
    nh: { address, via_label: 0, obj_id: 0, classify_table_index: 0 },
    n_labels: p.labels.length,
    label_stack: p.labels.map((label) => ({ is_uniform: 0, label, ttl: LABEL_TTL, exp: 0 })),
  };
}

function isZeroAddress(a: string | undefined): boolean {
  return a === undefined || a === '0.0.0.0' || a === '::';
}

/**
 * A dumped route (ip_route_details / ip_route_v2_details `route`) as a spec, or null when it
 * holds a path fibmgr never installs (it is then not ours to judge, and is left alone).
 */
export function specFromDetails(route: IpRoute | IpRouteV2): VppRouteSpec | null {
  const prefix = parsePrefix(route.prefix);
  const family = prefix.family;
  const paths: VppPath[] = [];
  for (const p of route.paths as FibPath[]) {
    const path = pathFromFields(p, family);
    if (!path) return null;
    paths.push(path);
  }
  return { family, table: route.table_id, prefix, paths };
}

/** A dumped fib_path (the generated codec's shape) as a VppPath, or null for a kind fibmgr never installs. */
export function pathFromFields(p: FibPath, family: Family): VppPath | null {
  const kind = KIND_OF_TYPE.get(Number(p.type));
  if (!kind) return null;
  const proto: Family = Number(p.proto) === NH_PROTO_IP6 ? 6 : Number(p.proto) === NH_PROTO_IP4 ? 4 : family;
  const addr = proto === 6 ? p.nh?.address?.ip6 : p.nh?.address?.ip4;
  const n = Math.min(Number(p.n_labels ?? 0), p.label_stack?.length ?? 0);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) labels.push(Number(p.label_stack[i]!.label));
  return {
    kind,
    proto,
    gateway: kind === 'normal' && !isZeroAddress(addr) ? String(addr) : null,
    swIfIndex: Number(p.sw_if_index) >>> 0,
    weight: Number(p.weight),
    labels,
  };
}

/** A canonical text of a path set: equal sets (in any order) give equal text. */
export function pathsKey(paths: readonly VppPath[]): string {
  const parts = paths.map((p) => {
    const sw = p.swIfIndex === SW_IF_INDEX_NONE ? '*' : String(p.swIfIndex);
    return `${p.kind}/${p.proto}/${p.gateway ?? '-'}/${sw}/${p.weight}/${p.labels.join('.')}`;
  });
  return parts.sort().join(' ');
}
