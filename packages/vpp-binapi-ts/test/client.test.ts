import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient, VppCrcMismatchError, VppDisconnectedError, VppRetvalError, VppTimeoutError, type VppClientOptions } from '../src/index.js';
import { VppSim, recordedMessageTable, makePath } from '../src/sim/index.js';
import { encodeSockclntCreateReply } from '../src/client/handshake.js';
import { frame } from '../src/transport/frame.js';
import * as d from './client-defs.js';
import { until } from './helpers/until.js';

let n = 0;
const sockPath = () => join(tmpdir(), `vbt-client-${process.pid}-${n++}.sock`);
const loop0 = { swIfIndex: 1, name: 'loop0', flags: 3, mac: '02:fe:00:00:00:01', mtu: 9000 };

function clientFor(sim: VppSim, path: string, extra: Partial<VppClientOptions> = {}): VppClient {
  return new VppClient({
    socketPath: path,
    messages: d.messages,
    required: [d.ip_route_add_del, d.ip_table_add_del, d.ip_route_dump],
    optional: [d.want_interface_events, d.sw_interface_set_flags, d.show_version],
    reconnect: { minMs: 10, maxMs: 50 },
    ...extra,
  });
}

describe('VppClient against the simulator', () => {
  let sim: VppSim;
  let path: string;
  let client: VppClient;
  beforeEach(async () => {
    await client?.close();
    await sim?.stop();
    path = sockPath();
    sim = await new VppSim({ socketPath: path, interfaces: [loop0] }).start();
    client = clientFor(sim, path);
  });
  after(async () => {
    await client?.close();
    await sim?.stop();
  });

  test('handshake resolves ids from the recorded table', async () => {
    const info = await client.connect();
    assert.equal(info.reconnect, false);
    assert.equal(info.messageCount, 855);
    assert.equal(info.clientIndex, 0x80000001);
    assert.equal(client.msgId(d.ip_route_add_del), 396);
    assert.equal(client.msgId(d.ip_route_dump), 400);
    assert.equal(client.has(d.want_interface_events), true);
    const v = await client.request(d.show_version, {});
    assert.equal(v.retval, 0);
    assert.match(v.version, /^26\.10/);
    const ping = await client.request(d.control_ping, {});
    assert.equal(ping.client_index, 0x80000001);
    assert.equal(ping.vpe_pid, sim.vpePid);
  });

  test('pipelining: thousands in flight, replies matched by context, window respected', async () => {
    const c = clientFor(sim, path, { window: 256 });
    await c.connect();
    const N = 5000;
    const ps: Promise<any>[] = [];
    for (let i = 0; i < N; i++) ps.push(c.request(d.ip_route_add_del, d.route(`10.${i >> 8}.${i & 255}.0/24`)));
    assert.equal(c.pending.inflight, 256);
    assert.equal(c.pending.queued, N - 256);
    const replies = await Promise.all(ps);
    assert.equal(replies.length, N);
    // Each reply is the one for its own route: stats indexes are allocated in request order.
    const stats = replies.map((r) => r.stats_index);
    assert.deepEqual(stats, [...stats].sort((a, b) => a - b));
    assert.equal(new Set(stats).size, N);
    assert.equal(sim.fib.table(false, 0)!.entries.size, N);
    assert.equal(sim.count('ip_route_add_del'), N);
    assert.equal(sim.fib.get(0, '10.19.135.0/24')!.sources.get(8)!.length, 1);
    assert.deepEqual(c.pending, { inflight: 0, queued: 0 });
    await c.close();
  });

  test('dump assembly: details collected until the control_ping reply', async () => {
    await client.connect();
    const N = 300;
    await Promise.all(Array.from({ length: N }, (_, i) => client.request(d.ip_route_add_del, d.route(`172.${16 + (i >> 8)}.${i & 255}.0/24`))));
    await client.request(d.ip_table_add_del, { is_add: true, table: { table_id: 7, is_ip6: false } });
    await client.request(d.ip_route_add_del, d.route('8.8.8.8/32', '192.0.2.9', 7));
    const [main, seven, missing] = await Promise.all([
      client.dump(d.ip_route_dump, { table: { table_id: 0, is_ip6: false } }),
      client.dump(d.ip_route_dump, { table: { table_id: 7, is_ip6: false } }),
      client.dump(d.ip_route_dump, { table: { table_id: 99, is_ip6: false } }),
    ]);
    assert.equal(main.length, N);
    assert.ok(main.some((x: any) => x.route.prefix === '172.17.43.0/24'));
    assert.deepEqual(seven.map((x: any) => x.route.prefix), ['8.8.8.8/32']);
    assert.equal(seven[0].route.paths[0].nh4, '192.0.2.9');
    assert.deepEqual(missing, []);
  });

  test('events are delivered and keepalives answered', async () => {
    await client.connect();
    await client.request(d.want_interface_events, { enable_disable: 1, pid: 4242 });
    const got = once(client, 'event');
    await client.request(d.sw_interface_set_flags, { sw_if_index: 1, flags: 0 });
    const [name, msg] = await got;
    assert.equal(name, 'sw_interface_event');
    assert.deepEqual(msg, { pid: 4242, sw_if_index: 1, flags: 0, deleted: false });
    sim.keepalive();
    for (let i = 0; i < 50 && sim.count('memclnt_keepalive_reply') === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sim.count('memclnt_keepalive_reply'), 1);
  });

  test('per-request timeout', async () => {
    // Requests time out on the client's injected clock, moved here; the handshake keeps its 10 s
    // of real time, so a loaded machine cannot fail it.
    const timeoutMs = 10_000;
    let now = 1_000;
    let clockReads = 0;
    const c = clientFor(sim, path, { timeoutMs, now: () => (clockReads++, now) });
    await c.connect();
    // the next clock read after `from` was a timeout sweep (nothing else reads it while nothing is sent)
    const aSweep = async (what: string) => {
      const from = clockReads;
      await until(what, () => clockReads > from);
    };

    sim.silent.add('ip_route_add_del');
    const sentAt = now;
    let outcome: unknown = 'pending';
    const silent = c.request(d.ip_route_add_del, d.route('10.1.0.0/16')).then(
      (r) => (outcome = r),
      (e) => (outcome = e),
    );
    now = sentAt + timeoutMs - 1;
    await aSweep('a sweep a millisecond before the deadline');
    assert.equal(outcome, 'pending', 'no timeout before timeoutMs');
    now = sentAt + timeoutMs;
    const timedOut = await silent;
    assert.ok(timedOut instanceof VppTimeoutError, `timed out: ${String(timedOut)}`);
    assert.equal(timedOut.messageName, 'ip_route_add_del');
    assert.equal(timedOut.timeoutMs, timeoutMs);
    sim.silent.clear();

    // A reply that comes after the timeout is ignored and the session keeps working: VPP stalls
    // (reads nothing) past the deadline, then answers.
    sim.freeze();
    const late = c.request(d.ip_route_add_del, d.route('10.2.0.0/16'));
    now += timeoutMs;
    await assert.rejects(late, VppTimeoutError);
    const handled = sim.count('ip_route_add_del');
    sim.thaw();
    await until('VPP answers the late request', () => sim.count('ip_route_add_del') > handled);
    const ok = await c.request(d.ip_route_add_del, d.route('10.3.0.0/16'));
    assert.equal(ok.retval, 0);
    assert.equal(c.connected, true);
    await c.close();
  });

  test('reconnect after a dropped connection fails in-flight requests and reports connected', async () => {
    await client.connect();
    const events: string[] = [];
    client.on('disconnected', () => events.push('disconnected'));
    const reconnected = once(client, 'connected');
    sim.holdReplies(); // VPP has the requests; its answers are still on their way when the connection drops
    const inflight = Array.from({ length: 100 }, (_, i) => client.request(d.ip_route_add_del, d.route(`10.9.${i}.0/24`)));
    await until('VPP read the 100 requests', () => sim.count('ip_route_add_del') === 100);
    sim.dropConnections();
    const results = await Promise.allSettled(inflight);
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof VppDisconnectedError));
    assert.match((results[0] as PromiseRejectedResult).reason.message, /ip_route_add_del: VPP session lost/);
    sim.releaseReplies(); // onto the dropped socket: nothing reaches the client
    const [info] = await reconnected;
    assert.equal(info.reconnect, true);
    assert.deepEqual(events, ['disconnected']);
    const r = await client.request(d.ip_route_add_del, d.route('10.10.0.0/16'));
    assert.equal(r.retval, 0);
  });

  test('reconnect after a restart with other message ids re-resolves them', async () => {
    await client.connect();
    await client.request(d.ip_route_add_del, d.route('10.20.0.0/16'));
    const before = client.msgId(d.ip_route_add_del);
    const reconnected = once(client, 'connected');
    sim.restartEmpty(VppSim.shuffledTable(recordedMessageTable(), 101));
    await reconnected;
    assert.notEqual(client.msgId(d.ip_route_add_del), before);
    assert.equal(client.msgId(d.ip_route_add_del), sim.msgId('ip_route_add_del_b8ecfe0d'));
    assert.equal(sim.fib.get(0, '10.20.0.0/16'), undefined);
    const r = await client.request(d.ip_route_add_del, d.route('10.21.0.0/16'));
    assert.equal(r.retval, 0);
    assert.ok(sim.fib.get(0, '10.21.0.0/16'));
  });

  test('CRC mismatch names the message, our CRC and what VPP offers', async () => {
    sim.setCrc('ip_route_add_del', '5a6c1b2e');
    await assert.rejects(client.connect(), (e: any) => {
      assert.ok(e instanceof VppCrcMismatchError);
      assert.match(e.message, /ip_route_add_del: ours b8ecfe0d, VPP offers ip_route_add_del_5a6c1b2e/);
      assert.deepEqual(e.mismatches, [{ name: 'ip_route_add_del', ours: 'b8ecfe0d', offered: ['ip_route_add_del_5a6c1b2e'] }]);
      return true;
    });
    const t = recordedMessageTable();
    t.delete('ip_table_add_del_0ffdaec0');
    sim.restartEmpty(t);
    await assert.rejects(clientFor(sim, path).connect(), /ip_table_add_del: ours 0ffdaec0, VPP offers not offered at all/);
  });

  test('an optional message VPP lacks is reported, not fatal', async () => {
    const t = recordedMessageTable();
    t.delete('want_interface_events_476f5a08');
    sim.restartEmpty(t);
    await client.connect();
    assert.equal(client.has(d.want_interface_events), false);
    assert.equal(client.has(d.ip_route_add_del), true);
    await assert.rejects(client.request(d.want_interface_events, { enable_disable: 1, pid: 1 }), /not offered/);
  });

  test('negative retvals become typed, named errors carrying the request', async () => {
    await client.connect();
    const req = d.route('10.0.0.0/8', '192.0.2.2', 200);
    await assert.rejects(client.request(d.ip_route_add_del, req), (e: any) => {
      assert.ok(e instanceof VppRetvalError);
      assert.equal(e.messageName, 'ip_route_add_del');
      assert.equal(e.retval, -3);
      assert.equal(e.retvalName, 'NO_SUCH_FIB');
      assert.equal(e.request, req);
      assert.equal(e.message, 'ip_route_add_del: VPP returned -3 (NO_SUCH_FIB)');
      return true;
    });
    sim.reject = (name, payload) => (name === 'ip_route_add_del' && payload[37] === 32 ? -54 : undefined);
    await assert.rejects(client.request(d.ip_route_add_del, d.route('1.2.3.4/32')), /-54 \(NO_MATCHING_INTERFACE\)/);
    assert.equal((await client.request(d.ip_route_add_del, d.route('1.2.3.0/24'))).retval, 0);
  });

  test('a value the encoder refuses never reaches the socket', async () => {
    await client.connect();
    const bad = d.route('10.0.0.0/8');
    bad.route.paths[0]!.type = 42;
    await assert.rejects(client.request(d.ip_route_add_del, bad), RangeError);
    assert.equal((await client.request(d.ip_route_add_del, d.route('10.0.0.0/8'))).retval, 0);
    assert.equal(sim.count('ip_route_add_del'), 1);
    assert.equal(sim.fib.get(0, '10.0.0.0/8')!.sources.get(8)![0]!.readUInt32BE(14), 0);
  });

  test('requestCb and requestAck: callbacks instead of promises, same matching and errors', async () => {
    await client.connect();
    const call = (req: any) => new Promise<[Error | null, any]>((res) => client.requestCb(d.ip_route_add_del, req, (e, r) => res([e, r])));
    const [[e1, r1], [e2, r2], [e3]] = await Promise.all([
      call(d.route('10.70.0.0/16')),
      call(d.route('10.71.0.0/16')),
      call(d.route('10.72.0.0/16', '192.0.2.2', 200)),
    ]);
    assert.equal(e1, null);
    assert.equal(e2, null);
    assert.equal(r2.stats_index, r1.stats_index + 1);
    assert.ok(e3 instanceof VppRetvalError && e3.retval === -3);
    const acks = await Promise.all(['10.74.0.0/16', '10.75.0.0/16@200'].map((p) => new Promise<[Error | null, number]>((res) => {
      const [pfx, table] = p.split('@') as [string, string | undefined];
      client.requestAck(d.ip_route_add_del, d.route(pfx, '192.0.2.2', Number(table ?? 0)), (e, ...rest) => res([e, rest.length]));
    })));
    assert.deepEqual(acks[0], [null, 0], 'an ack carries no reply');
    assert.ok(acks[1]![0] instanceof VppRetvalError);
    assert.ok(sim.fib.get(0, '10.74.0.0/16'));
    sim.silent.add('ip_route_add_del');
    const pending = call(d.route('10.73.0.0/16'));
    await new Promise((r) => setTimeout(r, 10));
    sim.dropConnections();
    const [e4] = await pending;
    assert.ok(e4 instanceof VppDisconnectedError);
  });

  test('requestAckTo: a reused object whose nested fields change in place is copied whole when it waits', async () => {
    const c = clientFor(sim, path, { window: 2 });
    await c.connect();
    let left = 8;
    let all!: () => void;
    const done = new Promise<void>((r) => (all = r));
    const errors: (Error | null)[] = [];
    const scratch = d.route('10.70.0.0/16');
    for (let i = 0; i < 8; i++) {
      // the route object itself is rewritten, as a bulk writer with one request object does
      (scratch as any).route.prefix = `10.${70 + i}.0.0/16`;
      c.requestAckTo(d.ip_route_add_del, scratch, i, (_t, err) => {
        errors.push(err);
        if (--left === 0) all();
      });
    }
    await done;
    assert.deepEqual(errors, Array(8).fill(null));
    for (let i = 0; i < 8; i++) assert.ok(sim.fib.get(0, `10.${70 + i}.0.0/16`), `10.${70 + i}.0.0/16`);
    await c.close();
  });

  test('requestAckTo: one callback for all, tokens back, fields reusable even past the window, room', async () => {
    const c = clientFor(sim, path, { window: 4 });
    assert.equal(c.room, 0, 'no room before connecting');
    await c.connect();
    assert.equal(c.room, 4);
    const got = new Map<number, Error | null>();
    let all!: () => void;
    const done = new Promise<void>((r) => (all = r));
    const cb = (token: number, err: Error | null) => {
      got.set(token, err);
      if (got.size === 10) all();
    };
    const scratch = d.route('10.80.0.0/16');
    for (let i = 0; i < 10; i++) {
      // one object, rewritten for every call: requests 5-10 wait for window space as copies
      const fresh = d.route(`10.${80 + i}.0.0/16`, '192.0.2.2', i === 7 ? 200 : 0);
      Object.assign(scratch, fresh);
      c.requestAckTo(d.ip_route_add_del, scratch, 100 + i, cb);
      if (i === 3) assert.equal(c.room, 0);
    }
    await done;
    assert.equal(c.room, 4);
    for (let i = 0; i < 10; i++) {
      if (i === 7) assert.ok(got.get(107) instanceof VppRetvalError);
      else assert.equal(got.get(100 + i), null);
      assert.equal(!!sim.fib.get(0, `10.${80 + i}.0.0/16`), i !== 7, `10.${80 + i}.0.0/16`);
    }
    sim.silent.add('ip_route_add_del');
    const lost = new Promise<[number, Error | null]>((r) => c.requestAckTo(d.ip_route_add_del, d.route('10.99.0.0/16'), 7, (t, e) => r([t, e])));
    await new Promise((r) => setTimeout(r, 10));
    sim.dropConnections();
    const [t, e] = await lost;
    assert.equal(t, 7);
    assert.ok(e instanceof VppDisconnectedError);
    await c.close();
  });

  test('a throwing callback is the caller\'s bug: logged, never a protocol error; the session goes on, also when it throws on disconnect', async () => {
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error(_o: unknown, msg: string) { logged.push(msg); } };
    const c = clientFor(sim, path, { logger: logger as any });
    await c.connect();
    let lost = 0;
    c.on('disconnected', () => lost++);
    await new Promise<void>((res) => c.requestAck(d.ip_route_add_del, d.route('10.61.0.0/16'), () => { setImmediate(res); throw new Error('caller bug'); }));
    assert.equal(c.connected, true);
    assert.equal(lost, 0);
    assert.ok(logged.some((m) => /callback threw/.test(m)), logged.join(' | '));
    assert.equal((await c.request(d.ip_route_add_del, d.route('10.62.0.0/16'))).retval, 0);
    // thrown again from the error path of a lost session: the client reconnects all the same
    sim.silent.add('ip_route_add_del');
    let threw = 0;
    for (let i = 0; i < 3; i++) c.requestAck(d.ip_route_add_del, d.route(`10.6${3 + i}.0.0/16`), () => { threw++; throw new Error('bug on failure'); });
    const back = once(c, 'connected');
    await new Promise((r) => setTimeout(r, 10));
    sim.dropConnections();
    await back;
    assert.equal(threw, 3);
    sim.silent.clear();
    assert.equal((await c.request(d.ip_route_add_del, d.route('10.66.0.0/16'))).retval, 0);
    await c.close();
  });

  test('a VPP that stops answering is reset after consecutive timeouts, and reconnected', async () => {
    // The timeouts come from the injected clock, moved here: with a real 60 ms a loaded machine
    // timed out the handshake or the last request too.
    const timeoutMs = 10_000;
    let now = 0;
    const c = clientFor(sim, path, { timeoutMs, maxTimeouts: 3, now: () => now });
    await c.connect();
    sim.silent.add('ip_route_add_del');
    const lost = once(c, 'disconnected');
    const back = new Promise<void>((res) => c.once('disconnected', () => c.once('connected', () => res())));
    const pending = [0, 1, 2].map((i) => c.request(d.ip_route_add_del, d.route(`10.7${i}.0.0/16`)).then(() => 'ok', (e: Error) => e.name));
    now += timeoutMs;
    const outcomes = await Promise.all(pending);
    assert.deepEqual(outcomes, ['VppTimeoutError', 'VppTimeoutError', 'VppTimeoutError']);
    const [info] = await lost;
    assert.match(info.reason, /stopped answering/);
    await back;
    sim.silent.clear();
    assert.equal((await c.request(d.ip_route_add_del, d.route('10.79.0.0/16'))).retval, 0);
    await c.close();
  });

  test('close() sends sockclnt_delete and later requests fail', async () => {
    await client.connect();
    await client.close();
    assert.equal(sim.count('sockclnt_delete'), 1);
    await assert.rejects(client.request(d.control_ping, {}), VppDisconnectedError);
  });

  test('requests from another client index get no reply (as VPP)', async () => {
    await client.connect();
    // The timeout on the injected clock: a real 100 ms could also time out the handshake.
    let now = 0;
    const other = clientFor(sim, path, { timeoutMs: 10_000, now: () => now });
    await other.connect();
    assert.equal(other.index, 0x80000002);
    (other as any).conn.clientIndex = client.index + 77;
    const pings = sim.count('control_ping');
    const out = sim.bytesOut;
    const unanswered = other.request(d.control_ping, {});
    await until('VPP saw the ping', () => sim.count('control_ping') > pings);
    assert.equal(sim.bytesOut, out, 'no reply written');
    now += 10_000;
    await assert.rejects(unanswered, VppTimeoutError);
    await other.close();
  });
});

