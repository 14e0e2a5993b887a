// zebra started with --asic-offload=notify_on_offload keeps every route "queued" until the
// dataplane says what became of it. Through fibmgr and the VPP simulator, with Debian testing's FRR
// (10.4 and later read notifications back): every installed route shows offloaded, an interface
// route whose interface maps to no VPP interface shows offload failed, a route VPP refuses shows
// failed and turns offloaded once VPP accepts it; local routes are left to VPP; a change (route
// replace) is reported again. Debian 13's FRR 10.3 reads the same notifications but cannot match
// them to its routes (an FRR 10.3 bug, fixed in 10.4 by commit b2fc1679: its fpm_read takes the
// table as a VRF id): there the routes are in VPP, zebra's session stays, and zebra's own log shows
// it read each notification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLab, labUnavailable, skipLive, FRRS, type Lab } from '../helpers/zebra-lab.js';
import { startFibmgr, type FibmgrChild } from '../helpers/fibmgr-child.js';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { until } from '../helpers/daemon.js';
import { VppSim } from 'vpp-binapi-ts/sim';

const FRR10 = FRRS[2];
const FRR103 = FRRS[1];
const REFUSED = Buffer.from([198, 51, 100, 0]);

interface ZebraRoute { protocol: string; selected?: boolean; queued?: boolean; offloaded?: boolean; installed?: boolean }

/** What zebra says of each selected route: 'offloaded', 'failed', 'queued' or 'installed' (no word from the dataplane). */
function zebraView(lab: Lab, family: 'ip' | 'ipv6'): Record<string, string> {
  const all = JSON.parse(lab.vtysh(`show ${family} route json`)) as Record<string, ZebraRoute[]>;
  const out: Record<string, string> = {};
  for (const [prefix, entries] of Object.entries(all)) {
    const e = entries.find((x) => x.selected);
    if (!e) continue;
    out[`${prefix} ${e.protocol}`] = e.queued ? 'queued' : e.offloaded === true ? 'offloaded' : e.offloaded === false ? 'failed' : 'installed';
  }
  return out;
}


test(`${FRR10.name}, --asic-offload=notify_on_offload: zebra learns what VPP holds (offloaded, failed, then offloaded once accepted)`, { timeout: 120_000 }, async (t) => {
  const why = labUnavailable(FRR10.root);
  if (why) { skipLive(t, why); return; }
  const sockPath = join(tmpdir(), `fibmgr-notify-${process.pid}.sock`);
  const sim = await new VppSim({
    socketPath: sockPath,
    interfaces: [{ swIfIndex: 1, name: 'loop0', flags: 3 }, { swIfIndex: 2, name: 'ge0', flags: 3 }, { swIfIndex: 3, name: 'ge1', flags: 3 }],
  }).start();
  // VPP refuses 198.51.100.0/24 until told otherwise
  let refuse = true;
  sim.reject = (name, payload) => (refuse && name.startsWith('ip_route_add_del') && payload.includes(REFUSED) ? -54 : undefined);
  let lab: Lab | undefined;
  let fib: FibmgrChild | undefined;
  try {
    lab = await startLab({ module: 'dplane_fpm_nl', fpmPort: 2620, root: FRR10.root, zebraArgs: ['--asic-offload=notify_on_offload'] });
    const l = lab;
    fib = await startFibmgr(l, ['--vpp-sock', sockPath, '--resync-grace', '1', '--interface-map', 'eth2=ge1'], { dryRun: false });
    const f = fib;
    await f.waitFor('zebra to connect', () => f.sessions().length > 0, 25_000);
    l.vtysh('conf t',
      'ip route 8.8.8.8/32 10.0.2.2', 'ip route 8.8.8.8/32 10.0.3.4',
      'ip route 203.0.113.0/24 eth2', // its interface maps to ge1: installed
      'ip route 100.64.0.0/24 eth1', // eth1 maps to no VPP interface: cannot be installed
      'ip route 192.0.2.0/24 blackhole',
      'ip route 198.51.100.0/24 10.0.2.9', // VPP refuses it
      'ipv6 route 2001:db8:100::/48 2001:db8:2::2');
    const want4 = {
      '8.8.8.8/32 static': 'offloaded', '203.0.113.0/24 static': 'offloaded', '192.0.2.0/24 static': 'offloaded',
      '100.64.0.0/24 static': 'failed', '198.51.100.0/24 static': 'failed',
    };
    const statics = (v: Record<string, string>) => Object.fromEntries(Object.entries(v).filter(([k]) => k.endsWith(' static')).sort());
    await until('zebra to be told about every static route', () => JSON.stringify(statics(zebraView(l, 'ip'))) === JSON.stringify(Object.fromEntries(Object.entries(want4).sort())), 30_000, () => zebraView(l, 'ip'));
    await until('the IPv6 route to show offloaded', () => zebraView(l, 'ipv6')['2001:db8:100::/48 static'] === 'offloaded', 30_000, () => zebraView(l, 'ipv6'));
    const v4 = zebraView(l, 'ip');
    // local (L) and connected routes are VPP's own: reported as such, never installed by fibmgr
    assert.equal(v4['10.0.2.1/32 local'], 'offloaded', JSON.stringify(v4));
    const src = simSource(sim, 'fibmgr')!;
    assert.equal(simRoutes(sim, src).get('0|10.0.2.1/32'), undefined, 'the local route is not in VPP');
    assert.ok(!Object.values(v4).includes('queued'), `no route stays queued: ${JSON.stringify(v4)}`);

    // VPP takes the refused route on a retry: zebra hears it is installed now
    refuse = false;
    await until('the refused route to turn offloaded', () => zebraView(l, 'ip')['198.51.100.0/24 static'] === 'offloaded', 30_000, () => zebraView(l, 'ip'));
    assert.ok(simRoutes(sim, src).has('0|198.51.100.0/24'));

    // a change (one RTM_NEWROUTE with NLM_F_REPLACE in FRR 10) is reported again once VPP holds it
    const before = f.lines.filter((x) => /route notifications to zebra on/.test(String(x.msg))).length;
    assert.equal(before, 1, 'notifications were switched on once, for the dplane_fpm_nl session');
    l.vtysh('conf t', 'no ip route 8.8.8.8/32 10.0.3.4');
    await until('the change in VPP', () => simRoutes(sim, src).get('0|8.8.8.8/32')?.length === 1, 20_000, () => simRoutes(sim, src).get('0|8.8.8.8/32'));
    await until('the changed route to show offloaded', () => zebraView(l, 'ip')['8.8.8.8/32 static'] === 'offloaded', 20_000, () => zebraView(l, 'ip'));
    assert.equal(sim.routeOps.del, 0, 'no route was ever deleted from VPP');
    assert.deepEqual(sim.errors, []);
  } finally {
    await fib?.stop().catch(() => undefined);
    await lab?.stop();
    await sim.stop();
  }
});

