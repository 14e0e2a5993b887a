// Reading rtattr lists in place (host byte order: zebra's netlink is the kernel's, little-endian here).
import { DecodeError } from '../decode-error.js';
import { formatIPv4, formatIPv6 } from '../../route/prefix.js';
import { MAX_LABELS } from '../../route/types.js';
import { AF_INET, AF_INET6, LWTUNNEL_ENCAP_MPLS, MPLS_IPTUNNEL_DST, NLA_TYPE_MASK } from './constants.js';

export function u16(buf: Buffer, p: number): number {
  return buf[p] | (buf[p + 1] << 8);
}

export function u32(buf: Buffer, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x1000000;
}

/** Header of the attribute at p, checked against end; returns its length (header included). */
export function attrLength(buf: Buffer, p: number, end: number, what: string): number {
  if (end - p < 4) throw new DecodeError(`${what}: ${end - p} trailing bytes, too short for an attribute header`);
  const len = u16(buf, p);
  if (len < 4) throw new DecodeError(`${what}: attribute type ${u16(buf, p + 2) & NLA_TYPE_MASK} has length ${len} < 4`);
  if (p + len > end) {
    throw new DecodeError(`${what}: attribute type ${u16(buf, p + 2) & NLA_TYPE_MASK} (length ${len}) overruns its container by ${p + len - end} bytes`);
  }
  return len;
}

export function attrU32(buf: Buffer, p: number, len: number, name: string): number {
  if (len < 8) throw new DecodeError(`${name} payload ${len - 4} bytes, want 4`);
  return u32(buf, p + 4);
}

/** A gateway-like address payload whose length names its family (4 or 16 bytes). */
export function attrAddress(buf: Buffer, p: number, len: number, family: 4 | 6, name: string): string {
  const n = len - 4;
  if (family === 4) {
    if (n !== 4) throw new DecodeError(`${name} payload ${n} bytes, want 4 for IPv4`);
    return formatIPv4(buf, p + 4);
  }
  if (n !== 16) throw new DecodeError(`${name} payload ${n} bytes, want 16 for IPv6`);
  return formatIPv6(buf, p + 4);
}

/** The family of an RTA_VIA that attrVia read. */
export function viaFamily(buf: Buffer, p: number): 4 | 6 {
  return u16(buf, p + 4) === AF_INET ? 4 : 6;
}

/** RTA_VIA: {family u16, address}: an IPv4 route through an IPv6 next hop, and every LSP's next hop. */
export function attrVia(buf: Buffer, p: number, len: number): string {
  if (len < 6) throw new DecodeError(`RTA_VIA payload ${len - 4} bytes, too short`);
  const f = u16(buf, p + 4);
  const n = len - 6;
  if (f === AF_INET && n === 4) return formatIPv4(buf, p + 6);
  if (f === AF_INET6 && n === 16) return formatIPv6(buf, p + 6);
  throw new DecodeError(`RTA_VIA with family ${f} and ${n} address bytes`);
}

export const NO_LABELS: number[] = Object.freeze([]) as unknown as number[];

/**
 * MPLS out-labels of an encap (payload of RTA_ENCAP / NHA_ENCAP at [start, end)). Label stack
 * entries are network byte order {label:20, tc:3, bos:1, ttl:8}; only the labels matter.
 */
export function mplsLabels(buf: Buffer, encapType: number, start: number, end: number): number[] {
  if (encapType !== LWTUNNEL_ENCAP_MPLS) throw new DecodeError(`unsupported next-hop encapsulation type ${encapType}${encapType === 100 ? ' (FRR\'s VXLAN)' : ''}`, 'unsupported-encap');
  let labels: number[] = NO_LABELS;
  for (let p = start; p < end; ) {
    const len = attrLength(buf, p, end, 'MPLS encap');
    if ((u16(buf, p + 2) & NLA_TYPE_MASK) === MPLS_IPTUNNEL_DST) labels = labelStack(buf, p, len, 'MPLS_IPTUNNEL_DST');
    p += (len + 3) & ~3;
  }
  return labels;
}

/**
 * The label stack of the attribute at p (MPLS_IPTUNNEL_DST, RTA_NEWDST): entries in network byte
 * order {label:20, tc:3, bos:1, ttl:8}, outermost first. Deeper than VPP's stack is unusable.
 */
export function labelStack(buf: Buffer, p: number, len: number, name: string): number[] {
  const n = len - 4;
  if (n % 4 !== 0) throw new DecodeError(`${name} payload ${n} bytes, not a whole number of label entries`);
  if (n / 4 > MAX_LABELS) throw new DecodeError(`${name}: ${n / 4} labels, deeper than the ${MAX_LABELS} a VPP path can push`, 'too-many-labels');
  const labels: number[] = [];
  for (let q = p + 4; q < p + len; q += 4) labels.push(buf.readUInt32BE(q) >>> 12);
  return labels;
}

/**
 * The encapsulation one message (or one rtnexthop) names, collected as its attributes come:
 * RTA_ENCAP_TYPE / NHA_ENCAP_TYPE and where the RTA_ENCAP / NHA_ENCAP body is. Decoding is
 * synchronous, so each decoder keeps one and resets it per message.
 */
export class EncapAttrs {
  private type = 0;
  private start = -1;
  private end = -1;

  constructor(private readonly prefix: 'RTA' | 'NHA') {}

  reset(): this {
    this.type = 0;
    this.start = -1;
    return this;
  }

  /** The *_ENCAP_TYPE attribute at p (length len). */
  setType(buf: Buffer, p: number, len: number): void {
    if (len < 6) throw new DecodeError(`${this.prefix}_ENCAP_TYPE payload ${len - 4} bytes, want 2`);
    this.type = u16(buf, p + 4);
  }

  /** The *_ENCAP attribute at p (length len). */
  setBody(p: number, len: number): void {
    this.start = p + 4;
    this.end = p + len;
  }

  /** The out-labels (none without an encap); an encap VPP is not given is an error. */
  labels(buf: Buffer): number[] {
    if (this.start < 0) return NO_LABELS;
    if (this.type === 0) throw new DecodeError(`${this.prefix}_ENCAP without ${this.prefix}_ENCAP_TYPE`);
    return mplsLabels(buf, this.type, this.start, this.end);
  }
}
