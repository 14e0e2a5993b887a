// The shape of a generated message definition (src/gen). The client only relies on this,
// so that it stays usable with any codec that keeps the contract.
export interface MessageDef<T = any, O = T> {
  /** e.g. "ip_route_add_del" */
  name: string;
  /** 8 hex digits, no 0x */
  crc: string;
  /** name_crc, as VPP's message table lists it */
  key: string;
  /** Payload size in bytes, message id included. */
  size(msg: T): number;
  /** Writes the payload (message id first) at off; returns the end offset or the byte count. */
  encodeInto(buf: Buffer, off: number, msgId: number, msg: T): number;
  encode(msgId: number, msg: T): Buffer;
  decode(buf: Buffer, off?: number, end?: number): O;
}

/** Minimal structured logger (pino-compatible). */
export interface VppLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const nullLogger: VppLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The fields a caller passes: the client fills in the session's own. */
export type RequestFields<T> = Omit<T, '_vl_msg_id' | 'client_index' | 'context'> & Partial<T>;
