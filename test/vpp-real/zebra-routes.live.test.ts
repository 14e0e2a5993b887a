// Real zebra (Debian's FRR 8.4, and FRR 10.3 from its root tree) → fibmgr → a real VPP: every route
// kind lands as VPP itself reports it (ip_route_v2_dump of fibmgr's FIB source); a change is one
// replacing add with no delete and an unchanged zebra reconnect writes nothing — both read from
// VPP's own API trace; a table whose routes all go away is left standing and used again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRealVpp, type RealVpp } from '../helpers/real-vpp.js';
import { fibOf, openVpp } from '../helpers/vpp-fib.js';
import { traceFromNow, tracedRouteWrites } from '../helpers/vpp-api-trace.js';
import { startLab, labUnavailable, skipLive, FRRS, type Lab } from '../helpers/zebra-lab.js';
import { startFibmgr, type FibmgrChild } from '../helpers/fibmgr-child.js';
import { until } from '../helpers/daemon.js';
import { ip_table_dump } from 'vpp-binapi-ts/gen';
import type { VppClient } from 'vpp-binapi-ts';

const STATICS = [
  'conf t',
  'ip route 8.8.8.8/32 10.0.2.2', 'ip route 8.8.8.8/32 10.0.2.3', 'ip route 8.8.8.8/32 10.0.3.4',
  'ip route 192.0.2.0/24 blackhole',
  'ip route 198.51.100.0/24 reject',
  'ip route 203.0.113.0/24 eth2',
  'ipv6 route 2001:db8:100::/48 2001:db8:2::2', 'ipv6 route 2001:db8:100::/48 2001:db8:3::3',
  'ipv6 route 2001:db8:dead::/48 blackhole',
  'ip route 10.100.0.0/16 10.0.2.2 table 100',
  'ipv6 route 2001:db8:1000::/48 2001:db8:2::2 table 100',
];
// Weights and prohibit have no staticd syntax: the namespace's kernel routes, which zebra forwards.
const KERNEL = [
  'ip route add 20.0.0.0/24 nexthop via 10.0.2.2 weight 3 nexthop via 10.0.3.2 weight 1',
  'ip -6 route add 2001:db8:20::/48 nexthop via 2001:db8:2::2 weight 2 nexthop via 2001:db8:3::2 weight 5',
  'ip route add prohibit 198.18.0.0/24',
  'ip route add unreachable 198.19.0.0/24',
  'ip route add blackhole 198.20.0.0/24',
];

// eth2 is mapped to VPP's loop0 (sw_if_index 1); eth1 is not, so its gateways are recursive (sw ~0).
const WANT: Record<string, string[]> = {
  '0|192.0.2.0/24': ['drop'],
  '0|198.18.0.0/24': ['icmp-prohibit'],
  '0|198.19.0.0/24': ['icmp-unreach'],
  '0|198.20.0.0/24': ['drop'],
  '0|198.51.100.0/24': ['icmp-unreach'],
  '0|2001:db8:100::/48': ['normal 2001:db8:2::2 sw* w1', 'normal 2001:db8:3::3 sw1 w1'],
  '0|2001:db8:20::/48': ['normal 2001:db8:2::2 sw* w2', 'normal 2001:db8:3::2 sw1 w5'],
  '0|2001:db8:dead::/48': ['drop'],
  '0|20.0.0.0/24': ['normal 10.0.2.2 sw* w3', 'normal 10.0.3.2 sw1 w1'],
  '0|203.0.113.0/24': ['normal - sw1 w1'],
  '0|8.8.8.8/32': ['normal 10.0.2.2 sw* w1', 'normal 10.0.2.3 sw* w1', 'normal 10.0.3.4 sw1 w1'],
  '100|10.100.0.0/16': ['normal 10.0.2.2 sw* w1'],
  '100|2001:db8:1000::/48': ['normal 2001:db8:2::2 sw* w1'],
};

// Changes (FRR 8.4: delete + add; FRR 10: one replace) that must reach VPP as one add each.
const CHANGES = ['conf t', 'no ip route 8.8.8.8/32 10.0.3.4', 'no ip route 203.0.113.0/24 eth2', 'ip route 203.0.113.0/24 10.0.3.9'];
const WANT2: Record<string, string[]> = { ...WANT, '0|8.8.8.8/32': ['normal 10.0.2.2 sw* w1', 'normal 10.0.2.3 sw* w1'], '0|203.0.113.0/24': ['normal 10.0.3.9 sw1 w1'] };

const sorted = (w: Record<string, string[]>) => Object.fromEntries(Object.entries(w).sort(([a], [b]) => a.localeCompare(b)));
const without = (w: Record<string, string[]>, ...keys: string[]) => sorted(Object.fromEntries(Object.entries(w).filter(([k]) => !keys.includes(k))));

