#!/usr/bin/env node
// Runs the simulator as its own process (benchmarks measure its CPU apart from the client's).
// Usage: vpp-binapi-sim <socket path> (SIM_MAIN of 'vpp-binapi-ts/sim' is this file). With an IPC channel it reports
// 'ready' and answers 'usage' with its CPU time and RSS, 'ops' with its route add/delete counts
// since the process started (a restart empties the sim's own counters; a bench diffing two
// answers across a restart must still see the replay's writes), 'restart' by restarting empty.
import { VppSim } from './server.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: vpp-binapi-sim <socket path>');
  process.exit(2);
}
const sim = await new VppSim({
  socketPath: path,
  interfaces: [{ swIfIndex: 1, name: 'loop0', flags: 3, mac: '02:fe:00:00:00:01', mtu: 9000 }],
}).start();
const before = { add: 0, del: 0 };
process.on('message', (m: unknown) => {
  if (m === 'usage') process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, routes: sim.fib.size });
  if (m === 'stop') void sim.stop().then(() => process.exit(0));
  // A VPP restart: sockets closed, FIB and sources empty.
  if (m === 'restart') {
    before.add += sim.routeOps.add;
    before.del += sim.routeOps.del;
    sim.restartEmpty();
    process.send?.('restarted');
  }
  if (m === 'ops') process.send?.({ ops: { add: before.add + sim.routeOps.add, del: before.del + sim.routeOps.del }, routes: sim.fib.size });
});
process.on('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
process.send?.('ready');
