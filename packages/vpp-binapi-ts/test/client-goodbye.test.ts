// Every session the client ends says goodbye (sockclnt_delete) before its socket closes: a VPP
// that only sees the socket drop can keep the registration and spin its main thread on it
// (issue 27; docs/upstream/vpp-socket-eof-spin.md). Whatever the way out — close(), a reset after
// timeouts, a protocol error, a message table refused at the handshake — and however VPP
// behaves (answering, paused by us, wedged), the goodbye goes out and close() ends.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { VppClient, VppCrcMismatchError } from '../src/index.js';
import { recordedMessageTable } from '../src/sim/index.js';
import { MEMCLNT, encodeSockclntCreateReply } from '../src/client/handshake.js';
import { FrameReader, frame } from '../src/transport/frame.js';
import { until } from './helpers/until.js';
import { simPerTest, sockPath } from './helpers/sim-per-test.js';
import * as d from './client-defs.js';

const WAITS = 'vpp session waits for VPP to read the dropped one to its goodbye';

describe('VppClient goodbye (sockclnt_delete) on every way out', () => {
  const t = simPerTest('goodbye');

  test('close(): VPP is told, answers, and the socket closes; a second close() sends nothing more', async () => {
    const c = t.client({ clientName: 'app-test' });
    await c.connect();
    await Promise.all([c.close(), c.close()]);
    await c.close();
    assert.deepEqual(t.sim.sessions, [{ index: 0x80000001, name: 'app-test', deleted: true, closed: true }]);
    assert.equal(t.sim.count('sockclnt_delete'), 1);
  });

  test('a reset after timeouts says goodbye on the old session before the new one starts', async () => {
    // requests time out on the client's clock, moved here: the handshakes keep their 5 s
    let now = 0;
    const c = t.client({ timeoutMs: 5000, maxTimeouts: 2, now: () => now });
    await c.connect();
    t.sim.silent.add('ip_route_add_del');
    const back = new Promise<void>((res) => c.once('disconnected', () => c.once('connected', () => res())));
    const timedOut = Promise.all([0, 1].map((i) => c.request(d.ip_route_add_del, d.route(`10.7${i}.0.0/16`)).catch(() => undefined)));
    await until('both requests sent', () => t.sim.count('ip_route_add_del') === 2);
    now += 60_000;
    await timedOut;
    await back;
    await until('the old session is deleted and closed', () => t.sim.sessions[0]!.closed);
    assert.equal(t.sim.sessions[0]!.deleted, true, 'the reset session ended with sockclnt_delete');
    t.sim.silent.clear();
    assert.equal((await c.request(d.control_ping, {})).retval, 0);
    await c.close();
    assert.deepEqual(t.sim.sessions.map((s) => [s.deleted, s.closed]), [[true, true], [true, true]]);
  });

  /**
   * A client whose session VPP froze under, reset after its `n` requests (unread) timed out;
   * `onLost` runs in its 'disconnected' handler.
   */
  async function resetWhileFrozen(extra: Parameters<typeof t.client>[0], n = 1, onLost?: (c: VppClient) => void): Promise<VppClient> {
    let now = 0;
    const c = t.client({ timeoutMs: 5000, maxTimeouts: 1, window: n, now: () => now, ...extra });
    await c.connect();
    t.sim.freeze();
    const lost = once(c, 'disconnected');
    if (onLost) c.once('disconnected', () => onLost(c));
    const requests = Promise.allSettled(Array.from({ length: n }, (_, i) => c.request(d.ip_route_add_del, d.route(`10.${i >> 8}.${i & 255}.0/24`))));
    now += 60_000;
    await lost;
    await requests;
    return c;
  }

  /** Runs `act` (VPP thaws, or restarts) and waits until `c` is connected again after it. */
  async function connectedAfter(c: VppClient, act: () => void, what: string): Promise<void> {
    let up = false;
    c.once('connected', () => { up = true; });
    act();
    await until(what, () => up);
  }

  test('a reset behind a frozen VPP opens the next session only after VPP read the old one to its goodbye', async () => {
    // VPP froze with a window of requests unread in the old socket; the reset's goodbye is queued
    // behind them. Were the old socket destroyed, VPP would still apply what the kernel held, in
    // turn with the next session's requests (after a dump that read VPP's state): requests late.
    const n = 5000;
    const c = await resetWhileFrozen({}, n);
    await until('the reconnect: waiting for the old socket, or made', () => t.told.includes(WAITS) || t.sim.accepted > 1);
    assert.equal(t.sim.accepted, 1, 'no new connection while VPP has not read the old one');
    await connectedAfter(c, () => t.sim.thaw(), 'reconnected once VPP thawed');
    assert.equal(t.sim.routeOps.add, n, 'every request of the old session applied before the new one opened');
    assert.deepEqual(t.sim.sessions.map((s) => [s.deleted, s.closed]), [[true, true], [false, false]]);
    assert.deepEqual(t.warned.filter((m) => /did not read the dropped session/.test(m)), []);
    await c.close();
  });

  test('a VPP that never reads the dropped session holds the next one back for drainMs only', async () => {
    const c = await resetWhileFrozen({ drainMs: 50 });
    await until('the old socket given up', () => t.warned.some((m) => /did not read the dropped session to its goodbye in time/.test(m)));
    assert.ok(t.told.includes(WAITS), 'the reconnect waited for it');
    await until('the next connection', () => t.sim.accepted === 2);
    await connectedAfter(c, () => t.sim.thaw(), 'connected once VPP thawed');
    assert.equal((await c.request(d.control_ping, {})).retval, 0);
    await c.close();
  });

  test('VPP gone while the dropped session drains: the next session does not wait for drainMs', async () => {
    const c = await resetWhileFrozen({ drainMs: 600_000 });
    await until('the reconnect waits', () => t.told.includes(WAITS));
    await connectedAfter(c, () => t.sim.restartEmpty(), 'reconnected after VPP dropped the sockets (not after drainMs)');
    assert.equal((await c.request(d.control_ping, {})).retval, 0);
    await c.close();
  });

  test('a connect() while the reconnect waits joins it: one new session', async () => {
    const c = await resetWhileFrozen({});
    await until('the reconnect waits', () => t.told.includes(WAITS));
    const mine = c.connect();
    await connectedAfter(c, () => t.sim.thaw(), 'connected once VPP thawed');
    await mine;
    assert.equal(t.sim.accepted, 2, 'one connection after the first');
    assert.equal((await c.request(d.control_ping, {})).retval, 0);
    await c.close();
    assert.deepEqual(t.sim.sessions.map((s) => [s.deleted, s.closed]), [[true, true], [true, true]]);
  });

  test('close() while the reconnect waits: bounded, no session after, the goodbye still read once VPP thaws', async () => {
    const c = await resetWhileFrozen({ goodbyeMs: 50 }, 5000);
    await until('the reconnect waits', () => t.told.includes(WAITS));
    await c.close();
    assert.ok(t.warned.some((m) => /its goodbye is still unsent/.test(m)), t.warned.join(' | '));
    t.sim.thaw();
    await until('the dropped session read to its goodbye, and its socket closed here', () => t.told.includes('vpp dropped session closed'));
    await new Promise((r) => setImmediate(r));
    assert.equal(t.sim.sessions[0]!.deleted, true);
    assert.equal(t.sim.routeOps.add, 5000);
    assert.equal(t.sim.accepted, 1, 'no session after close()');
    assert.equal(c.connected, false);
  });

  test('a connect() from the owner\'s \'disconnected\' handler waits for the dropped session too', async () => {
    const n = 2000;
    let mine: Promise<unknown> | undefined;
    const c = await resetWhileFrozen({ reconnect: false }, n, (lost) => { mine = lost.connect(); });
    assert.ok(mine, 'the handler ran');
    assert.ok(t.told.includes(WAITS), t.told.join(' | '));
    await connectedAfter(c, () => t.sim.thaw(), 'connected once VPP thawed');
    assert.equal(t.sim.routeOps.add, n, 'the old session\'s requests applied first');
    await mine;
    assert.equal(t.sim.accepted, 2);
    await c.close();
  });

  test('drainMs must be a timer\'s range', () => {
    for (const drainMs of [Infinity, -1, NaN, 2 ** 31]) assert.throws(() => t.client({ drainMs }), RangeError, String(drainMs));
    t.client({ drainMs: 0 });
  });

  test('a VPP that never answers the goodbye cannot hold close()', async () => {
    const c = t.client({ goodbyeMs: 50 });
    await c.connect();
    t.sim.silent.add('sockclnt_delete');
    await c.close();
    assert.equal(t.sim.count('sockclnt_delete'), 1, 'sent all the same');
    assert.ok(t.warned.some((m) => /did not answer the goodbye/.test(m)), t.warned.join(' | '));
    await until('the socket closes', () => t.sim.sessions[0]!.closed);
  });

  test('close() of a paused session (a dump read at the caller\'s pace) still reads VPP\'s answer', async () => {
    const c = t.client({ timeoutMs: 60_000, goodbyeMs: 30_000 });
    await c.connect();
    c.pause();
    await c.close();
    assert.deepEqual(t.sim.sessions.map((s) => [s.deleted, s.closed]), [[true, true]]);
    assert.deepEqual(t.warned, [], 'the answer was read, not waited out');
  });

  test('close() during the handshake waits for VPP\'s answer and says goodbye as the client VPP registered', async () => {
    t.sim.holdReplies(); // the handshake's answer is on its way when close() comes
    const c = t.client({ timeoutMs: 30_000, goodbyeMs: 20_000 });
    const opening = c.connect();
    await until('VPP registered the client', () => t.sim.sessions.length === 1);
    let closed = false;
    const closing = c.close().then(() => { closed = true; });
    const opened = assert.rejects(opening, /closed during the handshake/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed, false, 'close() waits for VPP\'s answer');
    t.sim.releaseReplies();
    await closing;
    await opened;
    await until('the session is closed', () => t.sim.sessions[0]!.closed);
    assert.equal(t.sim.sessions[0]!.deleted, true);
    assert.equal(c.connected, false);
  });

  test('a message table refused at the handshake (CRC) ends the registration VPP made', async () => {
    t.sim.setCrc('ip_route_add_del', 'deadbeef');
    const c = t.client({ reconnect: false });
    await assert.rejects(c.connect(), VppCrcMismatchError);
    await until('the refused session is closed', () => t.sim.sessions[0]?.closed === true);
    assert.equal(t.sim.sessions[0]!.deleted, true);
  });
});

