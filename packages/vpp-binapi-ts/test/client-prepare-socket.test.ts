// prepareSocket: the application's hook on each session's socket (fibmgr sets the send buffer
// there, which Node has no API for). It runs once connected and before the handshake, is awaited,
// runs again on every reconnect, and a hook that fails costs a warning, not the session.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { until } from './helpers/until.js';
import { simPerTest } from './helpers/sim-per-test.js';
import * as d from './client-defs.js';

describe('VppClient prepareSocket', () => {
  const t = simPerTest('prepare');

  test('runs on the connected socket before the handshake, which waits for it', async () => {
    const seen: { open: string; hellos: number }[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const c = t.client({
      prepareSocket: async (s: Socket) => {
        seen.push({ open: s.readyState, hellos: t.sim.sessions.length });
        await held;
      },
    });
    let isConnected = false;
    const connected = c.connect().then(() => { isConnected = true; });
    await until('the hook runs', () => seen.length === 1);
    // another client's whole session meanwhile (handshake, a request, goodbye): a handshake the
    // first had sent would have been answered before it
    const other = t.client();
    await other.connect();
    assert.equal((await other.request(d.control_ping, {})).retval, 0);
    await other.close();
    assert.equal(t.sim.sessions.length, 1, 'no handshake while the hook is pending');
    assert.equal(isConnected, false);
    release();
    await connected;
    assert.deepEqual(seen, [{ open: 'open', hellos: 0 }]);
    assert.equal(t.sim.sessions.length, 2);
    assert.equal((await c.request(d.control_ping, {})).retval, 0);
    await c.close();
  });

  test('runs again on every reconnect', async () => {
    let calls = 0;
    const c = t.client({ prepareSocket: () => { calls++; } });
    await c.connect();
    const back = new Promise<void>((res) => c.once('connected', () => res()));
    t.sim.dropConnections();
    await back;
    assert.equal(calls, 2);
    await c.close();
  });

  // the test's own timeout fails a hook that waits the requests' minute
  test('a hook still running at handshakeTimeoutMs is left behind with a warning: the handshake has its own handshakeTimeoutMs', { timeout: 30_000 }, async () => {
    let calls = 0;
    const c = t.client({ handshakeTimeoutMs: 1000, timeoutMs: 60_000, prepareSocket: () => { calls++; return new Promise<void>(() => undefined); } });
    await c.connect();
    assert.equal(calls, 1);
    assert.deepEqual(t.warned, ['vpp socket: prepareSocket failed; the session goes on without it']);
    assert.equal((await c.request(d.control_ping, {})).retval, 0);
    await c.close();
  });

  test('close() while the hook runs: the connect fails and VPP never registers the client', async () => {
    let release!: () => void;
    let called = false;
    const c = t.client({ prepareSocket: () => { called = true; return new Promise<void>((r) => (release = r)); } });
    const connected = c.connect().then(() => 'connected', (e: Error) => e.name);
    await until('the hook runs', () => called);
    const closed = c.close();
    release();
    assert.equal(await connected, 'VppDisconnectedError');
    await closed;
    assert.equal(t.sim.sessions.length, 0);
  });

  test('a hook that throws or rejects is logged, and the session goes on', async () => {
    for (const prepareSocket of [() => { throw new Error('no perl'); }, () => Promise.reject(new Error('no perl'))]) {
      t.warned.length = 0;
      const c = t.client({ prepareSocket });
      await c.connect();
      assert.equal((await c.request(d.control_ping, {})).retval, 0);
      assert.deepEqual(t.warned, ['vpp socket: prepareSocket failed; the session goes on without it']);
      await c.close();
    }
  });
});
