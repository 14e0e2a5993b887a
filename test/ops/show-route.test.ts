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

test('fibmgr show label: an installed LSP (its two VPP entries), an unknown label; /state and the metrics count LSPs', { timeout: 90_000 }, async () => {
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('show-label', ['--resync-grace', '1', '--audit-interval', '0']);
  const show = (...args: string[]) => runCli('show', 'label', '--metrics-addr', `127.0.0.1:${httpPort}`, ...args);
  try {
    await d.waitLog('listening for zebra FPM');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'mpls-84-1.bin'));
    await until('LSP 102 in VPP', async () => /state: {3}in sync/.test((await show('102')).stdout), 30_000);
    const lsp = await show('102');
    assert.equal(lsp.status, 0, lsp.stderr);
    assert.match(lsp.stdout, /zebra: {3}static: 10\.0\.3\.3 ifindex 5 out 301/);
    assert.match(lsp.stdout, /vpp: {5}eos normal\/4\/10\.0\.3\.3\/\*\/1\/301; non-eos normal\/4\/10\.0\.3\.3\/\*\/1\/301/);
    const gone = await show('101');
    assert.equal(gone.status, 3, 'LSP 101 was deleted by zebra');
    assert.match(gone.stdout, /fibmgr has no such LSP/);
    assert.equal((await show('not-a-label')).status, 2);
    const state = JSON.parse((await fetch(`http://127.0.0.1:${httpPort}/state`).then((r) => r.text())));
    assert.deepEqual({ desired: state.sync.lsps.desired, installed: state.sync.lsps.installed }, { desired: 3, installed: 3 });
    assert.deepEqual([state.fpm.events.lspAdd, state.fpm.events.lspDel], [6, 1]);
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
    assert.match(metrics, /fibmgr_lsps\{state="installed"\} 3/);
    assert.equal(sim.mpls.apiEntries().length, 6);
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});