test(`${FRR103.name}, --asic-offload=notify_on_offload: notifications are sent and read; zebra 10.3 cannot match them (its bug), nothing else suffers`, { timeout: 120_000 }, async (t) => {
  const why = labUnavailable(FRR103.root);
  if (why) { skipLive(t, why); return; }
  const sockPath = join(tmpdir(), `fibmgr-notify103-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath: sockPath, interfaces: [{ swIfIndex: 1, name: 'loop0', flags: 3 }] }).start();
  let lab: Lab | undefined;
  let fib: FibmgrChild | undefined;
  try {
    lab = await startLab({ module: 'dplane_fpm_nl', fpmPort: 2620, root: FRR103.root, zebraArgs: ['--asic-offload=notify_on_offload'], conf: ['debug zebra dplane'] });
    const l = lab;
    fib = await startFibmgr(l, ['--vpp-sock', sockPath, '--resync-grace', '1'], { dryRun: false });
    const f = fib;
    await f.waitFor('zebra to connect', () => f.sessions().length > 0, 25_000);
    // zebra 10.3 logs an unmatched notification without its prefix: count them
    const unmatched = () => (readFileSync(join(l.dir, 'zebra.log'), 'utf8').match(/Failed to process dplane notification: no routes for/g) ?? []).length;
    await until('the replay to be reported', () => f.lines.some((x) => /resync done/.test(String(x.msg))), 20_000, () => f.lines.slice(-3));
    const before = unmatched();
    l.vtysh('conf t', 'ip route 8.8.8.8/32 10.0.2.2', 'ip route 9.9.9.0/24 10.0.3.3');
    const src = () => simSource(sim, 'fibmgr');
    await until('both routes in VPP', () => src() !== undefined && simRoutes(sim, src()!).has('0|8.8.8.8/32') && simRoutes(sim, src()!).has('0|9.9.9.0/24'), 20_000, () => src() && [...simRoutes(sim, src()!).keys()]);
    // zebra read a notification for each route: matched (a 10.3 with the fix) or logged as unmatched
    const offloaded = () => ['8.8.8.8/32', '9.9.9.0/24'].filter((p) => zebraView(l, 'ip')[`${p} static`] === 'offloaded').length;
    await until('zebra to read both notifications', () => offloaded() + unmatched() - before >= 2, 20_000, () => ({ view: zebraView(l, 'ip'), unmatched: unmatched() - before }));
    assert.deepEqual(f.sessions(), [1], 'the FPM session stayed up: zebra 10.3 takes the frames');
    assert.ok(f.lines.some((x) => /route notifications to zebra on/.test(String(x.msg))));
    assert.deepEqual(sim.errors, []);
  } finally {
    await fib?.stop().catch(() => undefined);
    await lab?.stop();
    await sim.stop();
  }
});
