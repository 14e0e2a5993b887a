// The reconciler against a fake VPP port: translation, coalescing, resync, adoption, VPP
// reconnects, errors and retries, backpressure, nexthop-group changes, shutdown.
import { test } from 'node:test';
import { VppRetvalError } from 'vpp-binapi-ts';
import assert from 'node:assert/strict';
import type { Reconciler, ReconcilerOptions } from '../../src/sync/reconciler.js';
import { pathsKey } from '../../src/sync/vpp/vpp-fields.js';
import type { VppRouteSpec } from '../../src/sync/vpp/vpp-port.js';
import { FakePort, BulkFakePort } from '../helpers/fake-port.js';
import { parsePrefix } from '../../src/route/prefix.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Nexthop, RouteEvent } from '../../src/route/types.js';
import { add, bothPorts as both, del, groupChange, groupUnusable, idleOn, nexthop as nh, path, pathsOf as pk, reconciler, written } from '../helpers/builders.js';

function make(port: FakePort, o: Partial<ReconcilerOptions> = {}) {
  return reconciler(port, { resyncGraceMs: 60, deleteHoldMs: 20, retryMinMs: 10, ...o });
}

async function settle(r: Reconciler): Promise<void> {
  await r.idle();
}

both('every kind of route reaches VPP with the right table and paths', async (port) => {
  const r = make(port, { tableMap: new Map([[200, 7]]) });
  await r.start();
  r.sessionStart(1);
  const events: RouteEvent[] = [
    add('10.1.0.0/16', [nh('10.0.2.2')]), // recursive: ifindex 3 is not mapped
    add('10.2.0.0/16', [nh('10.0.2.2', 2)]), // attached: ifindex 2 is sw 5
    add('10.3.0.0/16', [nh(null, 2)]), // interface-only, mapped
    add('10.4.0.0/16', [nh(null, 9)]), // interface-only, unmapped: not installed
    add('10.5.0.0/16', [nh('10.0.2.2', 3, 3), nh('10.0.3.3', 3, 1)]), // weighted ECMP
    add('10.6.0.0/16', [nh('10.0.2.2', 3, 1, [100, 200])]), // labels
    add('10.7.0.0/16', [], { type: 'blackhole' }),
    add('10.8.0.0/16', [], { type: 'unreachable' }),
    add('10.9.0.0/16', [], { type: 'prohibit' }),
    add('2001:db8::/32', [nh('fe80::1', 2)]),
    add('10.10.0.0/16', [nh('10.0.2.2')], { table: 100 }),
    add('10.11.0.0/16', [nh('10.0.2.2')], { table: 200 }),
    add('192.0.2.0/24', [nh(null, 2)], { protocol: 'kernel' }), // connected: skipped
    add('0.0.0.0/0', [nh('192.0.2.1', 2)], { protocol: 'kernel' }), // kernel route with a gateway: installed
  ];
  r.apply(1, events);
  await settle(r);
  assert.deepEqual(Object.fromEntries([...port.fib].sort()), Object.fromEntries([
    ['0|10.1.0.0/16', pk({ gateway: '10.0.2.2' })],
    ['0|10.2.0.0/16', pk({ gateway: '10.0.2.2', swIfIndex: 5 })],
    ['0|10.3.0.0/16', pk({ swIfIndex: 5 })],
    ['0|10.5.0.0/16', pk({ gateway: '10.0.2.2', weight: 3 }, { gateway: '10.0.3.3' })],
    ['0|10.6.0.0/16', pk({ gateway: '10.0.2.2', labels: [100, 200] })],
    ['0|10.7.0.0/16', pk({ kind: 'drop' })],
    ['0|10.8.0.0/16', pk({ kind: 'icmp-unreach' })],
    ['0|10.9.0.0/16', pk({ kind: 'icmp-prohibit' })],
    ['0|2001:db8::/32', pk({ gateway: 'fe80::1', swIfIndex: 5, proto: 6 })],
    ['100|10.10.0.0/16', pk({ gateway: '10.0.2.2' })],
    ['7|10.11.0.0/16', pk({ gateway: '10.0.2.2' })],
    ['0|0.0.0.0/0', pk({ gateway: '192.0.2.1', swIfIndex: 5 })],
  ].sort()));
  assert.deepEqual(port.tables.sort(), ['4|100', '4|7']);
  const s = r.state();
  assert.equal(s.counters.skipped['unmappable-nexthop'], 1);
  assert.equal(s.counters.skipped.connected, 1);
  assert.equal(s.installed, 12);
  assert.equal(s.desired, 12);
  assert.ok(s.pathSets <= 12);
});

