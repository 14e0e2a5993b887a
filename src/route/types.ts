// The one language every layer speaks. Decoders produce these, the reconciler consumes them;
// nothing here knows about sockets, FPM wire formats or VPP messages.

export type Family = 4 | 6;

/**
 * A network in binary, host bits zero: its address as 32-bit words (int32, most significant
 * first; IPv4 in w0 with w1-w3 zero) and its length. What every layer keys on and the encoders
 * write; text (toString, and JSON) only for logs, config and the CLI. Built by route/prefix.ts.
 */
export interface Prefix {
  readonly family: Family;
  readonly len: number;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  toString(): string;
  toJSON(): string;
}

/** Route types as zebra expresses them (netlink rtm_type; protobuf route_type mapped onto these). */
export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'unspec';

export interface Nexthop {
  /** Gateway address in canonical text form ("10.0.2.2", "2001:db8::1"), or null for interface-only. */
  gateway: string | null;
  /**
   * The gateway's family, as the decoder read it (an IPv4 route may go via an IPv6 gateway, an
   * LSP via either); null with no gateway: an interface-only next hop is of its route's family.
   */
  family: Family | null;
  /** Linux ifindex of the output interface, or null when zebra gave none. */
  ifindex: number | null;
  /** The real weight (1 for an ordinary path), whatever convention the sending module used. */
  weight: number;
  /** MPLS out-labels, outermost first. */
  labels: number[];
}

export interface Route {
  family: Family;
  /** Table as the frame says it: netlink table id (254 = main), protobuf vrf_id (0 = default). */
  table: number;
  /** The network (host bits cleared); its text is "8.8.8.8/32", "2001:db8::/32", "0.0.0.0/0". */
  prefix: Prefix;
  type: RouteType;
  /** Protocol name: netlink names FRR gives rtm_protocol values ("kernel", "static", "bgp", "zebra"…), protobuf qpb names lower-cased. */
  protocol: string;
  /** netlink's rtm_protocol number as zebra sent it (the name alone is ambiguous: 4 and 196 are both "static"); absent in protobuf. Echoed in route notifications. */
  protocolId?: number;
  metric: number;
  /** Nexthop group id the route referred to (RTA_NH_ID), or null when next hops were inline. */
  nhg: number | null;
  /** Complete next-hop set; a referenced group is already resolved. Empty for blackhole/unreachable/prohibit and deletions. */
  nexthops: Nexthop[];
}

export interface RouteEventAdd extends Route {
  kind: 'route';
  op: 'add';
}

export interface RouteEventDel extends Route {
  kind: 'route';
  op: 'del';
}

export type RouteEventRoute = RouteEventAdd | RouteEventDel;

export interface NexthopGroupEvent {
  kind: 'nexthop-group';
  op: 'add' | 'del';
  id: number;
  /** Members of a group (ids with their real weights), when the group is a group of other ids. */
  group?: { id: number; weight: number }[];
  /** The single next hop this id stands for, when it is not a group. */
  nexthop?: Nexthop;
  blackhole?: boolean;
  /** The group's complete next-hop set, as routes naming this id get it (absent while a member is unknown). */
  resolved?: Nexthop[];
  /** Set when routes naming this id cannot be installed (a nested group, an unsupported encapsulation…). */
  unusable?: { what: UnusableKind; reason: string };
  /** True when an existing id was redefined, or a group containing a redefined member changed: routes using it change too. */
  replaced?: boolean;
}

/**
 * An MPLS route (zebra's LSP: `mpls lsp`, LDP, BGP labelled unicast): what a packet arriving with
 * `label` on top of its stack is sent to. Each next hop's `labels` is the stack that replaces the
 * incoming label, outermost first; none means pop (implicit-null). A deletion carries no next hops.
 */
export interface LspEvent {
  kind: 'lsp';
  op: 'add' | 'del';
  /** The incoming label (20 bits). */
  label: number;
  /** The bottom-of-stack bit zebra sent with it (always set by FRR: its LSPs match the label anywhere in the stack). */
  eos: boolean;
  protocol: string;
  /** rtm_protocol as zebra sent it (0 on deletions). */
  protocolId: number;
  nexthops: Nexthop[];
}

/** The most labels a path may push: VPP's fib_path label_stack holds 16. */
export const MAX_LABELS = 16;

export interface SkippedEvent {
  kind: 'skipped';
  /** The message kind, e.g. "RTM_NEWNEIGH", "AF_MPLS RTM_NEWROUTE", "protobuf UNKNOWN_MSG". */
  what: string;
}

/**
 * Why a message could not be used (the label of its counter): `malformed` (it does not decode),
 * `unsupported-encap` (an encapsulation VPP is not given, e.g. FRR's VXLAN), `nested-group` (a
 * nexthop group of groups: the kernel's and zebra's groups hold single next hops only),
 * `group-too-large`, `too-many-nexthops` (past VPP's paths per route), `too-many-groups`,
 * `too-many-waiting` (routes held for a group not yet defined), `group-unusable` (a route naming
 * a group that is one of the above), `unknown-frame` (an FPM message type of neither encoding),
 * `source-specific` (an IPv6 route with a source prefix, RTA_SRC: babel's, `ipv6 route X from Y`;
 * VPP's ip_route has no source prefix, and it is not the plain route of its destination),
 * `too-many-labels` (a label stack deeper than VPP's MAX_LABELS).
 */
export type UnusableKind =
  | 'malformed' | 'unsupported-encap' | 'nested-group' | 'group-too-large' | 'too-many-nexthops'
  | 'too-many-groups' | 'too-many-waiting' | 'group-unusable' | 'unknown-frame' | 'source-specific'
  | 'too-many-labels';

/** The route a message was about, when the message got far enough to say. */
export interface RouteIdentity {
  family: Family;
  table: number;
  prefix: Prefix;
  /** The add or delete the message was. */
  op: 'add' | 'del';
  protocol: string;
  /** rtm_protocol, as in Route. */
  protocolId?: number;
  type: RouteType;
  /**
   * A source-specific route's source prefix (rtm_src_len > 0): a route of its own beside the plain
   * route of `prefix`, which the message must never touch.
   */
  src?: Prefix;
}

export interface ErrorEvent {
  kind: 'error';
  /** Byte offset in the stream (session) where the bad frame or message starts. */
  offset: number;
  reason: string;
  what: UnusableKind;
  /** Set when the message was a route: that route cannot be installed as zebra sent it. */
  route?: RouteIdentity;
  /** Set when the message was an LSP: the incoming label it was about (its add or delete: `lspOp`). */
  lsp?: number;
  lspOp?: 'add' | 'del';
}

export type RouteEvent = RouteEventRoute | LspEvent | NexthopGroupEvent | SkippedEvent | ErrorEvent;

/** Key of a route in a table (as text: for the few routes a decoder holds back): the same prefix in two tables is two routes. */
export function routeKey(table: number, prefix: Prefix): string {
  return `${table}|${prefix.family}|${prefix.w0}|${prefix.w1}|${prefix.w2}|${prefix.w3}|${prefix.len}`;
}