describe('VppClient goodbye when VPP\'s byte stream breaks', () => {
  test('a protocol error resets the session with sockclnt_delete ahead of the close', async () => {
    const path = sockPath('goodbye');
    const table = recordedMessageTable();
    const received: number[] = [];
    let ended: () => void;
    const sawEnd = new Promise<void>((r) => { ended = r; });
    const server = net.createServer((sock) => {
      const reader = new FrameReader((b, s) => {
        const id = b.readUInt16BE(s);
        received.push(id);
        if (received.length === 1) sock.write(frame(encodeSockclntCreateReply(0, 0x80000001, table)));
        // the first request after the handshake gets garbage: an id outside the table
        else if (received.length === 2) sock.write(frame(Buffer.from([0xff, 0xf0, 0, 0, 0, 1, 0, 0, 0, 0])));
      });
      sock.on('data', (chunk) => reader.push(chunk));
      sock.on('end', () => ended());
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(path, () => r()));
    const c = new VppClient({ socketPath: path, messages: d.messages, required: [d.ip_route_add_del], reconnect: false });
    await c.connect();
    const lost = once(c, 'disconnected');
    await c.request(d.ip_route_add_del, d.route('10.0.0.0/8')).catch(() => undefined);
    await lost;
    await sawEnd;
    assert.equal(received.at(-1), table.get(MEMCLNT.sockclnt_delete), `last message before the end: ${received.join(',')}`);
    await c.close();
    server.close();
  });
});