both('--install-connected installs connected routes on their interface', async (port) => {
  const r = make(port, { installConnected: true });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('192.0.2.0/24', [nh(null, 2)], { protocol: 'kernel' })]);
  await settle(r);
  assert.equal(port.fib.get('0|192.0.2.0/24'), pk({ swIfIndex: 5 }));
});

both('a change sent as delete + add (even in two reads) is one replacing write, never a delete', async (port) => {
  // a hold no stall of this machine outlasts: the test is about coalescing, not the timer
  const r = make(port, { deleteHoldMs: 600_000 });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')])]);
  await settle(r);
  port.ops.length = 0;
  r.apply(1, [del('10.1.0.0/16')]);
  await new Promise((res) => setImmediate(res));
  await new Promise((res) => setImmediate(res));
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.9.9')])]);
  // and in one read
  r.apply(1, [del('10.1.0.0/16'), add('10.1.0.0/16', [nh('10.0.8.8')])]);
  await settle(r);
  assert.equal(port.count('remove'), 0);
  assert.equal(port.fib.get('0|10.1.0.0/16'), pk({ gateway: '10.0.8.8' }));
  assert.ok(port.count('replace') >= 1 && port.count('replace') <= 2);
  await r.stop(); // its delete-hold timer must not keep the test process alive
});

both('add then delete before programming writes nothing; a re-add of the same paths writes nothing', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')]), del('10.1.0.0/16')]);
  await settle(r);
  assert.equal(port.ops.length, 0);
  r.apply(1, [add('10.2.0.0/16', [nh('10.0.2.2')])]);
  await settle(r);
  r.apply(1, [del('10.2.0.0/16'), add('10.2.0.0/16', [nh('10.0.2.2')])]);
  await settle(r);
  assert.deepEqual(port.ops.map((o) => o.op), ['replace']);
  assert.equal(r.state().routes, 1, 'the deleted route left no entry behind');
});

both('zebra reconnect: an unchanged replay writes nothing; what is not replayed is swept; untouched tables are kept', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  const table = [10, 20, 40, 50].map((i) => add(`10.${i}.0.0/16`, [nh('10.0.2.2')])).concat(add('10.3.0.0/16', [nh('10.0.2.2')], { table: 100 }));
  r.apply(1, table);
  await settle(r);
  assert.equal(port.fib.size, 5);
  port.ops.length = 0;
  r.sessionEnd(1, 'cut');
  r.sessionStart(2);
  assert.equal(r.state().resyncing, true);
  r.apply(2, [table[0]!, table[2]!, table[3]!]); // 10.20/16 is gone from zebra (zebra's walk went past it); table 100 is not replayed
  await settle(r);
  assert.deepEqual(port.ops, [{ op: 'remove', key: '0|10.20.0.0/16' }]);
  assert.deepEqual([...port.fib.keys()].sort(), ['0|10.10.0.0/16', '0|10.40.0.0/16', '0|10.50.0.0/16', '100|10.3.0.0/16']);
  const last = r.state().lastResync!;
  assert.equal(last.refreshed, 3);
  assert.equal(last.swept, 1);
  assert.equal(last.kept, 1);
  assert.equal(last.writes, 0, 'the replay itself wrote nothing');
});

both('deletes zebra sends during its replay apply at once; a session that ends mid-replay sweeps nothing', async (port) => {
  const clock = new FakeClock();
  const r = make(port, { resyncGraceMs: 200, clock });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')]), add('10.2.0.0/16', [nh('10.0.2.2')])]);
  clock.advance(200);
  await settle(r);
  r.sessionStart(2);
  r.apply(2, [del('10.1.0.0/16')]);
  clock.advance(20); // the delete hold
  await written(r, port);
  assert.equal(port.fib.has('0|10.1.0.0/16'), false, 'deleted before the grace ended');
  r.sessionEnd(2, 'cut');
  clock.advance(250);
  await written(r, port);
  assert.equal(port.fib.has('0|10.2.0.0/16'), true, 'not swept by an aborted replay');
});

