// RTM_NEWROUTE / RTM_DELROUTE → a route event. Inline next hops come back with their weights
// already converted by the caller's convention (see weights.ts); a route naming a nexthop group
// (RTA_NH_ID) comes back with no next hops and `nhg` set, for the session to resolve.
import { DecodeError } from '../decode-error.js';
import { prefixFromBytes } from '../../route/prefix.js';
import type { Nexthop, RouteEventRoute, RouteType, SkippedEvent } from '../../route/types.js';
import {
  AF_INET, AF_INET6, NLA_TYPE_MASK, RTA_DST, RTA_SRC, RTA_ENCAP, RTA_ENCAP_TYPE, RTA_GATEWAY, RTA_MULTIPATH, RTA_NH_ID,
  RTA_OIF, RTA_PRIORITY, RTA_TABLE, RTA_VIA, RTMSG_LEN, RTM_DELROUTE, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST,
  RTN_UNREACHABLE, RTN_UNSPEC, RTNH_LEN, familyName, messageName, protocolName,
} from './constants.js';
import { EncapAttrs, NO_LABELS, attrAddress, attrLength, attrU32, attrVia, viaFamily, u16, u32 } from './attributes.js';

/** rtnh_hops → real weight. */
export type WeightConverter = (hops: number) => number;

const ROUTE_TYPES: (RouteType | undefined)[] = [];
ROUTE_TYPES[RTN_UNSPEC] = 'unspec';
ROUTE_TYPES[RTN_UNICAST] = 'unicast';
ROUTE_TYPES[RTN_BLACKHOLE] = 'blackhole';
ROUTE_TYPES[RTN_UNREACHABLE] = 'unreachable';
ROUTE_TYPES[RTN_PROHIBIT] = 'prohibit';


const ZERO = Buffer.alloc(16);
const ROUTE_ENCAP = new EncapAttrs('RTA');
const HOP_ENCAP = new EncapAttrs('RTA');

/**
 * Decodes the rtmsg and attributes at [start, end) (after the nlmsghdr). Returns a skipped event
 * for families and route types fibmgr has no use for; throws DecodeError on malformed input.
 */
export function decodeRoute(
  buf: Buffer, start: number, end: number, msgType: number, weight: WeightConverter,
): RouteEventRoute | SkippedEvent {
  if (end - start < RTMSG_LEN) throw new DecodeError(`${messageName(msgType)}: ${end - start} bytes, too short for rtmsg`);
  const afam = buf[start];
  if (afam !== AF_INET && afam !== AF_INET6) return { kind: 'skipped', what: `${familyName(afam)} ${messageName(msgType)}` };
  const fam: 4 | 6 = afam === AF_INET ? 4 : 6;
  const dstLen = buf[start + 1];
  if (dstLen > (fam === 4 ? 32 : 128)) throw new DecodeError(`prefix length ${dstLen} too long for IPv${fam}`);
  const srcLen = buf[start + 2];
  if (srcLen > (fam === 4 ? 32 : 128)) throw new DecodeError(`source prefix length ${srcLen} too long for IPv${fam}`);
  const rtmType = buf[start + 7];
  const type = ROUTE_TYPES[rtmType];
  if (type === undefined) return { kind: 'skipped', what: `${messageName(msgType)} rtm_type ${rtmType}` };
  const del = msgType === RTM_DELROUTE;

  const protocol = protocolName(buf[start + 5]);
  seenTable = buf[start + 4];
  seenDst = -1;
  try {
    return routeBody(buf, start, end, msgType, weight, fam, dstLen, srcLen, type, del, protocol, buf[start + 5]!);
  } catch (err) {
    // Far enough to know the route: it cannot be installed as sent, and the error says which.
    if (err instanceof DecodeError && !err.route && (seenDst >= 0 || dstLen === 0)) {
      try {
        const prefix = prefixFromBytes(fam, seenDst < 0 ? ZERO : buf, seenDst < 0 ? 0 : seenDst, dstLen);
        err.route = { family: fam, table: seenTable, prefix, op: del ? 'del' : 'add', protocol, protocolId: buf[start + 5], type };
      } catch { /* the destination itself is bad: no identity */ }
    }
    throw err;
  }
}

// What routeBody has read so far, for the error path (module state: no object per route).
let seenTable = 0;
let seenDst = -1;

/** VPP takes at most this many paths per route (n_paths is a u8). */
export const MAX_PATHS = 255;

