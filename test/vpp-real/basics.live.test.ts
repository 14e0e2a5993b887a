// The real-VPP tier's first step: fibmgr's own client speaks to a real VPP (handshake, message
// table, show_version), and the daemon programs it from a recorded zebra stream — read back with
// ip_route_v2_dump of fibmgr's FIB source and with VPP's own CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startRealVpp } from '../helpers/real-vpp.js';
import { fibOf, openVpp } from '../helpers/vpp-fib.js';
import { REPO } from '../helpers/fibmgr-child.js';
import { freePort, sendFpm, startDaemon, until } from '../helpers/daemon.js';
import { show_version } from 'vpp-binapi-ts/gen';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');

// static-nhg (FRR 8.4.4, dplane_fpm_nl): no interface is mapped, so gateways install as recursive
// paths (sw ~0) and the interface-only route is reported, not installed.
const WANT: Record<string, string[]> = {
  '0|192.0.2.0/24': ['drop'],
  '0|198.51.100.0/24': ['icmp-unreach'],
  '0|2001:db8:100::/48': ['normal 2001:db8:2::2 sw* w1', 'normal 2001:db8:2::3 sw* w1'],
  '0|2001:db8:dead::/48': ['drop'],
  '0|8.8.8.8/32': ['normal 10.0.2.2 sw* w1', 'normal 10.0.2.3 sw* w1', 'normal 10.0.3.4 sw* w1'],
};

test('real VPP: fibmgr\'s client connects, the daemon installs a recorded zebra stream, VPP dumps it back', { timeout: 120_000 }, async (t) => {
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  const c = await openVpp(vpp.apiSock);
  t.after(() => c.close());
  const v = await c.request<any, any>(show_version, {});
  assert.equal(v.program, 'vpe');
  assert.ok(v.version.includes(vpp.version), `show_version says ${v.version}, the CLI ${vpp.version}`);

  const fpmPort = await freePort();
  const d = startDaemon(['--vpp-sock', vpp.apiSock, '--fpm-port', String(fpmPort), '--metrics-addr', 'off', '--resync-grace', '1']);
  t.after(() => d.stop());
  await d.waitLog('VPP ready: adopted our routes');
  const zebra = await sendFpm(fpmPort, join(FIXTURES, 'static-nhg.bin'));
  t.after(() => zebra.destroy());
  await until('zebra\'s routes in VPP', async () => JSON.stringify(await fibOf(c)) === JSON.stringify(WANT), 20_000, () => fibOf(c));
  // VPP's own view: the route is there, from fibmgr's source
  const cli = await vpp.cli('show ip fib 8.8.8.8/32');
  assert.match(cli, /8\.8\.8\.8\/32/);
  assert.match(cli, /fibmgr/);
});
