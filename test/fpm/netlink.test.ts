// Hand-built netlink frames: every attribute and route type the decoder knows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RTM_NEWLINK, RTM_NEWNEIGH, fpmFrame, mplsEncap, netlinkFrame, nexthopMsg, nlmsg, routeBody, routeMsg, rta, u32le,
} from './build.js';
import { decodeAll, plain } from './decode-all.js';
import type { RouteEvent, RouteEventRoute } from '../../src/route/types.js';
import { nexthop as nh, route } from '../helpers/builders.js';

function one(frame: Buffer, weights: 'auto' | 'kernel' | 'legacy' = 'auto'): RouteEvent {
  const { events, decoder } = decodeAll(frame, { weights });
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(decoder.stats.errors, 0, JSON.stringify(events));
  return plain(events[0]) as RouteEvent;
}

test('IPv4 unicast route: destination, gateway, oif, priority, protocol, table', () => {
  const e = one(netlinkFrame(routeMsg({ prefix: '10.1.2.0/24', gateway: '10.0.2.2', oif: 3, metric: 20, protocol: 186 })));
  assert.deepEqual(e, plain(route({ prefix: '10.1.2.0/24', via: [nh('10.0.2.2', 3)], protocol: 'bgp', protocolId: 186, metric: 20 })));
});

test('IPv6 route with gateway only; canonical IPv6 text', () => {
  const e = one(netlinkFrame(routeMsg({ prefix: '2001:db8:0:0:1:0:0:0/80', gateway: '2001:db8:2:0:0:0:0:2' }))) as RouteEventRoute;
  assert.equal(e.family, 6);
  assert.equal(e.prefix, '2001:db8:0:0:1::/80');
  assert.deepEqual(e.nexthops, [nh('2001:db8:2::2', null)]);
});

test('interface-only route (connected): gateway null', () => {
  const e = one(netlinkFrame(routeMsg({ prefix: '10.0.3.0/24', oif: 5, protocol: 2 }))) as RouteEventRoute;
  assert.equal(e.protocol, 'kernel');
  assert.deepEqual(e.nexthops, [nh(null, 5)]);
});

test('no RTA_DST is the default route; an RTA_DST for /0 too', () => {
  assert.equal((one(netlinkFrame(routeMsg({ prefix: '0.0.0.0/0', gateway: '10.0.2.2' }))) as RouteEventRoute).prefix, '0.0.0.0/0');
  assert.equal((one(netlinkFrame(routeMsg({ prefix: '::/0', gateway: 'fe80::1', oif: 3 }))) as RouteEventRoute).prefix, '::/0');
  assert.equal((one(netlinkFrame(routeMsg({ prefix: '0.0.0.0/0', dstAlways: true, gateway: '10.0.2.2' }))) as RouteEventRoute).prefix, '0.0.0.0/0');
});

test('host bits beyond the prefix length are cleared', () => {
  const body = routeBody({ prefix: '10.1.2.0/24', gateway: '10.0.2.2' });
  body[12 + 4 + 3] = 77; // RTA_DST's last byte
  assert.equal((one(netlinkFrame(nlmsg(24, body))) as RouteEventRoute).prefix, '10.1.2.0/24');
  const b6 = routeBody({ prefix: '2001:db8::/33', gateway: '2001:db8::1' });
  b6[12 + 4 + 4] = 0xff;
  assert.equal((one(netlinkFrame(nlmsg(24, b6))) as RouteEventRoute).prefix, '2001:db8:8000::/33');
});

test('RTA_TABLE wins over rtm_table; rtm_table alone when absent', () => {
  assert.equal((one(netlinkFrame(routeMsg({ prefix: '10.100.0.0/16', gateway: '10.0.2.2', rtmTable: 252, tableAttr: 100 }))) as RouteEventRoute).table, 100);
  assert.equal((one(netlinkFrame(routeMsg({ prefix: '10.100.0.0/16', gateway: '10.0.2.2', rtmTable: 252, tableAttr: 1000000 }))) as RouteEventRoute).table, 1000000);
  assert.equal((one(netlinkFrame(routeMsg({ prefix: '10.100.0.0/16', gateway: '10.0.2.2', rtmTable: 100 }))) as RouteEventRoute).table, 100);
});

