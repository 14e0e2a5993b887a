// Protobuf round trips: encoded with protobufjs from our .proto, decoded by the session decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fpmFrame, protobufFrame, v4value } from './build.js';
import { decodeAll, plain } from './decode-all.js';
import { parseAddress } from '../../src/route/prefix.js';
import type { RouteEvent, RouteEventRoute } from '../../src/route/types.js';
import { nexthop, route } from '../helpers/builders.js';

const ADD = 1, DEL = 2, IPV4 = 1, IPV6 = 2, UNICAST = 1;

function prefix(text: string): { length: number; bytes: Buffer } {
  const [a, l] = text.split('/');
  const len = Number(l);
  return { length: len, bytes: parseAddress(a).bytes.subarray(0, (len + 7) >> 3) };
}

function one(frame: Buffer): RouteEvent {
  const { events } = decodeAll(frame);
  assert.equal(events.length, 1, JSON.stringify(events));
  return plain(events[0]) as RouteEvent;
}

const addRoute = (r: Record<string, unknown>): Buffer => protobufFrame({ type: ADD, add_route: { vrf_id: 0, address_family: IPV4, sub_address_family: UNICAST, route_type: 1, protocol: 4, ...r } });

test('add_route, IPv4, ECMP via v4 addresses with interfaces', () => {
  assert.deepEqual(one(addRoute({
    key: { prefix: prefix('8.8.8.8/32') }, protocol: 9, metric: 20,
    nexthops: [{ if_id: { index: 3 }, address: { v4: { value: v4value('10.0.1.0') } } }, { address: { v4: { value: v4value('10.0.2.2') } } }],
  })), plain(route({ prefix: '8.8.8.8/32', table: 0, protocol: 'bgp', metric: 20, via: [nexthop('10.0.1.0', 3), nexthop('10.0.2.2', null)] })));
});

test('the seed article\'s default route: kernel, if_id 2, via 167772674 (10.0.2.2); a /0 has no prefix bytes', () => {
  const e = one(addRoute({ key: { prefix: { length: 0, bytes: Buffer.alloc(0) } }, protocol: 3, nexthops: [{ if_id: { index: 2 }, address: { v4: { value: 167772674 } } }] }));
  assert.deepEqual(e, plain(route({ prefix: '0.0.0.0/0', table: 0, protocol: 'kernel', via: [nexthop('10.0.2.2', 2)] })));
});

test('IPv6 with v6 next hops, vrf_id as the table', () => {
  const e = one(addRoute({
    vrf_id: 7, address_family: IPV6, key: { prefix: prefix('2001:db8:100::/48') },
    nexthops: [{ if_id: { index: 3 }, address: { v6: { bytes: parseAddress('2001:db8:2::2').bytes } } }],
  }));
  assert.deepEqual(e, plain(route({ prefix: '2001:db8:100::/48', table: 7, via: [nexthop('2001:db8:2::2', 3)] })));
});

test('route types and protocol names', () => {
  const types: Record<number, string> = { 0: 'unspec', 1: 'unicast', 2: 'unreachable', 3: 'blackhole' };
  for (const [t, name] of Object.entries(types)) {
    const e = one(addRoute({ key: { prefix: prefix('192.0.2.0/24') }, route_type: +t, nexthops: [{ if_id: { index: 3 } }] })) as { type: string; nexthops: unknown[] };
    assert.equal(e.type, name);
    assert.equal(e.nexthops.length, name === 'unicast' ? 1 : 0);
  }
  const protos = ['unknown', 'local', 'connected', 'kernel', 'static', 'rip', 'ripng', 'ospf', 'isis', 'bgp', 'other'];
  protos.forEach((p, i) => assert.equal((one(addRoute({ key: { prefix: prefix('10.0.0.0/8') }, protocol: i })) as { protocol: string }).protocol, p));
});

test('delete_route: key only; protocol unknown, type unspec', () => {
  assert.deepEqual(one(protobufFrame({ type: DEL, delete_route: { vrf_id: 0, address_family: IPV4, sub_address_family: UNICAST, key: { prefix: prefix('192.0.2.0/24') } } })), plain(route({ op: 'del', prefix: '192.0.2.0/24', table: 0, protocol: 'unknown' })));
});

test('odd lengths: prefix bytes beyond the length are masked', () => {
  const e = one(addRoute({ key: { prefix: { length: 20, bytes: Buffer.from([10, 1, 0xff]) } } })) as RouteEventRoute;
  assert.equal(String(e.prefix), '10.1.240.0/20');
});

test('UNKNOWN_MSG and multicast are skipped; bad messages are errors, decoding goes on', () => {
  const { events, decoder } = decodeAll(Buffer.concat([
    protobufFrame({ type: 0 }),
    addRoute({ sub_address_family: 2, key: { prefix: prefix('224.0.0.0/4') } }),
    protobufFrame({ type: ADD }),
    addRoute({ address_family: 0, key: { prefix: prefix('10.0.0.0/8') } }),
    addRoute({}),
    addRoute({ key: { prefix: { length: 24, bytes: Buffer.from([10, 1]) } } }),
    addRoute({ key: { prefix: { length: 33, bytes: Buffer.from([10, 1, 2, 3, 4]) } } }),
    addRoute({ key: { prefix: prefix('10.0.0.0/8') }, nexthops: [{ address: { v6: { bytes: Buffer.alloc(5) } } }] }),
    fpmFrame(2, Buffer.from([0x0a, 0xff, 0xff])),
    addRoute({ key: { prefix: prefix('10.0.0.0/8') }, nexthops: [{ if_id: { index: 4 } }] }),
  ]));
  const kinds = events.map((e) => (e.kind === 'error' ? `error ${e.reason.slice(0, 40)}` : e.kind === 'skipped' ? `skipped ${e.what}` : e.kind));
  assert.deepEqual(kinds.slice(0, 2), ['skipped protobuf UNKNOWN_MSG', 'skipped protobuf multicast route']);
  assert.equal(kinds.filter((k) => k.startsWith('error')).length, 7, kinds.join('\n'));
  assert.ok(kinds.every((k) => !k.includes('internal')), kinds.join('\n'));
  assert.equal(kinds[kinds.length - 1], 'route');
  assert.equal(decoder.stats.errors, 7);
});
