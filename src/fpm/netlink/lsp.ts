// AF_MPLS RTM_NEWROUTE / RTM_DELROUTE (zebra's LSPs, dplane_fpm_nl) → an LSP event. RTA_DST is the
// incoming label as one label stack entry (dst_len 20); a next hop is RTA_VIA (its own address
// family) and RTA_OIF, with RTA_NEWDST the outgoing stack (none for implicit-null: pop); several
// next hops come in RTA_MULTIPATH. A deletion names the label (protocol 0, no RTA_VIA).
import { DecodeError } from '../decode-error.js';
import type { LspEvent, Nexthop } from '../../route/types.js';
import {
  NLA_TYPE_MASK, RTA_DST, RTA_MULTIPATH, RTA_NEWDST, RTA_OIF, RTA_VIA, RTMSG_LEN, RTM_DELROUTE, RTNH_LEN, protocolName,
} from './constants.js';
import { NO_LABELS, attrLength, attrU32, attrVia, viaFamily, labelStack, u16, u32 } from './attributes.js';
import { MAX_PATHS, type WeightConverter } from './route.js';

/** An MPLS route's dst_len: one label (the kernel's, and zebra's). */
const LABEL_BITS = 20;
const BOS = 0x100;

/** Decodes the rtmsg and attributes at [start, end) of an AF_MPLS route message; throws DecodeError. */
export function decodeLsp(buf: Buffer, start: number, end: number, msgType: number, weight: WeightConverter): LspEvent {
  if (end - start < RTMSG_LEN) throw new DecodeError(`AF_MPLS route: ${end - start} bytes, too short for rtmsg`);
  const del = msgType === RTM_DELROUTE;
  const dstLen = buf[start + 1]!;
  if (dstLen !== LABEL_BITS) throw new DecodeError(`AF_MPLS route with dst_len ${dstLen}, not ${LABEL_BITS}`);
  let entry = -1, oif = 0, gateway: string | null = null, gatewayFamily: 4 | 6 | null = null, newdst = -1, newdstLen = 0, mpStart = -1, mpEnd = -1;
  for (let p = start + RTMSG_LEN; p < end; ) {
    const len = attrLength(buf, p, end, 'AF_MPLS route');
    switch (u16(buf, p + 2) & NLA_TYPE_MASK) {
      case RTA_DST:
        if (len - 4 !== 4) throw new DecodeError(`AF_MPLS RTA_DST payload ${len - 4} bytes, want one label entry (4)`);
        entry = buf.readUInt32BE(p + 4);
        break;
      case RTA_OIF: oif = attrU32(buf, p, len, 'RTA_OIF'); break;
      case RTA_VIA: gateway = attrVia(buf, p, len); gatewayFamily = viaFamily(buf, p); break;
      case RTA_NEWDST: newdst = p; newdstLen = len; break;
      case RTA_MULTIPATH: mpStart = p + 4; mpEnd = p + len; break;
    }
    p += (len + 3) & ~3;
  }
  if (entry < 0) throw new DecodeError('AF_MPLS route without RTA_DST (its incoming label)');
  const label = entry >>> 12;
  const protocolId = buf[start + 5]!;
  const ev: LspEvent = {
    kind: 'lsp', op: del ? 'del' : 'add', label, eos: (entry & BOS) !== 0,
    protocol: protocolName(protocolId), protocolId, nexthops: NO_LABELS as unknown as Nexthop[],
  };
  if (del) return ev;
  try {
    if (mpStart >= 0) ev.nexthops = multipath(buf, mpStart, mpEnd, weight);
    else if (gateway !== null || oif !== 0) {
      const labels = newdst < 0 ? NO_LABELS : labelStack(buf, newdst, newdstLen, 'RTA_NEWDST');
      ev.nexthops = [{ gateway, family: gatewayFamily, ifindex: oif === 0 ? null : oif, weight: 1, labels }];
    }
  } catch (err) {
    // the label is known: it is this LSP that cannot be installed as sent
    if (err instanceof DecodeError) err.lsp = { label, op: ev.op };
    throw err;
  }
  if (ev.nexthops.length === 0) {
    const err = new DecodeError(`LSP ${label} without a next hop`);
    err.lsp = { label, op: ev.op };
    throw err;
  }
  return ev;
}

function multipath(buf: Buffer, start: number, end: number, weight: WeightConverter): Nexthop[] {
  const out: Nexthop[] = [];
  for (let q = start; q < end; ) {
    if (end - q < RTNH_LEN) throw new DecodeError(`RTA_MULTIPATH: ${end - q} trailing bytes, too short for rtnexthop`);
    const len = u16(buf, q);
    if (len < RTNH_LEN) throw new DecodeError(`RTA_MULTIPATH: rtnexthop length ${len} < ${RTNH_LEN}`);
    if (q + len > end) throw new DecodeError(`RTA_MULTIPATH: rtnexthop (length ${len}) overruns RTA_MULTIPATH by ${q + len - end} bytes`);
    const ifindex = u32(buf, q + 4);
    let gateway: string | null = null;
    let gatewayFamily: 4 | 6 | null = null;
    let labels = NO_LABELS;
    for (let p = q + RTNH_LEN; p < q + len; ) {
      const alen = attrLength(buf, p, q + len, 'rtnexthop');
      switch (u16(buf, p + 2) & NLA_TYPE_MASK) {
        case RTA_VIA: gateway = attrVia(buf, p, alen); gatewayFamily = viaFamily(buf, p); break;
        case RTA_NEWDST: labels = labelStack(buf, p, alen, 'RTA_NEWDST'); break;
      }
      p += (alen + 3) & ~3;
    }
    out.push({ gateway, family: gatewayFamily, ifindex: ifindex === 0 ? null : ifindex, weight: weight(buf[q + 3]!), labels });
    q += (len + 3) & ~3;
    if (out.length > MAX_PATHS) throw new DecodeError(`RTA_MULTIPATH: more than ${MAX_PATHS} next hops, VPP's limit per route`, 'too-many-nexthops');
  }
  return out;
}