test('route types: blackhole, unreachable, prohibit have no next hops; unknown type is skipped', () => {
  for (const [t, name] of [[6, 'blackhole'], [7, 'unreachable'], [8, 'prohibit']] as const) {
    const e = one(netlinkFrame(routeMsg({ prefix: '192.0.2.0/24', type: t, oif: 3 }))) as RouteEventRoute;
    assert.equal(e.type, name);
    assert.deepEqual(e.nexthops, []);
  }
  assert.deepEqual(one(netlinkFrame(routeMsg({ prefix: '192.0.2.1/32', type: 2, oif: 3 }))), { kind: 'skipped', what: 'RTM_NEWROUTE rtm_type 2' });
});

test('deletion: type unspec, no next hops, protocol and metric kept', () => {
  const e = one(netlinkFrame(routeMsg({ op: 'del', prefix: '8.8.8.8/32', metric: 20, gateway: '10.0.2.2' })));
  assert.deepEqual(e, plain(route({ op: 'del', prefix: '8.8.8.8/32', protocolId: 196, metric: 20 })));
});

test('protocol names: FRR values and the kernel ones; unnamed numbers print as numbers', () => {
  const names: Record<number, string> = { 2: 'kernel', 11: 'zebra', 186: 'bgp', 187: 'isis', 188: 'ospf', 189: 'rip', 196: 'static', 197: 'openfabric', 42: 'babel', 250: '250' };
  for (const [p, name] of Object.entries(names)) {
    assert.equal((one(netlinkFrame(routeMsg({ prefix: '10.0.0.0/8', gateway: '10.0.2.2', protocol: +p })), 'kernel') as RouteEventRoute).protocol, name);
  }
});

test('RTA_MULTIPATH: per-path gateway and ifindex, weights in kernel convention (hops + 1)', () => {
  const f = netlinkFrame(routeMsg({
    prefix: '8.8.8.8/32', multipath: [{ gateway: '10.0.2.2', ifindex: 3, hops: 0 }, { gateway: '10.0.2.3', ifindex: 3, hops: 4 }, { ifindex: 5, hops: 255 }],
  }));
  assert.deepEqual((one(f, 'kernel') as RouteEventRoute).nexthops, [nh('10.0.2.2', 3, 1), nh('10.0.2.3', 3, 5), nh(null, 5, 256)]);
  // auto: protocol 196 (static) is dplane_fpm_nl's
  assert.deepEqual((one(f, 'auto') as RouteEventRoute).nexthops, [nh('10.0.2.2', 3, 1), nh('10.0.2.3', 3, 5), nh(null, 5, 256)]);
});

test('RTA_MULTIPATH in legacy convention: hops is the weight, 0 meaning 1', () => {
  const f = netlinkFrame(routeMsg({
    prefix: '8.8.8.8/32', protocol: 11, multipath: [{ gateway: '10.0.2.2', ifindex: 3, hops: 0 }, { gateway: '10.0.2.3', ifindex: 3, hops: 4 }],
  }));
  assert.deepEqual((one(f, 'legacy') as RouteEventRoute).nexthops, [nh('10.0.2.2', 3, 1), nh('10.0.2.3', 3, 4)]);
  assert.deepEqual((one(f, 'auto') as RouteEventRoute).nexthops, [nh('10.0.2.2', 3, 1), nh('10.0.2.3', 3, 4)]);
  assert.deepEqual((one(f, 'kernel') as RouteEventRoute).nexthops, [nh('10.0.2.2', 3, 1), nh('10.0.2.3', 3, 5)]);
});

