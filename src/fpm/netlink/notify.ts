// Route notifications back to zebra (dplane_fpm_nl, FRR 8.5 and later): one FPM frame per route,
// holding an RTM_NEWROUTE with NLM_F_REQUEST whose rtm_flags say what the dataplane did with it.
// zebra reads only the first netlink message of each frame, so notifications are never packed
// several to a frame; many frames go in one socket write instead. zebra finds the route by family,
// destination, table and protocol: these echo what zebra sent (rtm_table for tables below 256,
// else rtm_table 0 and RTA_TABLE, as zebra writes them). No next hops: zebra does not read them.
import { FPM_HEADER_LEN, FPM_MSG_NETLINK, FPM_VERSION } from '../frame.js';
import { AF_INET, AF_INET6, NLMSG_HDRLEN, RTA_DST, RTA_TABLE, RTMSG_LEN, RTM_NEWROUTE, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE } from './constants.js';
import type { Family, RouteType } from '../../route/types.js';

export const NLM_F_REQUEST = 0x1;
/** The route is installed in the dataplane. */
export const RTM_F_OFFLOAD = 0x4000;
/** The route could not be installed. */
export const RTM_F_OFFLOAD_FAILED = 0x20000000;

/** The longest notification: header, nlmsghdr, rtmsg, RTA_DST of an IPv6 address, RTA_TABLE. */
export const MAX_NOTIFICATION_LEN = FPM_HEADER_LEN + NLMSG_HDRLEN + RTMSG_LEN + 20 + 8;

const RTM_TYPES: Record<RouteType, number> = { unicast: RTN_UNICAST, blackhole: RTN_BLACKHOLE, unreachable: RTN_UNREACHABLE, prohibit: RTN_PROHIBIT, unspec: RTN_UNICAST };

/** rtm_type as zebra wrote it for a route of this type. */
export function rtmType(type: RouteType): number {
  return RTM_TYPES[type];
}

/**
 * Writes one notification frame at `off` (room: MAX_NOTIFICATION_LEN) and returns the offset after
 * it. The destination: `v4` (the address as an unsigned 32-bit number) for IPv4, `v6` (16 bytes)
 * for IPv6. Positional arguments: a replay's million notifications allocate nothing here.
 */
export function writeRouteNotification(
  out: Buffer, off: number, family: Family, v4: number, v6: Uint8Array | null, len: number,
  table: number, protocol: number, type: number, flags: number,
): number {
  const alen = family === 4 ? 4 : 16;
  const wide = table > 255;
  const nlLen = NLMSG_HDRLEN + RTMSG_LEN + 4 + alen + (wide ? 8 : 0);
  const total = FPM_HEADER_LEN + nlLen;
  out[off] = FPM_VERSION;
  out[off + 1] = FPM_MSG_NETLINK;
  out.writeUInt16BE(total, off + 2);
  let p = off + FPM_HEADER_LEN;
  out.writeUInt32LE(nlLen, p);
  out.writeUInt16LE(RTM_NEWROUTE, p + 4);
  out.writeUInt16LE(NLM_F_REQUEST, p + 6);
  out.writeUInt32LE(0, p + 8); // seq
  out.writeUInt32LE(0, p + 12); // pid
  p += NLMSG_HDRLEN;
  out[p] = family === 4 ? AF_INET : AF_INET6;
  out[p + 1] = len;
  out[p + 2] = 0; // src_len
  out[p + 3] = 0; // tos
  out[p + 4] = wide ? 0 : table;
  out[p + 5] = protocol;
  out[p + 6] = 0; // scope: universe
  out[p + 7] = type;
  out.writeUInt32LE(flags >>> 0, p + 8);
  p += RTMSG_LEN;
  out.writeUInt16LE(4 + alen, p);
  out.writeUInt16LE(RTA_DST, p + 2);
  if (family === 4) out.writeUInt32BE(v4 >>> 0, p + 4);
  else out.set(v6!.subarray(0, 16), p + 4);
  p += 4 + alen;
  if (wide) {
    out.writeUInt16LE(8, p);
    out.writeUInt16LE(RTA_TABLE, p + 2);
    out.writeUInt32LE(table >>> 0, p + 4);
    p += 8;
  }
  return p;
}