both('fibmgr start adopts VPP routes of our source: no writes for what zebra confirms, the rest swept', async (port) => {
  const spec = (prefix: string, gw: string): VppRouteSpec => ({ family: 4, table: 0, prefix: parsePrefix(prefix), paths: [path({ gateway: gw })] });
  port.installed = [spec('10.1.0.0/16', '10.0.2.2'), spec('10.2.0.0/16', '10.0.2.2'), spec('10.3.0.0/16', '10.0.2.2')];
  for (const s of port.installed) port.fib.set(`0|${s.prefix}`, pathsKey(s.paths));
  const clock = new FakeClock(); // the routes zebra does not confirm wait for the stale time (minutes)
  const r = make(port, { clock });
  await r.start();
  assert.equal(r.state().installed, 3);
  await written(r, port);
  assert.equal(port.ops.length, 0, 'nothing written before zebra speaks');
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')]), add('10.2.0.0/16', [nh('10.0.7.7')])]);
  await idleOn(r, clock);
  assert.deepEqual(port.ops, [{ op: 'replace', key: '0|10.2.0.0/16', paths: pk({ gateway: '10.0.7.7' }) }, { op: 'remove', key: '0|10.3.0.0/16' }]);
});

both('VPP restart: everything is replayed into the empty VPP; a reconnect to a VPP that kept our routes writes only the difference', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')]), add('10.2.0.0/16', [nh('10.0.2.2')], { table: 100 })]);
  await settle(r);
  port.disconnect();
  r.apply(1, [add('10.3.0.0/16', [nh('10.0.2.2')])]); // arrives while VPP is away
  await new Promise((res) => setImmediate(res)); // the writer's turn: it must wait for VPP
  port.fib.clear();
  port.ops.length = 0;
  port.tables.length = 0;
  port.installed = [];
  port.connected = true;
  port.reconnect();
  await settle(r);
  assert.deepEqual([...port.fib.keys()].sort(), ['0|10.1.0.0/16', '0|10.3.0.0/16', '100|10.2.0.0/16']);
  assert.deepEqual(port.tables, ['4|100'], 'tables re-created');
  // socket lost, VPP kept everything
  port.ops.length = 0;
  port.installed = [...port.fib].map(([k]) => {
    const [t, p] = k.split('|');
    return { family: 4, table: Number(t), prefix: parsePrefix(p!), paths: [path({ gateway: '10.0.2.2' })] } as VppRouteSpec;
  });
  port.reconnect();
  await settle(r);
  assert.equal(port.ops.length, 0);
});

both('a VPP error on one route is retried with backoff and never blocks the others', async (port) => {
  let failures = 3;
  port.failWith = (op) => (op.key === '0|10.1.0.0/16' && failures-- > 0 ? new VppRetvalError('ip_route_add_del_v2', -7, null) : null);
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')]), add('10.2.0.0/16', [nh('10.0.2.2')])]);
  // the fake port completes on setImmediate: turn the loop until it has (no clock involved)
  while (!port.fib.has('0|10.2.0.0/16')) await new Promise((res) => setImmediate(res));
  assert.ok(port.count('replace') >= 2, 'the other route went in while the first waits for its retry');
  assert.equal(port.fib.has('0|10.1.0.0/16'), false);
  await settle(r);
  assert.equal(port.fib.has('0|10.1.0.0/16'), true, 'retried until VPP took it');
  const s = r.state();
  assert.equal(s.counters.errors, 3);
  assert.equal(s.counters.retries, 3);
  assert.equal(s.lastErrors[0]!.route, '0 10.1.0.0/16');
});

both('backpressure: past maxBacklog the sink is congested until the backlog drains; nothing is dropped', async (port) => {
  port.hold = true;
  const r = make(port, { maxBacklog: 100, window: 50 });
  await r.start();
  r.sessionStart(1);
  const events: RouteEvent[] = [];
  for (let i = 0; i < 300; i++) events.push(add(`10.${i >> 8}.${i & 255}.0/24`, [nh('10.0.2.2')]));
  r.apply(1, events);
  assert.equal(r.congested, true);
  let drained = 0;
  r.onDrain(() => drained++);
  await new Promise((res) => setImmediate(res));
  assert.equal(port.inflight, 50, 'window respected');
  port.hold = false;
  while (port.release() > 0) await new Promise((res) => setImmediate(res));
  await settle(r);
  assert.equal(drained, 1);
  assert.equal(r.congested, false);
  assert.equal(port.fib.size, 300);
});