test('auto mode: kernel evidence (a nexthop message, RTA_NH_ID, a per-daemon protocol) outranks protocol 11', () => {
  const legacyRoute = routeMsg({ prefix: '8.8.8.8/32', protocol: 11, multipath: [{ gateway: '10.0.2.2', ifindex: 3, hops: 2 }] });
  const weightOf = (...frames: Buffer[]): number => {
    const ev = decodeAll(Buffer.concat(frames)).events.filter((e): e is RouteEventRoute => e.kind === 'route' && String(e.prefix) === '8.8.8.8/32');
    return ev[ev.length - 1].nexthops[0].weight;
  };
  assert.equal(weightOf(netlinkFrame(legacyRoute)), 2);
  assert.equal(weightOf(netlinkFrame(nexthopMsg({ id: 1, oif: 3 })), netlinkFrame(legacyRoute)), 3);
  assert.equal(weightOf(netlinkFrame(routeMsg({ prefix: '1.0.0.0/8', protocol: 188, gateway: '10.0.2.2' })), netlinkFrame(legacyRoute)), 3);
  assert.equal(weightOf(netlinkFrame(legacyRoute), netlinkFrame(routeMsg({ prefix: '1.0.0.0/8', protocol: 186, gateway: '10.0.2.2' })), netlinkFrame(legacyRoute)), 3);
  // protocol 2 (kernel/connected) proves nothing: no evidence → kernel convention
  assert.equal(weightOf(netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', protocol: 2, multipath: [{ gateway: '10.0.2.2', ifindex: 3, hops: 2 }] }))), 3);
});

test('MPLS labels on a single-path route, on multipath paths and on a nexthop object', () => {
  assert.deepEqual((one(netlinkFrame(routeMsg({ prefix: '10.9.0.0/16', gateway: '10.0.2.2', oif: 3, labels: [16, 1048575] }))) as RouteEventRoute).nexthops,
    [nh('10.0.2.2', 3, 1, [16, 1048575])]);
  assert.deepEqual((one(netlinkFrame(routeMsg({ prefix: '10.9.0.0/16', multipath: [{ gateway: '10.0.2.2', ifindex: 3, labels: [100] }, { gateway: '10.0.3.4', ifindex: 5, labels: [200, 300] }] }))) as RouteEventRoute).nexthops,
    [nh('10.0.2.2', 3, 1, [100]), nh('10.0.3.4', 5, 1, [200, 300])]);
  const { events } = decodeAll(netlinkFrame(nexthopMsg({ id: 7, gateway: '10.0.2.2', oif: 3, labels: [42, 43] }), routeMsg({ prefix: '10.9.0.0/16', nhId: 7 })));
  assert.deepEqual((plain(events[1]) as RouteEventRoute).nexthops, [nh('10.0.2.2', 3, 1, [42, 43])]);
});

test('an encapsulation other than MPLS is an error for that message', () => {
  const encap = Buffer.concat([rta(21, Buffer.from([5, 0])), rta(22, rta(1, u32le(1)))]);
  const { events } = decodeAll(netlinkFrame(routeMsg({ prefix: '10.9.0.0/16', gateway: '10.0.2.2', extra: [encap] })));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'error');
  assert.match((events[0] as { reason: string }).reason, /encapsulation type 5/);
});

test('RTA_VIA: an IPv4 route through an IPv6 next hop', () => {
  assert.deepEqual((one(netlinkFrame(routeMsg({ prefix: '10.9.0.0/16', via: 'fe80::1', oif: 3 }))) as RouteEventRoute).nexthops, [nh('fe80::1', 3)]);
  assert.deepEqual((one(netlinkFrame(routeMsg({ prefix: '10.9.0.0/16', multipath: [{ via: '2001:db8::2', ifindex: 3 }] }))) as RouteEventRoute).nexthops, [nh('2001:db8::2', 3)]);
});

test('unknown attributes are ignored; flag bits on attribute types are masked', () => {
  const e = one(netlinkFrame(routeMsg({ prefix: '10.9.0.0/16', gateway: '10.0.2.2', extra: [rta(7, Buffer.from([10, 0, 2, 1])), rta(8 | 0x8000, rta(2, u32le(1500))), rta(200, Buffer.alloc(3))] })));
  assert.equal((e as RouteEventRoute).prefix, '10.9.0.0/16');
});

test('several messages in one frame, in order; several frames in one chunk', () => {
  const frame = netlinkFrame(
    routeMsg({ op: 'del', prefix: '8.8.8.8/32' }),
    routeMsg({ prefix: '8.8.8.8/32', gateway: '10.0.2.2' }),
    routeMsg({ prefix: '2001:db8::/32', gateway: '2001:db8::1' }),
  );
  const { events, decoder } = decodeAll(Buffer.concat([frame, frame]));
  assert.deepEqual(events.map((e) => (e.kind === 'route' ? `${e.op} ${e.prefix}` : e.kind)),
    ['del 8.8.8.8/32', 'add 8.8.8.8/32', 'add 2001:db8::/32', 'del 8.8.8.8/32', 'add 8.8.8.8/32', 'add 2001:db8::/32']);
  assert.equal(decoder.stats.frames, 2);
  assert.equal(decoder.stats.routes, 6);
});

test('a stream split at every byte boundary decodes the same', () => {
  const stream = Buffer.concat([
    netlinkFrame(nexthopMsg({ id: 1, gateway: '10.0.2.2', oif: 3 }), nexthopMsg({ id: 2, gateway: '10.0.3.4', oif: 5 })),
    netlinkFrame(nexthopMsg({ id: 3, group: [{ id: 1, weight: 2 }, { id: 2 }] })),
    netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', nhId: 3 }), routeMsg({ prefix: '9.9.9.0/24', multipath: [{ gateway: '10.0.2.2', ifindex: 3, hops: 1, labels: [5] }] })),
    fpmFrame(1, Buffer.alloc(0)),
    netlinkFrame(routeMsg({ op: 'del', prefix: '8.8.8.8/32' })),
  ]);
  const whole = decodeAll(stream).events.map(plain);
  assert.equal(whole.length, 6);
  for (let a = 1; a < stream.length; a++) {
    assert.deepEqual(decodeAll(stream, {}, [a]).events.map(plain), whole, `cut at ${a}`);
  }
  const every = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(decodeAll(stream, {}, every).events.map(plain), whole);
});

test('other message kinds are counted by kind and skipped', () => {
  const bridgeRoute = routeBody({ prefix: '10.0.0.0/8', gateway: '10.0.2.2' });
  bridgeRoute[0] = 7; // AF_BRIDGE
  const { events, decoder } = decodeAll(netlinkFrame(
    nlmsg(RTM_NEWNEIGH, Buffer.alloc(12)), nlmsg(RTM_NEWNEIGH, Buffer.alloc(12)), nlmsg(RTM_NEWLINK, Buffer.alloc(16)),
    nlmsg(24, bridgeRoute), nlmsg(3, Buffer.alloc(4)), nlmsg(999, Buffer.alloc(0)),
  ));
  assert.deepEqual(events, [
    { kind: 'skipped', what: 'RTM_NEWNEIGH' }, { kind: 'skipped', what: 'RTM_NEWNEIGH' }, { kind: 'skipped', what: 'RTM_NEWLINK' },
    { kind: 'skipped', what: 'AF_BRIDGE RTM_NEWROUTE' }, { kind: 'skipped', what: 'NLMSG_DONE' }, { kind: 'skipped', what: 'netlink type 999' },
  ]);
  assert.deepEqual(decoder.stats.skipped, { RTM_NEWNEIGH: 2, RTM_NEWLINK: 1, 'AF_BRIDGE RTM_NEWROUTE': 1, NLMSG_DONE: 1, 'netlink type 999': 1 });
  assert.equal(decoder.stats.errors, 0);
});

test('an empty FPM frame is no event and no error', () => {
  const { events, decoder } = decodeAll(fpmFrame(1, Buffer.alloc(0)));
  assert.deepEqual(events, []);
  assert.equal(decoder.stats.frames, 1);
});

test('mplsEncap builder: bottom of stack only on the last entry', () => {
  const b = mplsEncap([16, 17]);
  assert.equal(b.readUInt32BE(8 + 4 + 4) & 0x100, 0);
  assert.equal(b.readUInt32BE(8 + 4 + 4 + 4) & 0x100, 0x100);
});
