// One route's entry in the reconciler's table, and who owns which part of it. A full Internet
// table is a million entries, so an entry is one small object whose per-route state is packed
// into two integers (a field more is 8 bytes a route), each part owned by one module that alone
// reads and writes its bits through the named functions it exports:
//
//   writeState  the writer's: queued, in flight, retried, parked for its table   (write-flags.ts)
//   marks       bits 0-7   zebra's rtm_protocol  ┐ here: setWire, wireProtocol, wireType
//               bits 8-15  zebra's rtm_type      ┘ (echoed in every notification)
//               bits 16-23 what zebra is owed    (route-notes.ts, its bits from noteMark)
//               bits 24-27 the audit's marks     (fib-audit.ts, its bits from auditMark)
import type { Prefix, RouteIdentity, RouteType } from '../../route/types.js';
import { v4Prefix, type PrefixScratch } from '../../route/prefix.js';
import type { PathSet } from './path-sets.js';
import type { Hops } from './hop-sets.js';
import type { Slot } from './route-table.js';

export interface Entry {
  /** What zebra wants here (null: nothing). */
  want: PathSet | null;
  /** What VPP holds here from fibmgr, as far as fibmgr knows. */
  have: PathSet | null;
  /** The resync generation that last confirmed this route (0: adopted from VPP at start). */
  gen: number;
  /** The nexthop group the route refers to (0: none), so that a changed group re-resolves it (GroupIndex keeps it). */
  nhg: number;
  /** Neighbours in the GroupIndex list of routes naming the same group. */
  groupPrev: Entry | null;
  groupNext: Entry | null;
  /**
   * zebra's next hops for the route, interned with their translation (hop-sets.ts), while zebra
   * wants it installed: what a change of the interface map translates again. Null: none kept
   * (adopted, deleted, or next hops that name no interface: blackhole, unreachable…).
   */
  hops: Hops | null;
  /** zebra's protocol name for the route ('' when adopted from VPP), for the stale rule. */
  proto: string;
  /** The writer's state of the route (write-flags.ts), kept here to spare hash lookups per write. */
  writeState: number;
  /** zebra's table id for the route (what a notification echoes; -1: zebra has not sent it). */
  zebraTable: number;
  /** zebra's rtm_protocol and rtm_type, what zebra is owed, the audit's marks (layout above). */
  marks: number;
  readonly slot: Slot;
  /** IPv4: the network as int32; IPv6: the Prefix. */
  readonly network: number | Prefix;
}

/**
 * The route's network. An IPv4 one (kept as its int32) is made anew (for logs and the operator),
 * or set `into` a scratch (a write, a notification: valid until the scratch is set again).
 */
export function networkOf(e: Entry, into?: PrefixScratch): Prefix {
  const a = e.network;
  if (typeof a !== 'number') return a;
  if (into === undefined) return v4Prefix(a, e.slot.len);
  into.family = 4;
  into.len = e.slot.len;
  into.w0 = a;
  into.w1 = into.w2 = into.w3 = 0;
  return into;
}

/** A new entry: wanting, holding and owing nothing. */
export function newEntry(slot: Slot, network: number | Prefix): Entry {
  return { want: null, have: null, gen: 0, nhg: 0, groupPrev: null, groupNext: null, hops: null, proto: '', writeState: 0, zebraTable: -1, marks: 0, slot, network };
}

// --- marks: zebra's wire identity ------------------------------------------------------------

const WIRE = 0xffff;
const TYPES: readonly RouteType[] = ['unspec', 'unicast', 'blackhole', 'unreachable', 'prohibit'];
const TYPE_INDEX: Record<RouteType, number> = { unspec: 0, unicast: 1, blackhole: 2, unreachable: 3, prohibit: 4 };

/** Keeps zebra's rtm_protocol and type as it sent them (null: none, a route zebra deleted). */
export function setWire(e: Entry, id: Pick<RouteIdentity, 'protocolId' | 'type'> | null): void {
  const wire = id === null ? 0 : ((id.protocolId ?? 0) & 0xff) | (TYPE_INDEX[id.type] << 8);
  e.marks = (e.marks & ~WIRE) | wire;
}

/** zebra's rtm_protocol for the route (0: none). */
export function wireProtocol(e: Entry): number {
  return e.marks & 0xff;
}

/** zebra's rtm_type for the route ('unspec': none). */
export function wireType(e: Entry): RouteType {
  return TYPES[(e.marks >> 8) & 0xff]!;
}

// --- marks: the bits other modules own -------------------------------------------------------

/** The notification state's bit i (0-7), for route-notes.ts only. */
export function noteMark(i: number): number {
  if (i < 0 || i > 7) throw new RangeError(`note mark ${i}: 0-7`);
  return 1 << (16 + i);
}

/** The audit's bit i (0-3), for fib-audit.ts only. */
export function auditMark(i: number): number {
  if (i < 0 || i > 3) throw new RangeError(`audit mark ${i}: 0-3`);
  return 1 << (24 + i);
}