both('a nexthop group that changes re-resolves the routes that use it', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [
    add('10.1.0.0/16', [nh('10.0.2.2')], { nhg: 7 }),
    add('10.2.0.0/16', [nh('10.0.2.2')], { nhg: 7 }),
    add('10.3.0.0/16', [nh('10.0.2.2')], { nhg: 8 }),
  ]);
  await settle(r);
  r.apply(1, [groupChange(7, [nh('10.0.5.5'), nh('10.0.6.6')])]);
  await settle(r);
  assert.equal(port.fib.get('0|10.1.0.0/16'), pk({ gateway: '10.0.5.5' }, { gateway: '10.0.6.6' }));
  assert.equal(port.fib.get('0|10.2.0.0/16'), pk({ gateway: '10.0.5.5' }, { gateway: '10.0.6.6' }));
  assert.equal(port.fib.get('0|10.3.0.0/16'), pk({ gateway: '10.0.2.2' }));
  assert.equal(r.state().counters.nhgReresolved, 2);
});

both('stop leaves routes in VPP; stop with flush removes ours', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')]), add('10.2.0.0/16', [nh('10.0.2.2')])]);
  await settle(r);
  await r.stop();
  assert.equal(port.fib.size, 2);
  const port2 = new FakePort();
  const r2 = make(port2);
  await r2.start();
  r2.sessionStart(1);
  r2.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')])]);
  await settle(r2);
  await r2.stop({ flush: true });
  assert.equal(port2.fib.size, 0);
});

test('bulk writes stop at the port\'s room and go on as it frees up; each pump flushes', async () => {
  const port = new BulkFakePort();
  port.capacity = 3;
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  const events: RouteEvent[] = [];
  for (let i = 0; i < 40; i++) events.push(add(i % 2 ? `2001:db8:${i}::/48` : `10.9.${i}.0/24`, [nh('10.0.2.2')]));
  r.apply(1, events);
  await settle(r);
  assert.equal(port.fib.size, 40);
  assert.equal(port.fib.get('0|10.9.4.0/24'), pk({ gateway: '10.0.2.2' }));
  assert.equal(port.fib.get('0|2001:db8:5::/48'), pk({ gateway: '10.0.2.2' }));
  assert.equal(port.maxInflight, 3);
  assert.ok(port.flushes >= 40 / 3, `${port.flushes} flushes`);
});

// --- odd input (issue 13) ------------------------------------------------------------------------

both('a route whose newest message is unusable leaves VPP; later routes go on', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')])]);
  await settle(r);
  assert.ok(port.fib.has('0|10.1.0.0/16'));
  r.apply(1, [
    { kind: 'error', offset: 0, reason: 'unsupported next-hop encapsulation type 100', what: 'unsupported-encap',
      route: { family: 4, table: 254, prefix: parsePrefix('10.1.0.0/16'), op: 'add', protocol: 'bgp', type: 'unicast' } },
    add('10.2.0.0/16', [nh('10.0.2.2')]),
  ]);
  await settle(r);
  assert.deepEqual([...port.fib.keys()], ['0|10.2.0.0/16']);
  assert.equal(r.state().counters.skipped['unusable-message'], 1);
});

both('a delete-then-add flapping while VPP is away keeps the add queue at the number of routes', async (port) => {
  const r = make(port, { deleteHoldMs: 1_000_000 });
  await r.start();
  r.sessionStart(1);
  port.disconnect();
  for (let i = 0; i < 200_000; i++) {
    r.apply(1, [del('10.1.0.0/16'), add('10.1.0.0/16', [nh('10.0.2.2', 3, 1 + (i & 1))])]);
  }
  const slots = (r as unknown as { writer: { queueSlots: number } }).writer.queueSlots;
  assert.ok(slots < 2048, `add queue holds ${slots} slots for one route`);
  assert.equal(r.state().backlog, 1);
  port.connected = true;
  port.reconnect();
  await settle(r);
  assert.deepEqual([...port.fib.keys()], ['0|10.1.0.0/16']);
  await r.stop(); // its delete-hold timer must not keep the test process alive
});

