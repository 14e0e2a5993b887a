// Route notifications from the reconciler's side: what zebra is told about each route it sent,
// and when — installed only once VPP acknowledged the version zebra last sent, failed while VPP
// refuses it, the final word for routes fibmgr leaves to VPP or cannot use; nothing lost when the
// way back is full. No clock: each step waits for the reconciler to go idle or for a report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakePort } from '../helpers/fake-port.js';
import type { ErrorEvent } from '../../src/route/types.js';
import { parsePrefix } from '../../src/route/prefix.js';
import { bothPorts as both, nexthop as nh, reconciler, RecordingReporter as Reporter, routesWith } from '../helpers/builders.js';

// zebra's static routes carry rtm_protocol 196: notifications echo it
const { add, del } = routesWith({ protocolId: 196 });

/** The reconciler through a resync to idle, with a reporter on session 1. */
async function setup(port: FakePort) {
  const r = reconciler(port, { resyncGraceMs: 20, deleteHoldMs: 5, retryMinMs: 5, retryMaxMs: 20 });
  await r.start();
  r.sessionStart(1);
  const rep = new Reporter();
  r.attachReporter(1, rep);
  return { r, rep };
}

both('installed is reported once VPP acknowledged the write, with zebra\'s table, protocol and type echoed', async (port) => {
  const { r, rep } = await setup(port);
  port.hold = true;
  r.apply(1, [
    add('8.8.8.8/32', [nh('10.0.2.2')]),
    add('2001:db8:100::/48', [nh('2001:db8:2::2')], { table: 1000, protocol: 'bgp', protocolId: 186 }),
    add('192.0.2.0/24', [], { type: 'blackhole' }),
  ]);
  await new Promise((res) => setImmediate(res));
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(rep.got, [], 'nothing is reported before VPP answers');
  port.hold = false;
  port.release();
  await rep.until(3);
  await r.idle();
  assert.deepEqual(rep.got.sort(), [
    'offload 1000 2001:db8:100::/48 p186 unicast',
    'offload 254 192.0.2.0/24 p196 blackhole',
    'offload 254 8.8.8.8/32 p196 unicast',
  ]);
  assert.deepEqual(r.state().counters.notified, { offload: 3, failed: 0 });
});

both('an unchanged replay reports every route at once, with no write', async (port) => {
  const { r, rep } = await setup(port);
  r.apply(1, [add('8.8.8.8/32', [nh('10.0.2.2')]), add('9.9.9.0/24', [nh('10.0.2.3')])]);
  await rep.until(2);
  await r.idle();
  const writes = port.ops.length;
  r.sessionStart(2);
  const rep2 = new Reporter();
  r.attachReporter(2, rep2);
  r.apply(2, [add('8.8.8.8/32', [nh('10.0.2.2')]), add('9.9.9.0/24', [nh('10.0.2.3')])]);
  await rep2.until(2);
  assert.equal(port.ops.length, writes, 'no write');
  assert.deepEqual(rep2.got.sort(), ['offload 254 8.8.8.8/32 p196 unicast', 'offload 254 9.9.9.0/24 p196 unicast']);
  assert.equal(rep.got.length, 2, 'the old session hears nothing more');
});

both('a route VPP refuses is reported failed once, however often it is retried, then installed once VPP takes it', async (port) => {
  const { r, rep } = await setup(port);
  let refusals = 0;
  port.failWith = (op) => (op.key === '0|8.8.8.8/32' && refusals++ < 3 ? new Error('VPP says no') : null);
  r.apply(1, [add('8.8.8.8/32', [nh('10.0.2.2')])]);
  await rep.until(2);
  await r.idle();
  assert.equal(refusals, 4, 'three refusals, then accepted');
  assert.deepEqual(rep.got, ['failed 254 8.8.8.8/32 p196 unicast', 'offload 254 8.8.8.8/32 p196 unicast']);
});

