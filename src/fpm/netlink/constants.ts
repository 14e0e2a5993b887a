// Linux rtnetlink numbers (uapi rtnetlink.h, nexthop.h, lwtunnel.h) and FRR's protocol names.

export const NLMSG_HDRLEN = 16;
export const RTM_NEWLINK = 16, RTM_DELLINK = 17;
export const RTM_NEWADDR = 20, RTM_DELADDR = 21;
export const RTM_NEWROUTE = 24, RTM_DELROUTE = 25;
export const RTM_NEWNEIGH = 28, RTM_DELNEIGH = 29;
export const RTM_NEWNEXTHOP = 104, RTM_DELNEXTHOP = 105;

export const AF_UNSPEC = 0, AF_INET = 2, AF_INET6 = 10, AF_MPLS = 28;

export const RTMSG_LEN = 12;
export const RTA_DST = 1, RTA_SRC = 2, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6, RTA_MULTIPATH = 9, RTA_TABLE = 15;
export const RTA_VIA = 18, RTA_NEWDST = 19, RTA_ENCAP_TYPE = 21, RTA_ENCAP = 22, RTA_NH_ID = 30;
export const RTNH_LEN = 8;

export const NHMSG_LEN = 8;
export const NHA_ID = 1, NHA_GROUP = 2, NHA_BLACKHOLE = 4, NHA_OIF = 5, NHA_GATEWAY = 6, NHA_ENCAP_TYPE = 7, NHA_ENCAP = 8;

export const LWTUNNEL_ENCAP_MPLS = 1;
export const MPLS_IPTUNNEL_DST = 1;

/** Attribute type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER flag bits. */
export const NLA_TYPE_MASK = 0x3fff;

export const RTN_UNSPEC = 0, RTN_UNICAST = 1, RTN_BLACKHOLE = 6, RTN_UNREACHABLE = 7, RTN_PROHIBIT = 8;

const MESSAGE_NAMES: Record<number, string> = {
  1: 'NLMSG_NOOP', 2: 'NLMSG_ERROR', 3: 'NLMSG_DONE', 4: 'NLMSG_OVERRUN',
  16: 'RTM_NEWLINK', 17: 'RTM_DELLINK', 18: 'RTM_GETLINK', 19: 'RTM_SETLINK',
  20: 'RTM_NEWADDR', 21: 'RTM_DELADDR', 24: 'RTM_NEWROUTE', 25: 'RTM_DELROUTE',
  28: 'RTM_NEWNEIGH', 29: 'RTM_DELNEIGH', 32: 'RTM_NEWRULE', 33: 'RTM_DELRULE',
  36: 'RTM_NEWQDISC', 37: 'RTM_DELQDISC', 64: 'RTM_NEWNETCONF', 65: 'RTM_DELNETCONF',
  84: 'RTM_NEWNSID', 85: 'RTM_DELNSID', 104: 'RTM_NEWNEXTHOP', 105: 'RTM_DELNEXTHOP',
};

/** Name used in skipped events and stats: "RTM_NEWNEIGH", or "netlink type N" for numbers with no name here. */
export function messageName(type: number): string {
  return MESSAGE_NAMES[type] ?? `netlink type ${type}`;
}

const FAMILY_NAMES: Record<number, string> = { 0: 'AF_UNSPEC', 2: 'AF_INET', 7: 'AF_BRIDGE', 10: 'AF_INET6', 28: 'AF_MPLS' };

export function familyName(family: number): string {
  return FAMILY_NAMES[family] ?? `family ${family}`;
}

// rtm_protocol names as FRR prints them: the kernel's RTPROT_* (rtnetlink.h) plus FRR's own
// values (zebra/rt_netlink.h, tools/etc/iproute2/rt_protos.d/frr.conf).
const PROTOCOL_NAMES: string[] = [];
for (const [n, name] of [
  [0, 'unspec'], [1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [8, 'gated'], [9, 'ra'],
  [10, 'mrt'], [11, 'zebra'], [12, 'bird'], [13, 'dnrouted'], [14, 'xorp'], [15, 'ntk'], [16, 'dhcp'],
  [17, 'mrouted'], [18, 'keepalived'], [42, 'babel'], [99, 'openr'],
  [186, 'bgp'], [187, 'isis'], [188, 'ospf'], [189, 'rip'], [190, 'ripng'], [191, 'nhrp'], [192, 'eigrp'],
  [193, 'ldp'], [194, 'sharp'], [195, 'pbr'], [196, 'static'], [197, 'openfabric'], [198, 'srte'],
] as const) PROTOCOL_NAMES[n] = name;
for (let i = 0; i < 256; i++) PROTOCOL_NAMES[i] ??= String(i);

/** rtm_protocol (u8) → name; numbers without a name print as their decimal value. */
export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol & 0xff];
}