both('a path set freed at refcount 0 is not reused from the cache: an unchanged replay writes nothing', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  const group = Object.freeze([nh('10.0.2.2')]) as Nexthop[];
  r.apply(1, [add('10.1.0.0/16', group, { nhg: 5 })]);
  await settle(r);
  r.apply(1, [del('10.1.0.0/16')]);
  await settle(r);
  assert.equal(r.state().pathSets, 0);
  // the same next-hop array again (zebra's group 5 still stands), then a replay of it
  r.apply(1, [add('10.1.0.0/16', group, { nhg: 5 })]);
  await settle(r);
  assert.equal(r.state().pathSets, 1);
  const writes = port.ops.length;
  r.apply(1, [add('10.1.0.0/16', [nh('10.0.2.2')])]);
  await settle(r);
  assert.equal(port.ops.length, writes, 'the replay rewrote an unchanged route');
});

both('a changed group re-resolves its own routes only; an unusable group takes its routes out', async (port) => {
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  const a = Object.freeze([nh('10.0.2.2')]) as Nexthop[];
  const b = Object.freeze([nh('10.0.3.3')]) as Nexthop[];
  const evs: RouteEvent[] = [];
  for (let i = 0; i < 50; i++) evs.push(add(`10.1.${i}.0/24`, a, { nhg: 1 }), add(`10.2.${i}.0/24`, b, { nhg: 2 }));
  r.apply(1, evs);
  await settle(r);
  const writes = port.ops.length;
  r.apply(1, [groupChange(1, [nh('10.0.9.9')])]);
  await settle(r);
  assert.equal(r.state().counters.nhgReresolved, 50);
  assert.equal(port.ops.length - writes, 50);
  assert.equal(port.fib.get('0|10.1.7.0/24'), pk({ gateway: '10.0.9.9' }));
  assert.equal(port.fib.get('0|10.2.7.0/24'), pk({ gateway: '10.0.3.3' }));
  r.apply(1, [groupUnusable(2)]);
  await settle(r);
  assert.equal([...port.fib.keys()].filter((k) => k.startsWith('0|10.2.')).length, 0);
  assert.equal([...port.fib.keys()].filter((k) => k.startsWith('0|10.1.')).length, 50);
});

both('backlog made by a group change pauses FPM reading too', async (port) => {
  const r = make(port, { maxBacklog: 20 });
  await r.start();
  r.sessionStart(1);
  const a = Object.freeze([nh('10.0.2.2')]) as Nexthop[];
  for (let i = 0; i < 15; i++) r.apply(1, [add(`10.1.${i}.0/24`, a, { nhg: 1 })]);
  for (let i = 0; i < 15; i++) r.apply(1, [add(`10.2.${i}.0/24`, a, { nhg: 3 })]);
  await settle(r);
  port.hold = true;
  r.apply(1, [groupChange(1, [nh('10.0.9.9')]),
    groupChange(3, [nh('10.0.8.8')])]);
  const drained = new Promise<void>((res) => r.onDrain(res));
  await new Promise((res) => setImmediate(res));
  await new Promise((res) => setImmediate(res));
  assert.equal(r.congested, true, `backlog ${r.state().backlog}`);
  port.hold = false;
  while (port.release() > 0 || r.congested) await new Promise((res) => setImmediate(res));
  await drained;
  await settle(r);
});

// --- the stale rule (issue 14), on scripted timelines with a fake clock: no sleeps ---------------


const GRACE = 3000;
function timeline(port: FakePort, staleTimeMs = 120_000) {
  const clock = new FakeClock();
  const r = make(port, { clock, resyncGraceMs: GRACE, staleTimeMs, deleteHoldMs: 0 });
  const kernel = add('0.0.0.0/0', [nh('192.0.2.1')], { protocol: 'kernel' });
  const stat = (i: number) => add(`10.1.${i}.0/24`, [nh('10.0.2.2')], { protocol: 'static' });
  const bgp = (i: number) => add(`10.${100 + (i >> 8)}.${i & 255}.0/24`, [nh('10.0.3.3')], { protocol: 'bgp' });
  /** A session whose replay is sent and has gone quiet, with its writes acknowledged. */
  const replay = async (session: number, events: RouteEvent[]) => {
    r.sessionStart(session);
    r.apply(session, events);
    clock.advance(GRACE);
    await written(r, port);
  };
  return { clock, r, kernel, stat, bgp, replay };
}

