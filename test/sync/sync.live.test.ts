// Real zebra → fibmgr (the daemon, in the lab's namespace) → the VPP simulator (its unix socket
// crosses the namespace). Routes of every kind reach the simulated FIB under fibmgr's own FIB
// source; changes never delete; the FIB ends equal to zebra's after an FPM cut, a VPP restart and
// a fibmgr restart; an unchanged resync writes nothing; other clients' routes are untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, labUnavailable, skipLive, FRRS, type Lab } from '../helpers/zebra-lab.js';
import { startFibmgr, type FibmgrChild } from '../helpers/fibmgr-child.js';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { until } from '../helpers/daemon.js';
import { VppSim, makePath, SRC_CLI } from 'vpp-binapi-ts/sim';

const CONFIG = [
  'conf t',
  'ip route 8.8.8.8/32 10.0.2.2', 'ip route 8.8.8.8/32 10.0.2.3', 'ip route 8.8.8.8/32 10.0.3.4',
  'ip route 192.0.2.0/24 blackhole',
  'ip route 198.51.100.0/24 reject',
  'ip route 203.0.113.0/24 eth2',
  'ip route 100.64.0.0/24 eth1',
  'ipv6 route 2001:db8:100::/48 2001:db8:2::2', 'ipv6 route 2001:db8:100::/48 2001:db8:2::3',
  'ipv6 route 2001:db8:dead::/48 blackhole',
  'ip route 10.100.0.0/16 10.0.2.2 table 100',
  'ipv6 route 2001:db8:1000::/48 2001:db8:2::2 table 100',
];

// eth2 is mapped to the sim's ge1 (sw_if_index 3); eth1 is not: its gateways install as
// recursive paths (sw ~0) and its interface-only route is reported, never guessed.
const WANT: Record<string, string[]> = {
  '0|8.8.8.8/32': ['normal 10.0.2.2 sw* w1', 'normal 10.0.2.3 sw* w1', 'normal 10.0.3.4 sw3 w1'],
  '0|192.0.2.0/24': ['drop'],
  '0|198.51.100.0/24': ['icmp-unreach'],
  '0|203.0.113.0/24': ['normal - sw3 w1'],
  '0|2001:db8:100::/48': ['normal 2001:db8:2::2 sw* w1', 'normal 2001:db8:2::3 sw* w1'],
  '0|2001:db8:dead::/48': ['drop'],
  '100|10.100.0.0/16': ['normal 10.0.2.2 sw* w1'],
  '100|2001:db8:1000::/48': ['normal 2001:db8:2::2 sw* w1'],
};

const CHANGES = [
  'conf t',
  'no ip route 8.8.8.8/32 10.0.3.4',
  'no ip route 203.0.113.0/24 eth2', 'ip route 203.0.113.0/24 10.0.3.9',
  'no ip route 192.0.2.0/24 blackhole',
  'no ipv6 route 2001:db8:1000::/48 2001:db8:2::2 table 100',
];
const WANT2: Record<string, string[]> = { ...WANT };
WANT2['0|8.8.8.8/32'] = ['normal 10.0.2.2 sw* w1', 'normal 10.0.2.3 sw* w1'];
WANT2['0|203.0.113.0/24'] = ['normal 10.0.3.9 sw3 w1'];
delete WANT2['0|192.0.2.0/24'];
delete WANT2['100|2001:db8:1000::/48'];

const FOREIGN = '0|172.16.0.0/12';

function view(sim: VppSim): Record<string, string[]> {
  const src = simSource(sim, 'fibmgr');
  if (src === undefined) return {};
  return Object.fromEntries([...simRoutes(sim, src)].sort(([a], [b]) => a.localeCompare(b)));
}
/** Every entry of the whole simulated FIB as other sources than fibmgr's hold it. */
function others(sim: VppSim): Record<string, string> {
  const mine = simSource(sim, 'fibmgr');
  const out: Record<string, string> = {};
  for (const t of sim.fib.tables.values()) {
    for (const e of t.entries.values()) {
      const srcs = [...e.sources.keys()].filter((id) => id !== mine).map((id) => `${id}:${e.sources.get(id)!.map((p) => p.toString('hex')).join(',')}`);
      if (srcs.length) out[`${t.isIp6 ? 6 : 4}|${t.tableId}|${e.addr.toString('hex')}/${e.len}`] = srcs.sort().join(' ');
    }
  }
  return out;
}
const sorted = (w: Record<string, string[]>) => Object.fromEntries(Object.entries(w).sort(([a], [b]) => a.localeCompare(b)));


// Debian 12's FRR, Debian 13's with route replace (its default: a change is one RTM_NEWROUTE with
// NLM_F_REPLACE) and without it (delete + add, as 8.4 sends it), and Debian testing's newer FRR 10.
const RUNS = [
  { frr: FRRS[0], conf: [] as string[], label: '' },
  { frr: FRRS[1], conf: [] as string[], label: ', fpm use-route-replace' },
  { frr: FRRS[1], conf: ['no fpm use-route-replace'], label: ', no fpm use-route-replace' },
  { frr: FRRS[2], conf: [] as string[], label: '' },
];

