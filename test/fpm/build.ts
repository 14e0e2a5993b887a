// Builds FPM frames byte by byte for tests and the bench: netlink (host order, little-endian)
// and protobuf, with the same structs zebra writes.
import { parseAddress, parsePrefix, prefixBytes } from '../../src/route/prefix.js';
import { FpmMessage } from '../../src/fpm/protobuf/schema.js';

export const AF_INET = 2, AF_INET6 = 10, AF_MPLS = 28;
export const RTM_NEWLINK = 16, RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_NEWNEIGH = 28, RTM_NEWNEXTHOP = 104, RTM_DELNEXTHOP = 105;
export const NLA_F_NESTED = 0x8000;

const pad4 = (n: number): number => (n + 3) & ~3;

export function u16le(v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; }
export function u32le(v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; }

/** One rtattr, padded to 4. */
export function rta(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(pad4(4 + payload.length));
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

export function nlmsg(type: number, body: Buffer, flags = 0): Buffer {
  const b = Buffer.alloc(pad4(16 + body.length));
  b.writeUInt32LE(16 + body.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  body.copy(b, 16);
  return b;
}

export function fpmFrame(type: number, body: Buffer, version = 1): Buffer {
  const h = Buffer.alloc(4);
  h[0] = version;
  h[1] = type;
  h.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}

export function netlinkFrame(...msgs: Buffer[]): Buffer {
  return fpmFrame(1, Buffer.concat(msgs));
}

/** RTA_ENCAP_TYPE (MPLS) + RTA_ENCAP {MPLS_IPTUNNEL_DST: label stack entries, network order}. */
export function mplsEncap(labels: number[], encapTypeAttr = 21, encapAttr = 22): Buffer {
  const stack = Buffer.alloc(4 * labels.length);
  labels.forEach((l, i) => stack.writeUInt32BE(((l << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0, 4 * i));
  return Buffer.concat([rta(encapTypeAttr, u16le(1)), rta(encapAttr | NLA_F_NESTED, rta(1, stack))]);
}

export interface PathSpec { gateway?: string; ifindex?: number; hops?: number; labels?: number[]; via?: string }

export interface RouteSpec {
  op?: 'add' | 'del';
  prefix: string;
  /** Default: from the prefix. */
  family?: number;
  /** rtm_table (u8); RTA_TABLE is added when `tableAttr` is set. */
  rtmTable?: number;
  tableAttr?: number;
  protocol?: number;
  type?: number;
  metric?: number;
  gateway?: string;
  via?: string;
  oif?: number;
  labels?: number[];
  nhId?: number;
  multipath?: PathSpec[];
  /** Extra raw attributes appended. */
  extra?: Buffer[];
  /** Leave RTA_DST out. */
  noDst?: boolean;
  /** Write RTA_DST for a /0 too (without it, a /0 has none, as the kernel allows). */
  dstAlways?: boolean;
  /** A source prefix (rtm_src_len and RTA_SRC), as `ipv6 route X from Y` and babel make. */
  src?: string;
}

function viaAttr(addr: string): Buffer {
  const a = parseAddress(addr);
  return rta(18, Buffer.concat([u16le(a.family === 4 ? AF_INET : AF_INET6), a.bytes]));
}

/** One struct rtnexthop of RTA_MULTIPATH: its length, hops (weight - 1) and ifindex, then its attributes. */
function rtnexthop(h: { hops?: number; ifindex?: number }, attrs: Buffer[]): Buffer {
  const body = Buffer.concat(attrs);
  const nh = Buffer.alloc(8);
  nh.writeUInt16LE(8 + body.length, 0);
  nh[3] = h.hops ?? 0;
  nh.writeInt32LE(h.ifindex ?? 0, 4);
  return Buffer.concat([nh, body]);
}

export function routeBody(r: RouteSpec): Buffer {
  const p = parsePrefix(r.prefix);
  const hdr = Buffer.alloc(12);
  hdr[0] = r.family ?? (p.family === 4 ? AF_INET : AF_INET6);
  hdr[1] = p.len;
  const src = r.src ? parsePrefix(r.src) : null;
  hdr[2] = src?.len ?? 0;
  hdr[4] = r.rtmTable ?? 254;
  hdr[5] = r.protocol ?? 196;
  hdr[6] = 0;
  hdr[7] = r.type ?? ((r.op ?? 'add') === 'del' ? 0 : 1);
  const attrs: Buffer[] = [hdr];
  if (!r.noDst && (p.len > 0 || r.dstAlways)) attrs.push(rta(1, prefixBytes(p)));
  if (src) attrs.push(rta(2, prefixBytes(src)));
  if (r.tableAttr !== undefined) attrs.push(rta(15, u32le(r.tableAttr)));
  if (r.metric !== undefined) attrs.push(rta(6, u32le(r.metric)));
  if (r.nhId !== undefined) attrs.push(rta(30, u32le(r.nhId)));
  if (r.gateway) attrs.push(rta(5, parseAddress(r.gateway).bytes));
  if (r.via) attrs.push(viaAttr(r.via));
  if (r.oif !== undefined) attrs.push(rta(4, u32le(r.oif)));
  if (r.labels) attrs.push(mplsEncap(r.labels));
  if (r.multipath) {
    const paths = r.multipath.map((h) => {
      const inner: Buffer[] = [];
      if (h.gateway) inner.push(rta(5, parseAddress(h.gateway).bytes));
      if (h.via) inner.push(viaAttr(h.via));
      if (h.labels) inner.push(mplsEncap(h.labels));
      return rtnexthop(h, inner);
    });
    attrs.push(rta(9 | NLA_F_NESTED, Buffer.concat(paths)));
  }
  attrs.push(...(r.extra ?? []));
  return Buffer.concat(attrs);
}

export function routeMsg(r: RouteSpec): Buffer {
  return nlmsg((r.op ?? 'add') === 'del' ? RTM_DELROUTE : RTM_NEWROUTE, routeBody(r));
}

export interface NexthopSpec {
  op?: 'add' | 'del';
  id: number;
  family?: number;
  gateway?: string;
  oif?: number;
  blackhole?: boolean;
  /** Real weights (written as weight − 1, 16 bits: the low byte, then the high byte as zebra's --nexthop-weight-16-bit writes it). */
  group?: { id: number; weight?: number }[];
  labels?: number[];
}

export function nexthopMsg(n: NexthopSpec): Buffer {
  const hdr = Buffer.alloc(8);
  const gw = n.gateway ? parseAddress(n.gateway) : null;
  hdr[0] = n.family ?? (n.group ? 0 : gw ? (gw.family === 4 ? AF_INET : AF_INET6) : AF_INET);
  hdr[2] = 196;
  const attrs: Buffer[] = [hdr, rta(1, u32le(n.id))];
  if (n.group) {
    const g = Buffer.alloc(8 * n.group.length);
    n.group.forEach((m, i) => { g.writeUInt32LE(m.id, 8 * i); g.writeUInt16LE((m.weight ?? 1) - 1, 8 * i + 4); });
    attrs.push(rta(2, g));
  }
  if (n.blackhole) attrs.push(rta(4, Buffer.alloc(0)));
  if (n.oif !== undefined) attrs.push(rta(5, u32le(n.oif)));
  if (gw) attrs.push(rta(6, gw.bytes));
  if (n.labels) attrs.push(mplsEncap(n.labels, 7, 8));
  return nlmsg((n.op ?? 'add') === 'del' ? RTM_DELNEXTHOP : RTM_NEWNEXTHOP, Buffer.concat(attrs));
}

/** A protobuf frame from a plain object in fpm.Message's shape (snake_case field names). */
export function protobufFrame(obj: Record<string, unknown>): Buffer {
  const err = FpmMessage.verify(obj);
  if (err) throw new Error(`bad test message: ${err}`);
  return fpmFrame(2, Buffer.from(FpmMessage.encode(FpmMessage.fromObject(obj)).finish()));
}

/** The address as qpb's Ipv4Address value (big-endian number). */
export function v4value(addr: string): number {
  return parseAddress(addr).bytes.readUInt32BE(0);
}

export interface LspSpec {
  op?: 'add' | 'del';
  label: number;
  /** The bottom-of-stack bit on RTA_DST (FRR always sets it). */
  eos?: boolean;
  protocol?: number;
  via?: string;
  oif?: number;
  /** RTA_NEWDST: the outgoing stack (absent: pop). */
  out?: number[];
  multipath?: { via?: string; ifindex?: number; hops?: number; out?: number[] }[];
}

/** Label stack entries, network order, bottom-of-stack on the last. */
export function labelEntries(labels: number[]): Buffer {
  const b = Buffer.alloc(4 * labels.length);
  labels.forEach((l, i) => b.writeUInt32BE(((l << 12) | (i === labels.length - 1 ? 0x100 : 0)) >>> 0, 4 * i));
  return b;
}

/** An AF_MPLS route message as dplane_fpm_nl writes an LSP. */
export function lspMsg(l: LspSpec): Buffer {
  const del = (l.op ?? 'add') === 'del';
  const hdr = Buffer.alloc(12);
  hdr[0] = AF_MPLS;
  hdr[1] = 20;
  hdr[4] = 254;
  hdr[5] = l.protocol ?? (del ? 0 : 196);
  hdr[7] = 1;
  const dst = Buffer.alloc(4);
  dst.writeUInt32BE(((l.label << 12) | ((l.eos ?? true) ? 0x100 : 0)) >>> 0);
  const attrs: Buffer[] = [hdr, rta(1, dst)];
  if (l.out) attrs.push(rta(19, labelEntries(l.out)));
  if (l.via) attrs.push(viaAttr(l.via));
  if (l.oif !== undefined) attrs.push(rta(4, u32le(l.oif)));
  if (l.multipath) {
    const paths = l.multipath.map((h) => {
      const inner: Buffer[] = [];
      if (h.out) inner.push(rta(19, labelEntries(h.out)));
      if (h.via) inner.push(viaAttr(h.via));
      return rtnexthop(h, inner);
    });
    attrs.push(rta(9 | NLA_F_NESTED, Buffer.concat(paths)));
  }
  return nlmsg(del ? RTM_DELROUTE : RTM_NEWROUTE, Buffer.concat(attrs));
}