both('routes left to VPP are reported installed; routes that cannot be installed or used are reported failed', async (port) => {
  const { r, rep } = await setup(port);
  const unusable: ErrorEvent = {
    kind: 'error', offset: 0, what: 'unsupported-encap', reason: 'VXLAN',
    route: { family: 4, table: 254, prefix: parsePrefix('10.9.0.0/16'), op: 'add', protocol: 'bgp', protocolId: 186, type: 'unicast' },
  };
  r.apply(1, [
    add('10.0.2.0/24', [nh(null, 3)], { protocol: 'kernel', protocolId: 2 }), // connected
    add('10.0.2.1/32', [nh(null, 3)], { protocol: 'kernel', protocolId: 2 }), // local (FRR 10)
    add('203.0.113.0/24', [nh(null, 9)]), // interface-only, interface not mapped
    unusable,
  ]);
  await rep.until(4);
  await r.idle();
  assert.deepEqual(rep.got.sort(), [
    'failed 254 10.9.0.0/16 p186 unicast',
    'failed 254 203.0.113.0/24 p196 unicast',
    'offload 254 10.0.2.0/24 p2 unicast',
    'offload 254 10.0.2.1/32 p2 unicast',
  ]);
  assert.equal(port.ops.length, 0, 'none of them was written');
  assert.equal(r.state().routes, 1, 'reported routes that want nothing leave the table, but the unmappable one: it waits for the next interface map');
});

both('never an older version: a write overtaken by zebra\'s next version is not reported; a deleted route is not either', async (port) => {
  const { r, rep } = await setup(port);
  port.hold = true;
  r.apply(1, [add('8.8.8.8/32', [nh('10.0.2.2')]), add('9.9.9.9/32', [nh('10.0.2.2')])]);
  await new Promise((res) => setImmediate(res));
  await new Promise((res) => setImmediate(res));
  // version 2 of 8.8.8.8 and the deletion of 9.9.9.9 arrive while version 1 is being written
  r.apply(1, [add('8.8.8.8/32', [nh('10.0.2.3')]), del('9.9.9.9/32')]);
  assert.equal(port.release(), 2);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(rep.got, [], 'version 1 acknowledged: zebra is not told (it sent version 2)');
  port.hold = false;
  port.release();
  await r.idle();
  await rep.until(1);
  assert.deepEqual(rep.got, ['offload 254 8.8.8.8/32 p196 unicast']);
  assert.equal(port.fib.get('0|8.8.8.8/32')?.includes('10.0.2.3'), true);
});

both('a full way back loses nothing: reports wait for room', async (port) => {
  const { r, rep } = await setup(port);
  rep.full = true;
  const n = 500;
  r.apply(1, Array.from({ length: n }, (_, i) => add(`10.${i >> 8}.${i & 255}.0/24`, [nh('10.0.2.2')])));
  await r.idle();
  assert.equal(rep.got.length, 0);
  rep.open();
  await rep.until(n);
  assert.equal(new Set(rep.got).size, n);
});

both('routes that came before the session was known to read notifications are reported when it is', async (port) => {
  const r = reconciler(port, { resyncGraceMs: 20, deleteHoldMs: 5 });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('8.8.8.8/32', [nh('10.0.2.2')])]);
  await r.idle();
  const rep = new Reporter();
  r.attachReporter(2, rep); // not this session's
  r.attachReporter(1, rep);
  await rep.until(1);
  assert.deepEqual(rep.got, ['offload 254 8.8.8.8/32 p196 unicast']);
});

both('a route zebra re-sends while its answer waits for room is queued once: the queue does not grow with the re-sends', async (port) => {
  const { r, rep } = await setup(port);
  r.apply(1, [add('8.8.8.8/32', [nh('10.0.2.2')])]);
  await rep.until(1);
  rep.full = true;
  const resend = add('8.8.8.8/32', [nh('10.0.2.2')]);
  for (let i = 0; i < 100; i++) r.apply(1, [resend]);
  await r.idle();
  // the queue is internal: its size is what the way back would owe
  assert.equal((r as unknown as { notes: { size: number } }).notes.size, 1);
  rep.open();
  await rep.until(2);
  await r.idle();
  assert.deepEqual(rep.got, ['offload 254 8.8.8.8/32 p196 unicast', 'offload 254 8.8.8.8/32 p196 unicast']);
});
