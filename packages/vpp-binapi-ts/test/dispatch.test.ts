// One dispatch core under every way to ask (client/dispatcher.ts, in-flight.ts; the handlers in
// client/api/): requests of every kind interleaved in one window, some waiting for room, each
// outcome — reply, details, refusal, the session's loss — reaches the handler its request was
// dispatched with, and a bulk stream's tokens the callback they were sent with.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient, isDisconnected, isRetvalError } from '../src/index.js';
import { VppSim } from '../src/sim/index.js';
import * as d from './client-defs.js';

let n = 0;

async function connected(t: TestContext, window: number): Promise<{ sim: VppSim; c: VppClient }> {
  const socketPath = join(tmpdir(), `vbt-dispatch-${process.pid}-${n++}.sock`);
  const sim = await new VppSim({ socketPath, interfaces: [{ swIfIndex: 1, name: 'loop0', flags: 3, mac: '02:fe:00:00:00:01', mtu: 9000 }] }).start();
  const c = new VppClient({
    socketPath, messages: d.messages, window, reconnect: false,
    required: [d.ip_route_add_del, d.ip_table_add_del, d.ip_route_dump], optional: [d.show_version],
  });
  t.after(async () => {
    await c.close();
    await sim.stop();
  });
  await c.connect();
  return { sim, c };
}

/** The outcome of each token, per callback. */
function tokenSink() {
  const got = new Map<number, Error | null>();
  return { got, cb: (token: number, err: Error | null) => void got.set(token, err) };
}

test('every kind of request interleaved in a window of 3: each outcome reaches its own handler, in order of need', async (t) => {
  const { sim, c } = await connected(t, 3);
  await c.request(d.ip_route_add_del, d.route('10.1.0.0/16'));
  await c.request(d.ip_route_add_del, d.route('10.2.0.0/16'));
  const a = tokenSink();
  const b = tokenSink();
  const acks: (Error | null)[] = [];
  const ack = (err: Error | null) => void acks.push(err);
  const scratch = d.route('10.10.0.0/16');
  const token = (sink: ReturnType<typeof tokenSink>, i: number, table = 0) => {
    Object.assign(scratch, d.route(`10.${10 + i}.0.0/16`, '192.0.2.2', table));
    c.requestAckTo(d.ip_route_add_del, scratch, i, sink.cb);
  };
  let cbReply: [Error | null, any] | undefined;
  const version = c.request(d.show_version, {});
  token(a, 0);
  const all = c.dump(d.ip_route_dump, { table: { table_id: 0, is_ip6: false } });
  token(b, 1);
  c.requestAck(d.ip_route_add_del, d.route('10.30.0.0/16'), ack);
  token(a, 2, 200); // no table 200: refused
  const eachSeen: string[] = [];
  const each = c.dumpEach(d.ip_route_dump, { table: { table_id: 0, is_ip6: false } }, (x: any) => void eachSeen.push(x.route.prefix));
  c.requestCb(d.ip_route_add_del, d.route('10.31.0.0/16'), (err, reply) => void (cbReply = [err, reply]));
  token(b, 3);
  c.requestAck(d.ip_route_add_del, d.route('10.32.0.0/16', '192.0.2.2', 200), ack);
  let rawBytes = 0;
  const raw = c.dumpRaw(d.ip_route_dump, { table: { table_id: 0, is_ip6: false } }, (_buf, s, e) => void (rawBytes += e - s));
  assert.ok(c.pending.queued > 0, 'some wait for window space');

  assert.match((await version).version, /^26\.10/);
  const dumped = await all;
  const counted = await each;
  const rawCount = await raw;
  assert.deepEqual(c.pending, { inflight: 0, queued: 0 });
  assert.deepEqual([...a.got.keys()].sort(), [0, 2], 'callback a gets its own tokens only');
  assert.deepEqual([...b.got.keys()].sort(), [1, 3], 'callback b gets its own tokens only');
  assert.equal(a.got.get(0), null);
  const refused = a.got.get(2);
  assert.ok(isRetvalError(refused) && refused.retvalName === 'NO_SUCH_FIB', String(refused));
  assert.equal(b.got.get(1), null);
  assert.equal(b.got.get(3), null);
  assert.equal(acks.length, 2);
  assert.equal(acks[0], null);
  assert.ok(isRetvalError(acks[1]));
  assert.equal(cbReply![0], null);
  assert.equal(cbReply![1].retval, 0);
  // each dump saw VPP as it was when its turn came, in order
  const prefixes = (x: any[]) => x.map((r) => r.route.prefix).sort();
  assert.ok(prefixes(dumped).includes('10.10.0.0/16'));
  assert.ok(prefixes(dumped).length <= eachSeen.length && eachSeen.length <= rawCount, `${dumped.length} ${eachSeen.length} ${rawCount}`);
  assert.equal(counted, eachSeen.length, 'dumpEach resolves with the details it handed over');
  assert.ok(rawBytes > 0);
  assert.equal(rawCount, sim.fib.table(false, 0)!.entries.size, 'the last dump saw every route');
});

test('the session lost mid-window: every handler hears it once, with its token, in flight and queued alike', async (t) => {
  const { sim, c } = await connected(t, 2);
  sim.silent.add('ip_route_add_del');
  const a = tokenSink();
  const scratch = d.route('10.40.0.0/16');
  for (let i = 0; i < 5; i++) {
    Object.assign(scratch, d.route(`10.${40 + i}.0.0/16`));
    c.requestAckTo(d.ip_route_add_del, scratch, 40 + i, a.cb);
  }
  const dump = c.dump(d.ip_route_dump, { table: { table_id: 0, is_ip6: false } });
  const req = c.request(d.ip_route_add_del, d.route('10.50.0.0/16'));
  assert.deepEqual(c.pending, { inflight: 2, queued: 5 });
  const lost = new Promise<void>((r) => c.once('disconnected', () => r()));
  sim.dropConnections();
  await lost;
  assert.deepEqual([...a.got.keys()], [40, 41, 42, 43, 44], 'each token once, in order');
  for (const err of a.got.values()) assert.ok(isDisconnected(err));
  await assert.rejects(dump, (e) => isDisconnected(e));
  await assert.rejects(req, (e) => isDisconnected(e));
  assert.deepEqual(c.pending, { inflight: 0, queued: 0 });
});