both('zebra restarts, staticd back after 6 s: no static route is ever removed', async (port) => {
  const { clock, r, kernel, stat, replay } = timeline(port);
  await r.start();
  await replay(1, [kernel, stat(1), stat(2)]);
  assert.equal(r.state().resyncing, false);
  r.sessionEnd(1, 'zebra killed');
  await replay(2, [kernel]); // zebra's own routes only
  const st = r.state().stale!;
  assert.equal(st.phase, 'stale-wait');
  assert.equal(st.held, 2);
  assert.deepEqual(st.missing, ['static ipv4 table 0']);
  clock.advance(3000); // staticd re-sends at t = 6 s
  r.apply(2, [stat(1), stat(2)]);
  clock.advance(0);
  await written(r, port);
  assert.equal(r.state().resyncing, false, 'every stale route confirmed: the wait is over');
  assert.equal(port.count('remove'), 0);
  assert.deepEqual([...port.fib.keys()].sort(), ['0|0.0.0.0/0', '0|10.1.1.0/24', '0|10.1.2.0/24']);
});

both('zebra restarts under BGP: routes back over tens of seconds with quiet gaps stay; one never back goes at the stale time', async (port) => {
  const { clock, r, kernel, stat, bgp, replay } = timeline(port);
  await r.start();
  r.sessionStart(1);
  const all = Array.from({ length: 400 }, (_, i) => bgp(i));
  r.apply(1, [kernel, stat(1), ...all, bgp(999)]);
  clock.advance(GRACE);
  await written(r, port);
  r.sessionStart(2);
  r.apply(2, [kernel]);
  clock.advance(GRACE);
  r.apply(2, [stat(1)]);
  // bgpd relearns in bursts of 100, 8 s of quiet between them (longer than the grace)
  for (let b = 0; b < 4; b++) {
    clock.advance(8000);
    r.apply(2, all.slice(b * 100, b * 100 + 100));
    await written(r, port);
    assert.equal(port.count('remove'), 0, `burst ${b}: nothing removed while BGP relearns`);
    assert.equal(r.state().stale!.phase, 'stale-wait');
  }
  assert.equal(r.state().stale!.held, 1);
  const deadline = Date.parse(r.state().stale!.until);
  assert.equal(deadline, 3000 + 120_000, 'the stale time counts from the session start');
  clock.advance(deadline - clock.t - 1);
  await written(r, port);
  assert.ok(port.fib.has(`0|${bgp(999).prefix}`), 'still there a moment before the stale time ends');
  clock.advance(1);
  await written(r, port);
  assert.equal(port.fib.has(`0|${bgp(999).prefix}`), false);
  assert.equal(port.count('remove'), 1);
  assert.equal(r.state().resyncing, false);
  assert.equal(r.state().lastResync!.swept, 1);
});

both('a plain reconnect still sweeps a route deleted while away at the quiet period', async (port) => {
  const { clock, r, kernel, stat, replay } = timeline(port);
  await r.start();
  await replay(1, [kernel, stat(1), stat(2), stat(3)]);
  r.sessionStart(2);
  r.apply(2, [kernel, stat(2), stat(3)]); // stat(1) was deleted while the FPM connection was down
  clock.advance(GRACE - 1);
  await written(r, port);
  assert.ok(port.fib.has('0|10.1.1.0/24'));
  clock.advance(1);
  await written(r, port);
  assert.equal(port.fib.has('0|10.1.1.0/24'), false);
  assert.equal(r.state().resyncing, false);
});

both('fibmgr restart: adopted routes zebra re-sends are kept without a write; the others wait for the stale time, whatever the replay holds', async (port) => {
  const spec = (prefix: string) => ({ family: 4 as const, table: 0, prefix: parsePrefix(prefix), paths: [path({ gateway: '10.0.2.2' })] });
  port.installed = [spec('10.1.1.0/24'), spec('10.1.2.0/24'), spec('10.9.0.0/16')];
  port.fib.set('0|10.1.1.0/24', pk({ gateway: '10.0.2.2' }));
  port.fib.set('0|10.1.2.0/24', pk({ gateway: '10.0.2.2' }));
  port.fib.set('0|10.9.0.0/16', pk({ gateway: '10.0.2.2' }));
  const { clock, r, kernel, stat, replay } = timeline(port, 60_000);
  await r.start();
  await replay(1, [kernel, stat(1), stat(2)]);
  // adopted routes have no protocol: the replay cannot show them complete
  assert.equal(r.state().stale!.phase, 'stale-wait');
  assert.deepEqual(r.state().stale!.missing, ['(adopted from VPP) ipv4 table 0']);
  assert.equal(r.state().stale!.held, 1);
  assert.equal(port.count('remove'), 0);
  assert.equal(port.count('replace'), 1, 'adopted routes zebra confirmed are not rewritten');
  clock.advance(60_000 - GRACE);
  await written(r, port);
  assert.deepEqual([...port.fib.keys()].sort(), ['0|0.0.0.0/0', '0|10.1.1.0/24', '0|10.1.2.0/24']);
  assert.equal(r.state().resyncing, false);
});

