// The VPP simulator, apart from the client library (src/vpp/index.ts does not load it): tests,
// benches and its own CLI (main.ts) import it from here. It speaks VPP's socket protocol and
// reproduces the recorded exchanges of test/fixtures/vpp/transcripts byte for byte.
export { VppSim, recordedMessageTable, type VppSimOptions, type SimInterface, type SimLcpPair, type RejectFn } from './server.js';
export { SimFib, makePath, parsePrefix, formatPrefix, SRC_API, SRC_CLI, type FibEntry, type FibSource } from './fib.js';