async function tables(c: VppClient): Promise<string[]> {
  return (await c.dump<any, any>(ip_table_dump, {})).map((d) => `${d.table.is_ip6 ? 6 : 4}|${d.table.table_id}`).sort();
}

async function scenario(vpp: RealVpp, frr: (typeof FRRS)[number]): Promise<void> {
  let lab: Lab | undefined;
  let fib: FibmgrChild | undefined;
  const c = await openVpp(vpp.apiSock);
  try {
    await vpp.cli('create loopback interface'); // loop0, sw_if_index 1
    lab = await startLab({ module: 'dplane_fpm_nl', fpmPort: 2620, root: frr.root });
    const l = lab;
    fib = await startFibmgr(l, ['--vpp-sock', vpp.apiSock, '--resync-grace', '1', '--interface-map', 'eth2=loop0'], { dryRun: false });
    const f = fib;
    await f.waitFor('zebra to connect and VPP to be read', () => f.sessions().length > 0 && f.lines.some((x) => x.msg === 'VPP ready: adopted our routes'));
    l.vtysh(...STATICS);
    for (const k of KERNEL) l.exec(k);
    const want = sorted(WANT);
    await until('every route kind in VPP', async () => JSON.stringify(await fibOf(c)) === JSON.stringify(want), 20_000, () => fibOf(c));
    assert.ok((await tables(c)).includes('4|100') && (await tables(c)).includes('6|100'), 'VPP tables 100 were created');

    // hitless replace: what VPP received is one add per changed route, no delete
    await traceFromNow(vpp.cli.bind(vpp));
    l.vtysh(...CHANGES);
    const want2 = sorted(WANT2);
    await until('the changes in VPP', async () => JSON.stringify(await fibOf(c)) === JSON.stringify(want2), 20_000, () => fibOf(c));
    const writes = await tracedRouteWrites(vpp.cli.bind(vpp));
    assert.deepEqual(writes.map((w) => `${w.isAdd ? 'add' : 'del'} ${w.table} ${w.prefix}`).sort(), ['add 0 203.0.113.0/24', 'add 0 8.8.8.8/32'], 'each change is one replacing add, nothing deleted');

    // a table whose routes all go away stays in VPP, empty of fibmgr's routes, and takes routes again
    l.vtysh('conf t', 'no ip route 10.100.0.0/16 10.0.2.2 table 100', 'no ipv6 route 2001:db8:1000::/48 2001:db8:2::2 table 100');
    const want3 = without(want2, '100|10.100.0.0/16', '100|2001:db8:1000::/48');
    await until('table 100 emptied', async () => JSON.stringify(await fibOf(c)) === JSON.stringify(want3), 20_000, () => fibOf(c));
    assert.ok((await tables(c)).includes('4|100') && (await tables(c)).includes('6|100'), 'the unused tables are left standing');
    l.vtysh('conf t', 'ip route 10.101.0.0/16 10.0.2.2 table 100');
    const want4 = sorted({ ...want3, '100|10.101.0.0/16': ['normal 10.0.2.2 sw* w1'] });
    await until('a route in the unused table', async () => JSON.stringify(await fibOf(c)) === JSON.stringify(want4), 20_000, () => fibOf(c));

    // zebra reconnects with nothing changed: VPP receives no route write at all
    await traceFromNow(vpp.cli.bind(vpp));
    l.exec('ss -K dst 127.0.0.1 dport = 2620');
    await f.waitFor('zebra to reconnect', () => f.sessions().length > 1, 25_000);
    const session = f.sessions().at(-1);
    await f.waitFor('the resync to end', () => f.lines.some((x) => x.session === session && x.msg === 'resync done'), 25_000);
    assert.deepEqual(await tracedRouteWrites(vpp.cli.bind(vpp)), [], 'an unchanged resync writes no route');
    assert.deepEqual(await fibOf(c), want4);
    const bad = f.lines.filter((x) => Number(x.level) >= 50);
    assert.deepEqual(bad, [], 'no error logged');
  } finally {
    await fib?.stop();
    await lab?.stop();
    await c.close();
  }
}

test('real VPP, real zebra: route kinds, hitless replace, an unused table, an unchanged reconnect', { timeout: 300_000 }, async (t) => {
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  let first = true;
  for (const frr of [FRRS[0], FRRS[1]]) {
    await vpp.test(t, frr.name, async (st) => {
      const why = labUnavailable(frr.root);
      if (why) { skipLive(st, why); return; }
      if (!first) await vpp.restart(); // each zebra starts on an empty VPP
      first = false;
      await scenario(vpp, frr);
    }, { timeout: 150_000 });
  }
});
