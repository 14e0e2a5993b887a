// `fibmgr show route` through the daemon and the simulator, for an installed route, a route left
// out (a connected subnet) and one VPP refuses (retried), and a prefix fibmgr does not know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO } from '../helpers/fibmgr-child.js';
import { runCli, sendFpm, startSimDaemon, until } from '../helpers/daemon.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');
const REFUSED = Buffer.from([11, 0, 7, 0]);

test('fibmgr show route: installed, not installed (connected), retrying, unknown', { timeout: 90_000 }, async () => {
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('show-route', ['--resync-grace', '1', '--audit-interval', '0']);
  sim.reject = (name, payload) => (name.startsWith('ip_route_add_del') && payload.includes(REFUSED) ? -54 : undefined);
  const show = (...args: string[]) => runCli('show', 'route', '--metrics-addr', `127.0.0.1:${httpPort}`, ...args);
  try {
    await d.waitLog('listening for zebra FPM');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('11.0.7.0/24 to be retried', async () => /retrying/.test((await show('11.0.7.0/24')).stdout), 30_000);

    const installed = await show('11.0.0.0/24');
    assert.equal(installed.status, 0, installed.stderr);
    assert.match(installed.stdout, /route 11\.0\.0\.0\/24: zebra table 254 → VPP table 0/);
    assert.match(installed.stdout, /zebra: {3}kernel \(protocol 2\), unicast/);
    assert.match(installed.stdout, /state: {3}in sync/);
    assert.match(installed.stdout, /vpp: {5}normal\/4\/10\.0\.2\.2\/\S+ \(FIB source \d+, fibmgr's\)/);

    const connected = await show('10.0.2.0/24');
    assert.equal(connected.status, 0);
    assert.match(connected.stdout, /state: {3}not installed: connected/);
    assert.match(connected.stdout, /next hops: - ifindex \d+/);
    assert.match(connected.stdout, /fibmgr: {2}wants nothing/);

    const retrying = await show('11.0.7.0/24', '--json');
    assert.equal(retrying.status, 0);
    const r = JSON.parse(retrying.stdout);
    assert.equal(r.state, 'retrying');
    assert.ok(r.attempts >= 1);
    assert.match(r.lastError, /-54|NO_SUCH|INVALID|retval/i);
    assert.equal(r.vpp, null, 'VPP has no entry for it');
    assert.equal(r.installed, null);
    assert.notEqual(r.wants, null);

    const unknown = await show('203.0.113.0/24');
    assert.equal(unknown.status, 3);
    assert.match(unknown.stdout, /fibmgr has no such route/);
    const bad = await show('not-a-prefix');
    assert.equal(bad.status, 2);
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});