both('a reconnect during the stale wait keeps its deadline; fibmgr sweep ends a wait at once', async (port) => {
  const { clock, r, kernel, stat, replay } = timeline(port, 60_000);
  await r.start();
  await replay(1, [kernel, stat(1), stat(2), stat(3)]);
  r.sessionStart(2); // zebra restarted
  r.apply(2, [kernel]);
  clock.advance(GRACE);
  const until1 = r.state().stale!.until;
  clock.advance(10_000);
  r.apply(2, [stat(1)]); // staticd is back, with one of its three routes
  clock.advance(20_000);
  r.sessionEnd(2, 'flap');
  r.sessionStart(3); // zebra reconnects, mid-wait: it replays what it has
  r.apply(3, [kernel, stat(1)]);
  clock.advance(GRACE);
  assert.equal(r.state().stale!.until, until1, 'reconnecting does not stretch the wait');
  assert.equal(r.state().stale!.held, 2);
  clock.advance(Date.parse(until1) - clock.t);
  await written(r, port);
  assert.equal(port.count('remove'), 2);
  // the operator's sweep
  r.sessionStart(4);
  r.apply(4, [kernel, stat(1)]);
  r.sessionStart(5);
  r.apply(5, [kernel]);
  clock.advance(GRACE);
  assert.equal(r.state().stale!.phase, 'stale-wait');
  assert.deepEqual(r.sweepNow(), { swept: 1, kept: 0 });
  await written(r, port);
  assert.equal(port.fib.has('0|10.1.1.0/24'), false);
  assert.equal(r.state().resyncing, false);
  assert.equal(r.sweepNow(), null);
});

/** A session with a window of 64 on a port that holds its completions, and 200 routes to apply. */
async function heldWindowOf64(): Promise<{ port: FakePort; r: Reconciler; events: RouteEvent[] }> {
  const port = new FakePort();
  port.hold = true;
  const r = make(port, { window: 64 });
  await r.start();
  r.sessionStart(1);
  const events: RouteEvent[] = [];
  for (let i = 0; i < 200; i++) events.push(add(`10.${i >> 8}.${i & 255}.0/24`, [nh('10.0.2.2')]));
  return { port, r, events };
}

test('a pump that fills the window hands each batch (a 16th of it) to the socket as soon as it is encoded', async () => {
  const { port, r, events } = await heldWindowOf64();
  const ops0 = port.ops.length;
  const flushes0 = port.flushedAt.length;
  r.apply(1, events);
  await new Promise((res) => setImmediate(res));
  assert.equal(port.inflight, 64, 'the window filled in one pump');
  // VPP's socket holds a few milliseconds of its work: 16 flushes of 4, not one of 64 at the end
  assert.deepEqual(port.flushedAt.slice(flushes0).map((n) => n - ops0), [4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64]);
  while (port.release() > 0) await new Promise((res) => setImmediate(res));
  await settle(r);
  assert.equal(port.fib.size, 200);
});

test('with writes in flight, a pump waits for a 16th of the window to be free and sends them together', async () => {
  const { port, r, events } = await heldWindowOf64();
  r.apply(1, events);
  const turn = () => new Promise((res) => setImmediate(res));
  await turn();
  assert.equal(port.inflight, 64, 'the window filled');
  const flushes = port.flushes;
  port.release(1);
  await turn();
  port.release(2);
  await turn();
  assert.equal(port.inflight, 61, 'three free slots of 64: no write yet');
  assert.equal(port.flushes, flushes);
  port.release(1);
  await turn();
  assert.equal(port.inflight, 64, 'four free (64 / 16): all four sent');
  assert.equal(port.flushes, flushes + 1, 'in one flush');
  while (port.release() > 0) await turn();
  await settle(r);
  assert.equal(port.fib.size, 200);
});
