// What the reconciler needs from VPP, in fibmgr's terms: the reconciler codes against this port
// alone, so it tests against a fake; src/sync/vpp/vpp-adapter.ts implements it over the VPP client
// and the generated codec; the dry-run port logs what would be sent.
import type { Family, Prefix } from '../../route/types.js';

/** One VPP path, as fibmgr programs it (translated from a zebra next hop). */
export interface VppPath {
  kind: 'normal' | 'drop' | 'icmp-unreach' | 'icmp-prohibit';
  /** Next-hop protocol family (of the gateway, or of the route when there is none). */
  proto: Family;
  /** Gateway address text, or null (interface-only or special paths). */
  gateway: string | null;
  /** VPP sw_if_index, or SW_IF_INDEX_NONE (~0) for a recursive gateway. */
  swIfIndex: number;
  weight: number;
  /** MPLS out-labels, outermost first. */
  labels: number[];
}

export const SW_IF_INDEX_NONE = 0xffffffff;

/** A Linux interface mapped to a VPP one (--interface-map), where linux-cp does not say. */
export interface InterfaceMapEntry {
  /** Linux side: an interface name, or an ifindex given as a number. */
  linux: string | number;
  /** VPP side: an interface name, or a sw_if_index given as a number. */
  vpp: string | number;
}

/** One route as VPP should hold it: VPP table id, network, complete path set. */
export interface VppRouteSpec {
  family: Family;
  /** VPP table id (after --table-map; zebra's main table is 0). */
  table: number;
  prefix: Prefix;
  paths: VppPath[];
}

/** One MPLS label entry as VPP holds it (table 0): EOS and non-EOS are two entries of the label. */
export interface VppLspSpec {
  label: number;
  eos: boolean;
  paths: VppPath[];
}

/**
 * VPP's MPLS FIB, as fibmgr programs LSPs. VPP's mpls_route_add_del has no FIB source (it writes
 * the API source): fibmgr owns the labels of MPLS table 0 from 16 up (0-15 are reserved, VPP's own
 * entries live there); another API client programming that table would be mistaken for fibmgr.
 */
export interface MplsPort {
  /** Creates MPLS table 0 (idempotent) and lists its entries of labels 16 and up. */
  prepare(): Promise<VppLspSpec[]>;
  /** Lists table 0's entries of labels 16 and up (nothing created). */
  read(): Promise<VppLspSpec[]>;
  /** Installs or replaces (paths) or deletes (null) one label entry of table 0. */
  write(label: number, eos: boolean, paths: readonly VppPath[] | null): Promise<void>;
  /** Enables MPLS input on an interface (idempotent). */
  enable(swIfIndex: number): Promise<void>;
}

/** How fibmgr owns its routes in this VPP session. */
export interface Ownership {
  /** 'source': our own FIB source via the _v2 messages; 'api': the plain API source (v1). */
  mode: 'source' | 'api';
  /** The FIB source id VPP gave "fibmgr" (mode 'source'), else undefined. */
  sourceId?: number;
}

/** Completion of VppPort.write: the token given to it, and null or the error. */
export type Written = (token: number, err: Error | null) => void;

/**
 * What VPP holds from us, handed over as the dump streams in (a million routes are never held
 * as a list): begin() once the ownership is known, then route() per route.
 */
export interface AdoptSink {
  begin(ownership: Ownership): void;
  route(spec: VppRouteSpec): void;
}

/** How a long read yields to live work: it stops reading while `busy()`, and goes on at `whenFree`. */
export interface Pace {
  busy(): boolean;
  whenFree(cb: () => void): void;
}

export interface VppPort {
  /** True while requests can be sent. */
  readonly connected: boolean;
  /**
   * Called by the reconciler after every (re)connect before anything else: finds or creates
   * the FIB source, and returns what VPP holds from us (empty after a real VPP restart; in
   * 'api' mode nothing can be told apart from other clients' routes, so nothing is returned).
   */
  prepare(adopt: AdoptSink): Promise<{ ownership: Ownership; installed: number }>;
  /** Creates a VPP table (idempotent on VPP's side). */
  ensureTable(family: Family, table: number): Promise<void>;
  /**
   * The one way routes are written: installs or replaces (is_multipath=0) a route (paths given)
   * or deletes one of ours (null), allocating nothing per route: `prefix` is read during the call
   * only (the writer hands every IPv4 network over in one reused Prefix). Pipelined: the outcome
   * goes with `token` to the callback given to onWritten. `room` says how many writes can go out
   * now (more would wait in a queue, costing memory, not speed).
   */
  write(token: number, table: number, prefix: Prefix, paths: readonly VppPath[] | null): void;
  onWritten(cb: Written): void;
  readonly room: number;
  /** Sends the writes made so far now (else they go at the end of this event-loop turn). */
  flush(): void;
  /**
   * Optional (audits): what VPP holds from our FIB source now, streamed route by route (equal path
   * sets as one array). Rejects when it cannot be told: the API source, or VPP not connected.
   */
  readOurs?(route: (spec: VppRouteSpec) => void, pace?: Pace): Promise<number>;
  /**
   * Optional (`fibmgr show route`): the route VPP forwards with for exactly this prefix (one
   * request), with the FIB source that provides it; null when VPP has no such entry.
   */
  lookupRoute?(table: number, prefix: Prefix): Promise<{ source: number; ours: boolean; paths: VppPath[] } | null>;
  /** VPP's MPLS FIB (LSPs); absent where the port cannot program it (a VPP without the messages). */
  readonly mpls?: MplsPort;
  /** Linux ifindex → VPP sw_if_index, or undefined when unmapped (linux-cp pairs, --interface-map). */
  interfaceFor(linuxIfindex: number): number | undefined;
  /**
   * The whole map interfaceFor answers from (Linux ifindex → VPP sw_if_index): loaded by prepare()
   * before it calls AdoptSink.begin(), and replaced whole, never half-loaded.
   */
  readonly interfaces: ReadonlyMap<number, number>;
  /** Requests sent and not answered yet (for backpressure and shutdown). */
  readonly inflight: number;
  /**
   * The session no longer answers in time (a request timed out, so what VPP did with it is
   * unknown): end it now. It reconnects, and the reconnect's adoption reads what VPP holds.
   */
  resetSession(reason: string): void;
  /** The reconciler subscribes: fired after a reconnect (VPP restarted or socket lost and regained). */
  onReconnect(cb: () => void): void;
  onDisconnect(cb: (reason: string) => void): void;
}
