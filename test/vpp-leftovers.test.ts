// A fibmgr that starts after a crash leaves VPP as it was before: the sessions dead clients left
// in VPP (the simulator holds two, as a VPP does after fibmgr and its audit were SIGKILLed) are
// reaped at start, logged and counted (/metrics, /state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, parseMetrics, startSimDaemon, until } from './helpers/daemon.js';

test('at start, dead clients\' VPP sessions are reaped, logged and counted', { timeout: 60_000 }, async () => {
  const { sim, d, httpPort } = await startSimDaemon('leftovers', ['--audit-interval', '0'], {}, (s) => s.deadSessions.push('fibmgr', 'fibmgr-audit'));
  try {
    const line = await d.waitLog('reaped VPP API sessions of clients that died without a goodbye (each held VPP\'s main thread busy)');
    assert.equal(line.reaped, 2);
    assert.deepEqual(line.clients, ['fibmgr', 'fibmgr-audit']);
    assert.deepEqual(sim.deadSessions, []);
    await until('metrics up', async () => (await get(httpPort, '/metrics').catch(() => ({ status: 0 }))).status === 200);
    assert.equal(parseMetrics((await get(httpPort, '/metrics')).body).get('fibmgr_vpp_leftover_sessions_reaped'), 2);
    assert.equal(JSON.parse((await get(httpPort, '/state')).body).vpp.leftoversReaped, 2);
  } finally {
    await d.stop();
    await sim.stop();
  }
});

test('at start on a clean VPP: nothing to reap, and VPP is not nudged', { timeout: 60_000 }, async () => {
  const { sim, d } = await startSimDaemon('leftovers-clean', ['--audit-interval', '0']);
  try {
    const line = await d.waitLog('no dead VPP API sessions to reap');
    assert.equal(line.listed, 1);
    assert.equal(sim.count('cli_inband'), 1, 'the listing only');
  } finally {
    await d.stop();
    await sim.stop();
  }
});
