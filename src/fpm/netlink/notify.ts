// Route notifications back to zebra (dplane_fpm_nl, FRR 8.5 and later): one FPM frame per route,
// holding an RTM_NEWROUTE with NLM_F_REQUEST whose rtm_flags say what the dataplane did with it.
// zebra reads only the first netlink message of each frame, so notifications are never packed
// several to a frame; many frames go in one socket write instead. zebra finds the route by family,
// destination, table and protocol: these echo what zebra sent (rtm_table for tables below 256,
// else rtm_table 0 and RTA_TABLE, as zebra writes them), and a source-specific route by its source
// too (rtm_src_len, RTA_SRC: zebra keys IPv6 routes on both). No next hops: zebra does not read them.
import { FPM_HEADER_LEN, FPM_MSG_NETLINK, FPM_VERSION } from '../frame.js';
import { AF_INET, AF_INET6, NLMSG_HDRLEN, RTA_DST, RTA_SRC, RTA_TABLE, RTMSG_LEN, RTM_NEWROUTE, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE } from './constants.js';
import type { Prefix, RouteType } from '../../route/types.js';
import { writePrefixBytes } from '../../route/prefix.js';

export const NLM_F_REQUEST = 0x1;
/** The route is installed in the dataplane. */
export const RTM_F_OFFLOAD = 0x4000;
/** The route could not be installed. */
export const RTM_F_OFFLOAD_FAILED = 0x20000000;

/** The longest notification: header, nlmsghdr, rtmsg, RTA_DST and RTA_SRC of IPv6 addresses, RTA_TABLE. */
export const MAX_NOTIFICATION_LEN = FPM_HEADER_LEN + NLMSG_HDRLEN + RTMSG_LEN + 20 + 20 + 8;

const RTM_TYPES: Record<RouteType, number> = { unicast: RTN_UNICAST, blackhole: RTN_BLACKHOLE, unreachable: RTN_UNREACHABLE, prohibit: RTN_PROHIBIT, unspec: RTN_UNICAST };

/** rtm_type as zebra wrote it for a route of this type. */
export function rtmType(type: RouteType): number {
  return RTM_TYPES[type];
}

/**
 * Writes one notification frame at `off` (room: MAX_NOTIFICATION_LEN) and returns the offset after
 * it: the route to `dst`, and a source-specific route's source prefix `src`. Positional
 * arguments: a replay's million notifications allocate nothing here.
 */
export function writeRouteNotification(
  out: Buffer, off: number, dst: Prefix, table: number, protocol: number, type: number, flags: number, src: Prefix | null = null,
): number {
  // byte stores: a replay writes a million of these, and Buffer's write methods check each call
  const family = dst.family;
  const alen = family === 4 ? 4 : 16;
  const wide = table > 255;
  const withSrc = src !== null && src.len > 0;
  const nlLen = NLMSG_HDRLEN + RTMSG_LEN + 4 + alen + (withSrc ? 4 + alen : 0) + (wide ? 8 : 0);
  const total = FPM_HEADER_LEN + nlLen;
  out[off] = FPM_VERSION;
  out[off + 1] = FPM_MSG_NETLINK;
  out[off + 2] = total >>> 8;
  out[off + 3] = total & 255;
  let p = off + FPM_HEADER_LEN;
  le32(out, p, nlLen);
  le16(out, p + 4, RTM_NEWROUTE);
  le16(out, p + 6, NLM_F_REQUEST);
  le32(out, p + 8, 0); // seq
  le32(out, p + 12, 0); // pid
  p += NLMSG_HDRLEN;
  out[p] = family === 4 ? AF_INET : AF_INET6;
  out[p + 1] = dst.len;
  out[p + 2] = withSrc ? src.len : 0;
  out[p + 3] = 0; // tos
  out[p + 4] = wide ? 0 : table;
  out[p + 5] = protocol;
  out[p + 6] = 0; // scope: universe
  out[p + 7] = type;
  le32(out, p + 8, flags);
  p += RTMSG_LEN;
  le16(out, p, 4 + alen);
  le16(out, p + 2, RTA_DST);
  writePrefixBytes(dst, out, p + 4);
  p += 4 + alen;
  if (withSrc) {
    le16(out, p, 4 + alen);
    le16(out, p + 2, RTA_SRC);
    writePrefixBytes(src, out, p + 4);
    p += 4 + alen;
  }
  if (wide) {
    le16(out, p, 8);
    le16(out, p + 2, RTA_TABLE);
    le32(out, p + 4, table);
    p += 8;
  }
  return p;
}

function le16(b: Buffer, p: number, v: number): void {
  b[p] = v & 255;
  b[p + 1] = (v >>> 8) & 255;
}

function le32(b: Buffer, p: number, v: number): void {
  b[p] = v & 255;
  b[p + 1] = (v >>> 8) & 255;
  b[p + 2] = (v >>> 16) & 255;
  b[p + 3] = (v >>> 24) & 255;
}
