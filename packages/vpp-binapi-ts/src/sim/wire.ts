// What the simulator's message handlers share: a client connection, a handler's shape, and the
// simulator's state and reply writers as the handlers see them.
import type net from 'node:net';
import type { BatchWriter } from '../transport/writer.js';
import type { SimFib } from './fib.js';

export interface SimInterface {
  swIfIndex: number;
  name: string;
  /** if_status_flags: 1 admin up, 2 link up */
  flags?: number;
  mac?: string;
  mtu?: number;
  devType?: string;
  /** af u8, 16-byte address, prefix length u8 each (address_with_prefix on the wire) */
  addresses?: Buffer[];
}

export interface SimLcpPair {
  phySwIfIndex: number;
  hostSwIfIndex: number;
  /** The Linux ifindex of the host tap: what zebra's next hops name. */
  vifIndex: number;
  hostIfName: string;
  netns?: string;
}

export interface VppSimOptions {
  socketPath: string;
  /** name_crc → id; default: the table recorded from the real VPP (855 messages). */
  messageTable?: Map<string, number>;
  /** Interfaces besides local0 (sw_if_index 0). */
  interfaces?: SimInterface[];
  /** What control_ping_reply reports as VPP's pid. */
  vpePid?: number;
}

/** Return a retval to refuse a request (the reply carries it), or undefined to handle it. */
export type RejectFn = (name: string, payload: Buffer) => number | undefined;

export interface Conn {
  sock: net.Socket;
  out: BatchWriter;
  clientIndex: number;
  events: boolean;
  eventPid: number;
  session: SimSession | null;
}

/** How a client's session began and ended (tests check that every client says goodbye). */
export interface SimSession {
  index: number;
  name: string;
  /** It ended with sockclnt_delete. */
  deleted: boolean;
  /** Its socket is closed. */
  closed: boolean;
}

export type Handler = (c: Conn, b: Buffer, s: number, e: number, ctx: number) => void;

export interface HandlerDef {
  reply: string;
  /** smallest valid request payload */
  min: number;
  /** size of the reply carrying only an error */
  errSize: number;
  fn: Handler;
}

/** The simulator as its handlers see it. */
export interface SimWire {
  readonly fib: SimFib;
  readonly interfaces: Map<number, SimInterface>;
  readonly lcpPairs: SimLcpPair[];
  /** ip_route_add_del(_v2) requests by kind that got past `reject`. */
  readonly routeOps: { add: number; del: number };
  /** This session's id of a message (0 when the table lacks it). */
  idOf(key: string): number;
  /** Reserves a reply of `size` bytes (id, context written, the rest zero): the buffer and offset. */
  put(c: Conn, key: string, size: number, ctx: number): [Buffer, number];
  /** A reply that carries only its retval. */
  simple(c: Conn, key: string, ctx: number, rv?: number): void;
  /** The error reply of the request `key` (its own size and shape). */
  refuse(c: Conn, key: string, ctx: number, rv: number): void;
  /** sw_interface_event to the clients that asked for events. */
  interfaceEvent(i: SimInterface, deleted: boolean): void;
}
