// vpp-binapi-ts: a client library for VPP's binary API over its unix socket (README.md has the
// whole story). The generated messages are 'vpp-binapi-ts/gen'; the simulator that speaks the same
// protocol is apart, 'vpp-binapi-ts/sim'.
//
//   const vpp = new VppClient({ socketPath: '/run/vpp/api.sock', messages,      // generated defs
//     required: [messages.ip_route_add_del], optional: [messages.ip_route_add_del_v2], logger });
//   vpp.on('connected', ({ reconnect }) => { if (reconnect) resync(); });   // ids re-resolved
//   vpp.on('disconnected', ({ reason }) => ...);   // every in-flight request already failed
//   vpp.on('event', (name, msg) => ...);           // sw_interface_event etc.
//   await vpp.connect();                           // VppCrcMismatchError if VPP differs
//   const r = await vpp.request(messages.ip_route_add_del, { is_add: true, ... });
//   const d = await vpp.dump(messages.ip_route_dump, { table: { table_id: 0, ... } });
//   vpp.requestAckTo(def, fields, token, cb);      // bulk path: no promise, no reply decode
//   await vpp.close();                             // sockclnt_delete
//
// Errors: VppRetvalError (negative retval, named from vnet/error.h), VppTimeoutError,
// VppDisconnectedError, VppUnavailableError (message not offered), VppProtocolError; each has a
// stable `code` (VPP_RETVAL, VPP_TIMEOUT, …), and a predicate reads it (isRetvalError(err),
// isTimeout, isDisconnected, …): they hold across two copies of the package, instanceof does not.
export { VppClient, DEFAULT_REPLY_GATHER, gatherPauseMs, gatherProblem, type VppClientOptions, type ConnectedInfo, type ReplyCallback, type ReplyGather } from './client/client.js';
export {
  VppError,
  VppRetvalError,
  VppTimeoutError,
  VppDisconnectedError,
  VppCrcMismatchError,
  VppUnavailableError,
  VppProtocolError,
  isVppError,
  isRetvalError,
  isTimeout,
  isDisconnected,
  isCrcMismatch,
  isUnavailable,
  isProtocolError,
  type CrcMismatch,
  type VppErrorCode,
} from './client/errors.js';
export type { MessageDef, VppLogger } from './client/types.js';
export { LATENCY_BUCKETS, type RequestStat } from './client/request-stats.js';
export { retvalName, retval, RETVAL } from './errors.js';
export { VppEncodeError, VppDecodeError, isEncodeError, isDecodeError } from './codec/runtime.js';
export { routeRequestDef, PATH_BYTES, type RouteRequest, type RouteRequestDef, type PrefixWords } from './bulk/route-request.js';
export { Fifo } from './fifo.js';
export { reapDeadSessions, parseSocketClients, type ApiClient, type ReapResult } from './api-clients.js';
// The one IP text parser and formatter the codec uses, for callers that keep addresses as bytes.
export { parseIpInto, parseLen, formatIp4, formatIp6 } from './codec/ip.js';
// The wire itself (framing and the handshake), for tools that speak it raw.
export { FrameReader, FramingError, HEADER_SIZE, MAX_PAYLOAD, frame, writeHeader } from './transport/frame.js';
export { MEMCLNT, encodeSockclntCreate, encodeSockclntDelete, decodeSockclntCreateReply, type SockclntCreateReply } from './client/handshake.js';
// The generated definitions: import { messages, ip_route_add_del, ... } from 'vpp-binapi-ts/gen'.
