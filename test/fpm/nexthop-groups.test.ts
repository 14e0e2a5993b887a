// Nexthop objects: resolution, lazy routes, replacement and its ripple to parent groups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netlinkFrame, nexthopMsg, routeMsg } from './build.js';
import { decodeAll, plain } from './decode-all.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import type { ErrorEvent, NexthopGroupEvent, RouteEvent, RouteEventRoute } from '../../src/route/types.js';
import { nexthop as nh } from '../helpers/builders.js';

const summary = (events: RouteEvent[]): string[] => events.map((e) => {
  if (e.kind === 'route') return `${e.op} ${e.prefix}${e.op === 'add' ? ` ${e.type} ${JSON.stringify(e.nexthops.map((n) => [n.gateway ?? n.ifindex, n.weight]))}` : ''}`;
  if (e.kind === 'nexthop-group') return `nhg ${e.op} ${e.id}${e.replaced ? ' replaced' : ''}${e.resolved ? ` ${e.resolved.length}` : ' unresolved'}`;
  if (e.kind === 'lsp') return `lsp ${e.op} ${e.label}`;
  return `${e.kind} ${'reason' in e ? e.reason : e.what}`;
});

test('a route naming a group gets the group\'s next hops with member weights (NHA_GROUP is weight − 1)', () => {
  const { events } = decodeAll(netlinkFrame(
    nexthopMsg({ id: 1, gateway: '10.0.2.2', oif: 3 }), nexthopMsg({ id: 2, gateway: '10.0.3.4', oif: 5 }),
    nexthopMsg({ id: 10, group: [{ id: 1, weight: 3 }, { id: 2, weight: 1 }] }),
    routeMsg({ prefix: '8.8.8.8/32', nhId: 10, metric: 20 }),
  ));
  const r = events[3] as RouteEventRoute;
  assert.equal(r.nhg, 10);
  assert.deepEqual(plain(r.nexthops), [nh('10.0.2.2', 3, 3), nh('10.0.3.4', 5, 1)]);
  const g = plain(events[2]) as NexthopGroupEvent;
  assert.deepEqual(g, {
    kind: 'nexthop-group', op: 'add', id: 10, group: [{ id: 1, weight: 3 }, { id: 2, weight: 1 }],
    resolved: [nh('10.0.2.2', 3, 3), nh('10.0.3.4', 5, 1)],
  });
  assert.deepEqual(plain(events[0]), { kind: 'nexthop-group', op: 'add', id: 1, nexthop: nh('10.0.2.2', 3), resolved: [nh('10.0.2.2', 3)] });
});

test('routes of one group share one frozen next-hop array', () => {
  const { events } = decodeAll(netlinkFrame(
    nexthopMsg({ id: 1, gateway: '10.0.2.2', oif: 3 }),
    routeMsg({ prefix: '1.0.0.0/24', nhId: 1 }), routeMsg({ prefix: '1.0.1.0/24', nhId: 1 }),
  ));
  const [a, b] = events.slice(1) as RouteEventRoute[];
  assert.equal(a.nexthops, b.nexthops);
  assert.ok(Object.isFrozen(a.nexthops) && Object.isFrozen(a.nexthops[0]));
});

test('a route whose group is unknown waits for it and comes out right after the group', () => {
  const { events, decoder } = decodeAll(Buffer.concat([
    netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', nhId: 10 })),
    netlinkFrame(routeMsg({ prefix: '9.9.9.9/32', nhId: 2 })),
    netlinkFrame(nexthopMsg({ id: 10, group: [{ id: 1 }, { id: 2 }] })),
    netlinkFrame(nexthopMsg({ id: 1, gateway: '10.0.2.2', oif: 3 })),
    netlinkFrame(nexthopMsg({ id: 2, gateway: '10.0.3.4', oif: 5 })),
  ]));
  // Group 10 is unresolved until its last member arrives; that is no change to any route, so no
  // second event for 10 — the waiting route is released instead.
  assert.deepEqual(summary(events), [
    'nhg add 10 unresolved', 'nhg add 1 1', 'nhg add 2 1',
    'add 9.9.9.9/32 unicast [["10.0.3.4",1]]',
    'add 8.8.8.8/32 unicast [["10.0.2.2",1],["10.0.3.4",1]]',
  ]);
  assert.equal(decoder.pendingRoutes, 0);
  assert.equal(decoder.stats.errors, 0);
});

