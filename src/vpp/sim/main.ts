// Runs the simulator as its own process (benchmarks measure its CPU apart from the client's).
// Usage: node --import tsx src/vpp/sim/main.ts <socket path>. With an IPC channel it reports
// 'ready' and answers 'usage' with its CPU time and RSS, 'ops' with its route add/delete counts,
// 'restart' by restarting empty.
import { VppSim } from './server.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: main.ts <socket path>');
  process.exit(2);
}
const sim = await new VppSim({
  socketPath: path,
  interfaces: [{ swIfIndex: 1, name: 'loop0', flags: 3, mac: '02:fe:00:00:00:01', mtu: 9000 }],
}).start();
process.on('message', (m: unknown) => {
  if (m === 'usage') process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, routes: sim.fib.size });
  if (m === 'stop') void sim.stop().then(() => process.exit(0));
  // A VPP restart: sockets closed, FIB and sources empty.
  if (m === 'restart') { sim.restartEmpty(); process.send?.('restarted'); }
  if (m === 'ops') process.send?.({ ops: { ...sim.routeOps }, routes: sim.fib.size });
});
process.on('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
process.send?.('ready');