function routeBody(
  buf: Buffer, start: number, end: number, msgType: number, weight: WeightConverter,
  fam: 4 | 6, dstLen: number, srcLen: number, type: RouteType, del: boolean, protocol: string, protocolId: number,
): RouteEventRoute {
  let table = seenTable;
  let dst = -1, src = -1, oif = 0, gateway: string | null = null, gatewayFamily: 4 | 6 | null = null, metric = 0, nhId: number | null = null;
  let mpStart = -1, mpEnd = -1;
  const encap = ROUTE_ENCAP.reset();
  const addrLen = fam === 4 ? 4 : 16;
  for (let p = start + RTMSG_LEN; p < end; ) {
    const len = attrLength(buf, p, end, messageName(msgType));
    switch (u16(buf, p + 2) & NLA_TYPE_MASK) {
      case RTA_DST:
        if (len - 4 !== addrLen) throw new DecodeError(`RTA_DST payload ${len - 4} bytes, want ${addrLen} for IPv${fam}`);
        seenDst = dst = p + 4;
        break;
      case RTA_SRC:
        if (len - 4 !== addrLen) throw new DecodeError(`RTA_SRC payload ${len - 4} bytes, want ${addrLen} for IPv${fam}`);
        src = p + 4;
        break;
      case RTA_OIF: oif = attrU32(buf, p, len, 'RTA_OIF'); break;
      case RTA_GATEWAY: gateway = attrAddress(buf, p, len, fam, 'RTA_GATEWAY'); gatewayFamily = fam; break;
      case RTA_VIA: gateway = attrVia(buf, p, len); gatewayFamily = viaFamily(buf, p); break;
      case RTA_PRIORITY: metric = attrU32(buf, p, len, 'RTA_PRIORITY'); break;
      case RTA_TABLE: seenTable = table = attrU32(buf, p, len, 'RTA_TABLE'); break;
      case RTA_NH_ID: nhId = attrU32(buf, p, len, 'RTA_NH_ID'); break;
      case RTA_MULTIPATH: mpStart = p + 4; mpEnd = p + len; break;
      case RTA_ENCAP_TYPE: encap.setType(buf, p, len); break;
      case RTA_ENCAP: encap.setBody(p, len); break;
    }
    p += (len + 3) & ~3;
  }
  if (dst < 0) {
    if (dstLen !== 0) throw new DecodeError(`prefix length ${dstLen} without RTA_DST`);
  }
  const prefix = prefixFromBytes(fam, dst < 0 ? ZERO : buf, dst < 0 ? 0 : dst, dstLen);
  // A source prefix makes another route than the plain one of this destination (the kernel keys
  // IPv6 routes on both); VPP's ip_route has no source, so it cannot be installed, and it must not
  // be mistaken for the plain route (no RTA_SRC with a length reads as ::/len, as zebra reads it).
  if (srcLen > 0) {
    const from = prefixFromBytes(fam, src < 0 ? ZERO : buf, src < 0 ? 0 : src, srcLen);
    const err = new DecodeError(`route ${prefix} from ${from} table ${table} is source-specific: VPP's routes have no source prefix`, 'source-specific');
    err.route = { family: fam, table, prefix, op: del ? 'del' : 'add', protocol, protocolId, type, src: from };
    throw err;
  }

  let nexthops: Nexthop[] = NO_LABELS as unknown as Nexthop[];
  if (!del && type === 'unicast' && nhId === null) {
    if (mpStart >= 0) nexthops = multipath(buf, mpStart, mpEnd, fam, weight);
    else if (gateway !== null || oif !== 0) {
      const labels = encap.labels(buf);
      nexthops = [{ gateway, family: gatewayFamily, ifindex: oif === 0 ? null : oif, weight: 1, labels }];
    }
  }
  return {
    kind: 'route', op: del ? 'del' : 'add', family: fam, table, prefix, type,
    protocol, protocolId, metric, nhg: nhId, nexthops,
  };
}

function multipath(buf: Buffer, start: number, end: number, fam: 4 | 6, weight: WeightConverter): Nexthop[] {
  const out: Nexthop[] = [];
  for (let q = start; q < end; ) {
    if (end - q < RTNH_LEN) throw new DecodeError(`RTA_MULTIPATH: ${end - q} trailing bytes, too short for rtnexthop`);
    const len = u16(buf, q);
    if (len < RTNH_LEN) throw new DecodeError(`RTA_MULTIPATH: rtnexthop length ${len} < ${RTNH_LEN}`);
    if (q + len > end) throw new DecodeError(`RTA_MULTIPATH: rtnexthop (length ${len}) overruns RTA_MULTIPATH by ${q + len - end} bytes`);
    const hops = buf[q + 3];
    const ifindex = u32(buf, q + 4);
    let gateway: string | null = null;
    let gatewayFamily: 4 | 6 | null = null;
    const encap = HOP_ENCAP.reset();
    for (let p = q + RTNH_LEN; p < q + len; ) {
      const alen = attrLength(buf, p, q + len, 'rtnexthop');
      switch (u16(buf, p + 2) & NLA_TYPE_MASK) {
        case RTA_GATEWAY: gateway = attrAddress(buf, p, alen, fam, 'RTA_GATEWAY'); gatewayFamily = fam; break;
        case RTA_VIA: gateway = attrVia(buf, p, alen); gatewayFamily = viaFamily(buf, p); break;
        case RTA_ENCAP_TYPE: encap.setType(buf, p, alen); break;
        case RTA_ENCAP: encap.setBody(p, alen); break;
      }
      p += (alen + 3) & ~3;
    }
    const labels = encap.labels(buf);
    out.push({ gateway, family: gatewayFamily, ifindex: ifindex === 0 ? null : ifindex, weight: weight(hops), labels });
    q += (len + 3) & ~3;
    if (out.length > MAX_PATHS) throw new DecodeError(`RTA_MULTIPATH: more than ${MAX_PATHS} next hops, VPP's limit per route`, 'too-many-nexthops');
  }
  return out;
}
