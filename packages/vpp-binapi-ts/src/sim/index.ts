// The VPP simulator ('vpp-binapi-ts/sim'), apart from the client library (the package's main
// entry does not load it): for testing a VPP client without VPP. It speaks VPP's socket protocol
// and reproduces the recorded exchanges of test/fixtures/transcripts byte for byte.
import { fileURLToPath } from 'node:url';

export { VppSim, recordedMessageTable, type VppSimOptions, type SimInterface, type SimLcpPair, type RejectFn } from './server.js';
export { SimFib, makePath, parsePrefix, formatPrefix, SRC_API, SRC_CLI, type FibEntry, type FibSource } from './fib.js';
/**
 * The simulator as its own process (main.ts; the vpp-binapi-sim bin): the file to fork, compiled
 * or, under tsx, the source (then fork it with --import tsx).
 */
export const SIM_MAIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './main.ts' : './main.js', import.meta.url));