test('a deletion of a waiting route drops it; a newer add supersedes it', () => {
  const d = new FpmSessionDecoder();
  assert.deepEqual(d.push(netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', nhId: 10 }), routeMsg({ prefix: '9.9.9.9/32', nhId: 10 }))), []);
  assert.equal(d.pendingRoutes, 2);
  assert.deepEqual(summary(d.push(netlinkFrame(routeMsg({ op: 'del', prefix: '8.8.8.8/32' })))), ['del 8.8.8.8/32']);
  assert.deepEqual(summary(d.push(netlinkFrame(routeMsg({ prefix: '9.9.9.9/32', gateway: '10.0.2.9' })))), ['add 9.9.9.9/32 unicast [["10.0.2.9",1]]']);
  assert.equal(d.pendingRoutes, 0);
  assert.deepEqual(summary(d.push(netlinkFrame(nexthopMsg({ id: 10, oif: 3 })))), ['nhg add 10 1']);
  assert.deepEqual(d.end(), []);
});

test('the same prefix in another table is another route while waiting', () => {
  const d = new FpmSessionDecoder();
  d.push(netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', nhId: 10 }), routeMsg({ prefix: '8.8.8.8/32', nhId: 10, tableAttr: 100 })));
  assert.equal(d.pendingRoutes, 2);
  const out = d.push(netlinkFrame(nexthopMsg({ id: 10, oif: 3 })));
  assert.deepEqual(out.filter((e) => e.kind === 'route').map((e) => (e as RouteEventRoute).table), [254, 100]);
});

test('redefining a member re-resolves the groups that contain it, marked replaced', () => {
  const d = new FpmSessionDecoder();
  d.push(netlinkFrame(
    nexthopMsg({ id: 1, gateway: '10.0.2.2', oif: 3 }), nexthopMsg({ id: 2, gateway: '10.0.3.4', oif: 5 }),
    nexthopMsg({ id: 10, group: [{ id: 1 }, { id: 2, weight: 2 }] }),
  ));
  const out = d.push(netlinkFrame(nexthopMsg({ id: 2, gateway: '10.0.3.9', oif: 5 })));
  assert.deepEqual(summary(out), ['nhg add 2 replaced 1', 'nhg add 10 replaced 2']);
  assert.deepEqual(plain((out[1] as NexthopGroupEvent).resolved), [nh('10.0.2.2', 3, 1), nh('10.0.3.9', 5, 2)]);
  const r = d.push(netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', nhId: 10 })))[0] as RouteEventRoute;
  assert.deepEqual(plain(r.nexthops), [nh('10.0.2.2', 3), nh('10.0.3.9', 5, 2)]);
});

test('redefining a group with other members changes it; its old members no longer ripple into it', () => {
  const d = new FpmSessionDecoder();
  d.push(netlinkFrame(nexthopMsg({ id: 1, oif: 3 }), nexthopMsg({ id: 2, oif: 5 }), nexthopMsg({ id: 10, group: [{ id: 1 }] })));
  assert.deepEqual(summary(d.push(netlinkFrame(nexthopMsg({ id: 10, group: [{ id: 2 }] })))), ['nhg add 10 replaced 1']);
  assert.deepEqual(summary(d.push(netlinkFrame(nexthopMsg({ id: 1, oif: 7 })))), ['nhg add 1 replaced 1']);
});

test('deleting a member takes it out of its groups, as the kernel does', () => {
  const d = new FpmSessionDecoder();
  d.push(netlinkFrame(nexthopMsg({ id: 1, oif: 3 }), nexthopMsg({ id: 2, oif: 5 }), nexthopMsg({ id: 10, group: [{ id: 1 }, { id: 2 }] })));
  const out = d.push(netlinkFrame(nexthopMsg({ op: 'del', id: 1 })));
  assert.deepEqual(summary(out), ['nhg del 1 unresolved', 'nhg add 10 replaced 1']);
  assert.deepEqual(plain((out[1] as NexthopGroupEvent).group), [{ id: 2, weight: 1 }]);
  // Deleting an unknown id is harmless.
  assert.deepEqual(summary(d.push(netlinkFrame(nexthopMsg({ op: 'del', id: 99 })))), ['nhg del 99 unresolved']);
});

test('a blackhole nexthop object makes a unicast route a blackhole route', () => {
  const { events } = decodeAll(netlinkFrame(nexthopMsg({ id: 31, blackhole: true }), routeMsg({ prefix: '192.0.2.0/24', nhId: 31 })));
  assert.deepEqual(summary(events), ['nhg add 31 0', 'add 192.0.2.0/24 blackhole []']);
  assert.equal((events[0] as NexthopGroupEvent).blackhole, true);
});

test('a deletion naming a group needs no group', () => {
  const { events } = decodeAll(netlinkFrame(routeMsg({ op: 'del', prefix: '8.8.8.8/32', nhId: 77 })));
  assert.deepEqual(summary(events), ['del 8.8.8.8/32']);
});

test('waiting routes are bounded: one over maxPendingRoutes is an error event', () => {
  const d = new FpmSessionDecoder({ maxPendingRoutes: 3 });
  const out = d.push(netlinkFrame(...[1, 2, 3, 4].map((i) => routeMsg({ prefix: `10.0.${i}.0/24`, nhId: 5 }))));
  assert.equal(out.length, 1);
  assert.equal(out[0].kind, 'error');
  assert.match((out[0] as { reason: string }).reason, /more than 3 routes wait/);
  assert.equal(d.pendingRoutes, 3);
});

test('nexthop ids are bounded too', () => {
  const d = new FpmSessionDecoder({ maxNexthopGroups: 2 });
  const out = d.push(netlinkFrame(nexthopMsg({ id: 1, oif: 3 }), nexthopMsg({ id: 2, oif: 3 }), nexthopMsg({ id: 3, oif: 3 }), nexthopMsg({ id: 2, oif: 4 })));
  assert.deepEqual(summary(out).map((s) => s.replace(/:.*/, '')), ['nhg add 1 1', 'nhg add 2 1', 'error nexthop 3', 'nhg add 2 replaced 1']);
});

test('end of stream: routes still waiting are reported, one error each', () => {
  const { events, decoder } = decodeAll(netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', nhId: 10 })));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'error');
  assert.match((events[0] as { reason: string }).reason, /8\.8\.8\.8\/32 table 254 waits for nexthop group 10/);
  assert.equal((events[0] as { offset: number }).offset, 4);
  assert.equal(decoder.stats.errors, 1);
});

test('a group of groups is unusable (the kernel\'s groups hold single next hops): its routes are errors naming them; a cycle ends', () => {
  const d = new FpmSessionDecoder();
  const out = d.push(netlinkFrame(
    nexthopMsg({ id: 1, oif: 3 }), nexthopMsg({ id: 10, group: [{ id: 1, weight: 2 }] }), nexthopMsg({ id: 20, group: [{ id: 10, weight: 3 }] }),
    routeMsg({ prefix: '8.8.8.8/32', nhId: 20 }), routeMsg({ prefix: '9.9.9.9/32', nhId: 10 }),
  ));
  const err = out.find((e) => e.kind === 'error') as ErrorEvent;
  assert.equal(err.what, 'group-unusable');
  assert.match(err.reason, /lists group 10/);
  assert.deepEqual({ ...err.route, prefix: String(err.route?.prefix) }, { family: 4, table: 254, prefix: '8.8.8.8/32', op: 'add', protocol: 'static', protocolId: 196, type: 'unicast' });
  assert.deepEqual(summary(out).slice(-1), ['add 9.9.9.9/32 unicast [[3,2]]']);
  // a route waiting for a group that then turns out nested gives up with an error too
  const late = d.push(netlinkFrame(routeMsg({ prefix: '7.7.7.7/32', nhId: 30 }), nexthopMsg({ id: 30, group: [{ id: 10 }] })));
  assert.equal((late.find((e) => e.kind === 'error') as ErrorEvent).route?.prefix.toString(), '7.7.7.7/32');
  assert.equal(d.pendingRoutes, 0);
  const cyc = d.push(netlinkFrame(nexthopMsg({ id: 1, group: [{ id: 20 }] })));
  assert.ok(cyc.length >= 1 && cyc.length <= 4, summary(cyc).join(' | '));
  assert.equal(d.fatal, null);
});

test('seven levels of groups of eight (a 2.8 KB stream that once reached 16.7M next hops) stay small', () => {
  const d = new FpmSessionDecoder();
  const msgs = [];
  for (let i = 1; i <= 8; i++) msgs.push(nexthopMsg({ id: i, gateway: `10.0.0.${i}`, oif: 3 }));
  for (let level = 1; level <= 7; level++) {
    for (let j = 0; j < 8; j++) msgs.push(nexthopMsg({ id: level * 100 + j, group: [0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({ id: level === 1 ? k + 1 : (level - 1) * 100 + k })) }));
  }
  msgs.push(routeMsg({ prefix: '8.8.8.8/32', nhId: 700 }), routeMsg({ prefix: '9.9.9.9/32', nhId: 100 }));
  const out = d.push(netlinkFrame(...msgs));
  const routes = out.filter((e) => e.kind === 'route') as RouteEventRoute[];
  assert.deepEqual(routes.map((r) => [String(r.prefix), r.nexthops.length]), [['9.9.9.9/32', 8]]);
  const errors = out.filter((e) => e.kind === 'error') as ErrorEvent[];
  assert.deepEqual(errors.map((e) => [String(e.route?.prefix), e.what]), [['8.8.8.8/32', 'group-unusable']]);
  for (const e of out) if (e.kind === 'nexthop-group') assert.ok((e.resolved?.length ?? 0) <= 8);
});

test('a group of more than 255 members is unusable; routes naming it are errors, not held', () => {
  const d = new FpmSessionDecoder();
  const members = Array.from({ length: 256 }, (_, k) => ({ id: k + 1 }));
  const out = d.push(netlinkFrame(nexthopMsg({ id: 1000, group: members }), routeMsg({ prefix: '8.8.8.8/32', nhId: 1000 })));
  assert.deepEqual(out.filter((e) => e.kind === 'error').map((e) => (e as ErrorEvent).what), ['group-too-large', 'group-unusable']);
  assert.equal(d.pendingRoutes, 0);
});

test('group member references are bounded: a group past the limit is an error, the table stays usable', () => {
  const d = new FpmSessionDecoder({ maxGroupLinks: 10 });
  const out = d.push(netlinkFrame(
    nexthopMsg({ id: 100, group: Array.from({ length: 8 }, (_, k) => ({ id: k + 1 })) }),
    nexthopMsg({ id: 101, group: Array.from({ length: 8 }, (_, k) => ({ id: k + 1 })) }),
    nexthopMsg({ id: 1, oif: 3 }),
  ));
  assert.deepEqual(out.filter((e) => e.kind === 'error').map((e) => (e as ErrorEvent).what), ['too-many-groups']);
  assert.equal(d.fatal, null);
});
