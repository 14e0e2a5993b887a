// RTM_NEWNEXTHOP / RTM_DELNEXTHOP → a nexthop-object definition (one next hop, a blackhole, or a
// group of other ids). NHA_GROUP weights are the kernel's struct nexthop_grp (weight − 1) in
// both FRR modules, so they are converted here, whatever the session's route convention. The
// weight is 16 bits: its low byte in `weight`, its high byte in the next (`resvd1` in older
// headers, `weight_high` since Linux 6.12), which zebra fills with --nexthop-weight-16-bit (FRR
// 10.5 and later; zebra then scales a group's weights up to 65,535) and leaves 0 otherwise.
import { DecodeError } from '../decode-error.js';
import type { Nexthop } from '../../route/types.js';
import {
  AF_INET, AF_INET6, NHA_BLACKHOLE, NHA_ENCAP, NHA_ENCAP_TYPE, NHA_GATEWAY, NHA_GROUP, NHA_ID, NHA_OIF, NHMSG_LEN,
  NLA_TYPE_MASK, RTM_DELNEXTHOP, messageName,
} from './constants.js';
import { EncapAttrs, attrAddress, attrLength, attrU32, u16, u32 } from './attributes.js';

const ENCAP = new EncapAttrs('NHA');

export interface NexthopDef {
  op: 'add' | 'del';
  id: number;
  /** Members with their real weights, for a group. */
  group: { id: number; weight: number }[] | null;
  /** The one next hop, for a plain nexthop object. */
  nexthop: Nexthop | null;
  blackhole: boolean;
}

/** Members a group may list: one path each, and VPP takes at most 255 paths per route. */
export const MAX_GROUP_MEMBERS = 255;

let seenId = -1;

/** Throws DecodeError; once the id is known the error carries it (routes naming it cannot be installed). */
export function decodeNexthop(buf: Buffer, start: number, end: number, msgType: number): NexthopDef {
  seenId = -1;
  try {
    return nexthopBody(buf, start, end, msgType);
  } catch (err) {
    if (err instanceof DecodeError && seenId > 0 && msgType !== RTM_DELNEXTHOP) err.nexthopId = seenId;
    throw err;
  }
}

function nexthopBody(buf: Buffer, start: number, end: number, msgType: number): NexthopDef {
  const name = messageName(msgType);
  if (end - start < NHMSG_LEN) throw new DecodeError(`${name}: ${end - start} bytes, too short for nhmsg`);
  const afam = buf[start];
  let id = -1, oif = 0, gateway: string | null = null, gatewayFamily: 4 | 6 | null = null, blackhole = false;
  let group: { id: number; weight: number }[] | null = null;
  const encap = ENCAP.reset();
  for (let p = start + NHMSG_LEN; p < end; ) {
    const len = attrLength(buf, p, end, name);
    switch (u16(buf, p + 2) & NLA_TYPE_MASK) {
      case NHA_ID: seenId = id = attrU32(buf, p, len, 'NHA_ID'); break;
      case NHA_OIF: oif = attrU32(buf, p, len, 'NHA_OIF'); break;
      case NHA_BLACKHOLE: blackhole = true; break;
      case NHA_GATEWAY: {
        // The family of the gateway is the nhmsg's; AF_UNSPEC can only be told apart by length.
        const fam = afam === AF_INET ? 4 : afam === AF_INET6 ? 6 : len - 4 === 4 ? 4 : 6;
        gateway = attrAddress(buf, p, len, fam, 'NHA_GATEWAY');
        gatewayFamily = fam;
        break;
      }
      case NHA_GROUP: {
        const n = len - 4;
        if (n === 0 || n % 8 !== 0) throw new DecodeError(`NHA_GROUP payload ${n} bytes, not a non-empty list of 8-byte entries`);
        group = [];
        for (let q = p + 4; q < p + len; q += 8) group.push({ id: u32(buf, q), weight: u16(buf, q + 4) + 1 });
        break;
      }
      case NHA_ENCAP_TYPE: encap.setType(buf, p, len); break;
      case NHA_ENCAP: encap.setBody(p, len); break;
    }
    p += (len + 3) & ~3;
  }
  if (id < 0) throw new DecodeError(`${name} without NHA_ID`);
  if (id === 0) throw new DecodeError(`${name} with NHA_ID 0`);
  const del = msgType === RTM_DELNEXTHOP;
  if (del) return { op: 'del', id, group: null, nexthop: null, blackhole: false };
  if (group) {
    if (group.length > MAX_GROUP_MEMBERS) throw new DecodeError(`nexthop group ${id} lists ${group.length} members, more than ${MAX_GROUP_MEMBERS}`, 'group-too-large');
    for (const m of group) if (m.id === id) throw new DecodeError(`nexthop group ${id} lists itself as a member`);
    return { op: 'add', id, group, nexthop: null, blackhole: false };
  }
  if (blackhole) return { op: 'add', id, group: null, nexthop: null, blackhole: true };
  if (gateway === null && oif === 0) throw new DecodeError(`${name} ${id}: no gateway, interface, group or blackhole`);
  const labels = encap.labels(buf);
  const nexthop: Nexthop = Object.freeze({ gateway, family: gatewayFamily, ifindex: oif === 0 ? null : oif, weight: 1, labels });
  return { op: 'add', id, group: null, nexthop, blackhole: false };
}
