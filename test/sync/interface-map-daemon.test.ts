// The daemon reads no FPM byte before VPP's first interface map is loaded: while VPP refuses
// lcp_itf_pair_get, zebra's port is closed; once it does, zebra's interface-only route
// through the pair's host interface is installed on the pair's VPP interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppSim } from 'vpp-binapi-ts/sim';
import { freePort, startDaemon, until } from '../helpers/daemon.js';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { netlinkFrame, routeMsg } from '../fpm/build.js';

/** Whether something accepts TCP connections on the port now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('FPM is not read before the first interface map: zebra\'s port opens once linux-cp\'s pairs are read, and their routes install', { timeout: 90_000 }, async () => {
  const socketPath = join(tmpdir(), `fibmgr-ifmap-daemon-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath, interfaces: [{ swIfIndex: 1, name: 'ge0', flags: 3, mac: '02:fe:00:00:00:01', mtu: 9000 }] }).start();
  sim.lcpPairs.push({ phySwIfIndex: 1, hostSwIfIndex: 2, vifIndex: 40, hostIfName: 'tap40' });
  sim.reject = (name) => (name === 'lcp_itf_pair_get' ? -1 : undefined);
  const fpmPort = await freePort();
  const d = startDaemon(['--vpp-sock', socketPath, '--fpm-port', String(fpmPort), '--metrics-addr', 'off', '--resync-grace', '0.2']);
  try {
    // VPP is connected and asked for its pairs, and refuses: the interface map cannot be loaded
    await d.waitLog('could not read VPP state: retrying', 30_000);
    assert.equal(d.lines.some((l) => l.msg === 'listening for zebra FPM'), false, 'zebra\'s port opened before the interface map');
    assert.equal(await accepts(fpmPort), false);
    sim.reject = null;
    await d.waitLog('listening for zebra FPM', 30_000);
    const zebra = connect(fpmPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { zebra.once('connect', () => resolve()); zebra.once('error', reject); });
    zebra.write(netlinkFrame(routeMsg({ prefix: '10.40.0.0/16', oif: 40, protocol: 196 }), routeMsg({ prefix: '10.41.0.0/16', gateway: '10.0.40.1', oif: 40, protocol: 196 })));
    const fib = () => {
      const src = simSource(sim, 'fibmgr');
      return src === undefined ? {} : Object.fromEntries([...simRoutes(sim, src)].sort(([a], [b]) => a.localeCompare(b)));
    };
    await until('the routes through the pair in VPP', () => Object.keys(fib()).length === 2, 30_000, fib);
    assert.deepEqual(fib(), { '0|10.40.0.0/16': ['normal - sw1 w1'], '0|10.41.0.0/16': ['normal 10.0.40.1 sw1 w1'] });
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});
