// vpp: a standalone client library for VPP's binary API over its unix socket, plus a simulator
// that speaks the same protocol. Knows nothing of FPM or fibmgr's routes.
export { VppClient, type VppClientOptions, type ConnectedInfo } from './client/client.js';
export {
  VppError,
  VppRetvalError,
  VppTimeoutError,
  VppDisconnectedError,
  VppCrcMismatchError,
  VppUnavailableError,
  VppProtocolError,
  type CrcMismatch,
} from './client/errors.js';
export type { MessageDef, VppLogger } from './client/types.js';
export { retvalName, retval, RETVAL } from './errors.js';
export { VppSim, recordedMessageTable, type VppSimOptions, type SimInterface, type RejectFn } from './sim/server.js';
export { SimFib, makePath, parsePrefix, formatPrefix, SRC_API, SRC_CLI, type FibEntry, type FibSource } from './sim/fib.js';