describe('VppClient with a misbehaving peer', () => {
  async function fakeVpp(after: (sock: net.Socket) => void): Promise<{ path: string; server: net.Server }> {
    const path = sockPath();
    const server = net.createServer((sock) => {
      sock.once('data', () => {
        sock.write(frame(encodeSockclntCreateReply(0, 0x80000001, recordedMessageTable())));
        sock.once('data', () => after(sock));
      });
    });
    await new Promise<void>((r) => server.listen(path, () => r()));
    return { path, server };
  }

  for (const [what, bytes] of [
    ['an id outside the message table', Buffer.from([0xff, 0xf0, 0, 0, 0, 1, 0, 0, 0, 0])],
    ['a truncated reply', Buffer.from([0x01, 0x8e, 0, 0, 0, 1])],
    ['a reply with the wrong id for its context', Buffer.from([0x00, 0x18, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
  ] as const) {
    test(`${what} resets the session without a crash`, async () => {
      const { path, server } = await fakeVpp((sock) => sock.write(frame(bytes)));
      const logs: string[] = [];
      const log = { debug() {}, info() {}, warn() {}, error: (o: any, m?: string) => logs.push(`${m}: ${o.reason}`) };
      const c = new VppClient({ socketPath: path, messages: d.messages, required: [d.ip_route_add_del], reconnect: false, logger: log });
      await c.connect();
      const lost = once(c, 'disconnected');
      await assert.rejects(c.request(d.ip_route_add_del, d.route('10.0.0.0/8')), (e: any) => e instanceof VppDisconnectedError && /protocol error/.test(e.message));
      await lost;
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /protocol error/);
      await c.close();
      server.close();
    });
  }

  test('a handshake that never comes fails connect()', async () => {
    const path = sockPath();
    const server = net.createServer(() => {});
    await new Promise<void>((r) => server.listen(path, () => r()));
    const c = new VppClient({ socketPath: path, messages: d.messages, timeoutMs: 100, reconnect: false });
    await assert.rejects(c.connect(), /no handshake reply/);
    server.close();
  });

  // the test's own timeout fails a handshake that waits the requests' 10 minutes
  test('the handshake has handshakeTimeoutMs, apart from the requests\' timeoutMs', { timeout: 60_000 }, async () => {
    const path = sockPath();
    const server = net.createServer(() => {});
    await new Promise<void>((r) => server.listen(path, () => r()));
    const c = new VppClient({ socketPath: path, messages: d.messages, timeoutMs: 600_000, handshakeTimeoutMs: 100, reconnect: false });
    await assert.rejects(c.connect(), /no handshake reply from VPP within 100 ms/);
    server.close();
    for (const handshakeTimeoutMs of [0, 0.5, -1, NaN, Infinity, 2 ** 31]) {
      assert.throws(() => new VppClient({ socketPath: path, messages: d.messages, handshakeTimeoutMs }), RangeError, String(handshakeTimeoutMs));
    }
    for (const handshakeTimeoutMs of [1, 2 ** 31 - 1]) new VppClient({ socketPath: path, messages: d.messages, handshakeTimeoutMs });
  });
});