for (const run of RUNS) test(`${run.frr.name}${run.label}: zebra → fibmgr → VPP (simulator): every route kind, changes, FPM cut, VPP restart, fibmgr restart`, { timeout: 120_000 }, async (t) => {
  const why = labUnavailable(run.frr.root);
  if (why) { skipLive(t, why); return; }
  const sockPath = join(tmpdir(), `fibmgr-live-${process.pid}.sock`);
  const sim = await new VppSim({
    socketPath: sockPath,
    interfaces: [{ swIfIndex: 1, name: 'loop0', flags: 3 }, { swIfIndex: 2, name: 'ge0', flags: 3 }, { swIfIndex: 3, name: 'ge1', flags: 3 }],
  }).start();
  let lab: Lab | undefined;
  const children: FibmgrChild[] = [];
  // a short stale time: routes adopted at fibmgr's start that zebra no longer has go at its end
  const args = ['--vpp-sock', sockPath, '--resync-grace', '1', '--stale-time', '5', '--interface-map', 'eth2=ge1'];
  const want = sorted(WANT);
  const want2 = sorted(WANT2);
  try {
    lab = await startLab({ module: 'dplane_fpm_nl', fpmPort: 2620, root: run.frr.root, conf: run.conf });
    const l = lab;
    // Another client's route, in the table fibmgr programs.
    sim.fib.add(0, '172.16.0.0/12', [makePath({ swIfIndex: 1, nh: '192.0.2.99' })], SRC_CLI);
    let foreignBefore = JSON.stringify(sim.fib.get(0, '172.16.0.0/12'));

    const othersAtStart = others(sim);
    let fib = await startFibmgr(l, args, { dryRun: false });
    children.push(fib);
    await fib.waitFor('zebra to connect', () => fib.sessions().length > 0, 20_000);
    l.vtysh(...CONFIG);
    await until('every route in the simulated FIB', () => JSON.stringify(view(sim)) === JSON.stringify(want), 15_000, () => view(sim));
    assert.ok(sim.fib.table(false, 100) && sim.fib.table(true, 100), 'VPP tables 100 were created');
    assert.ok(fib.lines.some((x) => x.reason === 'unmappable-nexthop' || /unmappable|not mapped/.test(String(x.msg))), 'the eth1 interface-only route was reported');
    assert.ok(!view(sim)['0|10.0.2.0/24'], 'connected routes stay out of VPP');
    assert.ok(!view(sim)['0|10.0.2.1/32'] && !view(sim)['0|2001:db8:2::1/128'], 'local routes (FRR 10) stay out of VPP');

    // Changes arrive as delete+add from dplane_fpm_nl: VPP must only see replacing adds.
    let ops = { ...sim.routeOps };
    l.vtysh(...CHANGES);
    // A delete sent for a changed route would come before its re-add, so once VPP holds the new
    // table every delete fibmgr was going to send has been sent.
    await until('the changes', () => JSON.stringify(view(sim)) === JSON.stringify(want2) && sim.routeOps.del - ops.del >= 2, 15_000, () => view(sim));
    assert.equal(sim.routeOps.del - ops.del, 2, 'exactly the two deleted routes were deleted; changes were replaces');

    // Cut zebra's FPM connection; a route removed meanwhile disappears after the replay.
    ops = { ...sim.routeOps };
    l.exec('ss -K dst 127.0.0.1 dport = 2620');
    await fib.waitFor('zebra to reconnect', () => fib.sessions().length > 1, 25_000);
    await until('the resync to settle', () => fib.lines.some((x) => x.session === fib.sessions().at(-1) && /resync (done|complete|finished)/.test(String(x.msg))), 15_000, () => fib.lines.slice(-5));
    assert.deepEqual(view(sim), want2);
    assert.equal(sim.routeOps.add - ops.add + sim.routeOps.del - ops.del, 0, 'an unchanged resync writes no route');

    // VPP restarts empty: fibmgr reconnects and replays everything.
    assert.equal(JSON.stringify(sim.fib.get(0, '172.16.0.0/12')), foreignBefore, 'another client\'s route was untouched through changes and resync');
    assert.deepEqual(others(sim), othersAtStart, 'every route of another source, in every table, is as it was');
    sim.restartEmpty();
    await until('the replay into the restarted VPP', () => JSON.stringify(view(sim)) === JSON.stringify(want2), 20_000, () => view(sim));

    // fibmgr restarts; meanwhile a route goes away in zebra. The restarted fibmgr adopts what
    // VPP holds, keeps it (no gap: nothing unchanged is rewritten) and sweeps the removed one
    // when the stale time ends (an adopted route has no protocol: no replay shows it complete).
    sim.fib.add(0, '172.16.0.0/12', [makePath({ swIfIndex: 1, nh: '192.0.2.99' })], SRC_CLI);
    foreignBefore = JSON.stringify(sim.fib.get(0, '172.16.0.0/12'));
    const othersAfterRestart = others(sim);
    assert.equal(await fib.stop(), 0, 'fibmgr exits 0 on SIGTERM');
    assert.deepEqual(view(sim), want2, 'routes stay in VPP when fibmgr stops');
    l.vtysh('conf t', 'no ip route 198.51.100.0/24 reject');
    const want3 = { ...want2 };
    delete want3['0|198.51.100.0/24'];
    ops = { ...sim.routeOps };
    fib = await startFibmgr(l, args, { dryRun: false });
    children.push(fib);
    await fib.waitFor('zebra to connect', () => fib.sessions().length > 0, 25_000);
    await until('the stale route to be swept', () => JSON.stringify(view(sim)) === JSON.stringify(sorted(want3)), 20_000, () => view(sim));
    assert.equal(sim.routeOps.add - ops.add, 0, 'adopted routes are not rewritten');
    assert.equal(sim.routeOps.del - ops.del, 1, 'only the removed route is deleted');
    assert.equal(JSON.stringify(sim.fib.get(0, '172.16.0.0/12')), foreignBefore, 'another client\'s route is untouched');
    assert.ok(view(sim)[FOREIGN] === undefined);
    assert.deepEqual(others(sim), othersAfterRestart, 'every route of another source, in every table, is as it was');
    assert.deepEqual(sim.errors, [], 'the simulator saw no malformed request');
  } finally {
    for (const c of children) await c.stop().catch(() => undefined);
    await lab?.stop();
    await sim.stop();
  }
});
