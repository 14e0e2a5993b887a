// Legal messages that read like others: a source-specific IPv6 route (rtm_src_len, RTA_SRC) is not
// the plain route of its destination; NHA_GROUP weights are 16 bits. The streams are kept in the
// corpus: frr10.7-source-specific.bin recorded from FRR 10.7.1's zebra (the FPM lab, test/fixtures/fpm/lab, `ipv6 route
// 2001:db8:100::/48 2001:db8:2::2`, then `... from 2001:db8:5::/48 2001:db8:2::3` added and
// removed); source-specific-v6.bin and nhg-weight-16bit.bin built with build.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { netlinkFrame, nexthopMsg, nlmsg, routeBody, routeMsg } from './build.js';
import { decodeAll, plain } from './decode-all.js';
import type { ErrorEvent, RouteEventRoute } from '../../src/route/types.js';

const corpus = (name: string) => readFileSync(fileURLToPath(new URL(`./corpus/${name}`, import.meta.url)));

test('a source-specific route is an unusable message naming its source, never the plain route of its destination', () => {
  const { events } = decodeAll(corpus('source-specific-v6.bin'));
  const got = events.map((e) => plain(e) as Record<string, any>);
  assert.equal(got.length, 4);
  assert.deepEqual([got[0]!.kind, got[0]!.op, got[0]!.prefix], ['route', 'add', '2001:db8:100::/48']);
  const [add, del, dflt] = got.slice(1) as unknown as ErrorEvent[];
  for (const e of [add, del, dflt]) {
    assert.equal(e!.kind, 'error');
    assert.equal(e!.what, 'source-specific');
  }
  assert.deepEqual(add!.route, { family: 6, table: 254, prefix: '2001:db8:100::/48', op: 'add', protocol: 'static', protocolId: 196, type: 'unicast', src: '2001:db8:5::/48' } as any);
  assert.deepEqual([del!.route!.op, String(del!.route!.prefix), String(del!.route!.src)], ['del', '2001:db8:100::/48', '2001:db8:5::/48']);
  assert.deepEqual([String(dflt!.route!.prefix), String(dflt!.route!.src), dflt!.route!.protocol], ['::/0', '2001:db8:6::/64', 'babel']);
  assert.match(add!.reason, /2001:db8:100::\/48 from 2001:db8:5::\/48 .*source-specific/);
});

test('FRR 10.7: `ipv6 route X from Y` comes with rtm_src_len and RTA_SRC, beside the plain route of X', () => {
  const { events } = decodeAll(corpus('frr10.7-source-specific.bin'));
  const about = events.filter((e) => (e.kind === 'route' ? String(e.prefix) : e.kind === 'error' ? String(e.route?.prefix) : '') === '2001:db8:100::/48');
  assert.deepEqual(about.map((e) => e.kind === 'route' ? `${e.op} ${e.nexthops.map((n) => n.gateway)}` : e.kind === 'error' ? `${e.what} ${e.route!.op} from ${e.route!.src}` : e.kind), [
    'add 2001:db8:2::2', 'source-specific add from 2001:db8:5::/48', 'source-specific del from 2001:db8:5::/48',
  ]);
});

test('a source length without RTA_SRC is a source of zeros (as zebra reads it); a source length past 128 is malformed', () => {
  const body = routeBody({ prefix: '2001:db8:100::/48', gateway: '2001:db8:2::2' });
  body[2] = 64; // rtm_src_len, no RTA_SRC
  const { events } = decodeAll(netlinkFrame(nlmsg(24, body)));
  assert.deepEqual(events.map((e) => [e.kind, (e as ErrorEvent).what, String((e as ErrorEvent).route?.src)]), [['error', 'source-specific', '::/64']]);
  body[2] = 129;
  const bad = decodeAll(netlinkFrame(nlmsg(24, body))).events as ErrorEvent[];
  assert.deepEqual(bad.map((e) => [e.kind, e.what, e.route]), [['error', 'malformed', undefined]]);
  const short = decodeAll(netlinkFrame(routeMsg({ prefix: '2001:db8:100::/48', gateway: '2001:db8:2::2', extra: [Buffer.from([8, 0, 2, 0, 1, 2, 3, 4])] }))).events as ErrorEvent[];
  assert.deepEqual(short.map((e) => [e.kind, e.what]), [['error', 'malformed']], 'RTA_SRC of 4 bytes for IPv6');
});

test('a source-specific message does not supersede the plain route that waits for its nexthop group', () => {
  const { events } = decodeAll(Buffer.concat([
    netlinkFrame(routeMsg({ prefix: '2001:db8:100::/48', nhId: 7 })),
    netlinkFrame(routeMsg({ op: 'del', prefix: '2001:db8:100::/48', src: '2001:db8:5::/48' })),
    netlinkFrame(routeMsg({ prefix: '2001:db8:100::/48', src: '2001:db8:5::/48', nhId: 7 })),
    netlinkFrame(nexthopMsg({ id: 7, gateway: '2001:db8:2::2', oif: 2 })),
  ]));
  const routes = events.filter((e): e is RouteEventRoute => e.kind === 'route');
  assert.deepEqual(routes.map((r) => [r.op, String(r.prefix), r.nexthops.map((n) => n.gateway)]), [['add', '2001:db8:100::/48', ['2001:db8:2::2']]]);
  assert.equal(events.filter((e) => e.kind === 'error').length, 2);
});

test('NHA_GROUP weights are read in 16 bits (zebra --nexthop-weight-16-bit writes the high byte after the low one)', () => {
  const { events } = decodeAll(corpus('nhg-weight-16bit.bin'));
  const group = events.find((e) => e.kind === 'nexthop-group' && e.id === 10);
  assert.deepEqual(group && group.kind === 'nexthop-group' && group.group, [{ id: 1, weight: 65535 }, { id: 2, weight: 21845 }, { id: 3, weight: 256 }]);
  const route = events.find((e): e is RouteEventRoute => e.kind === 'route')!;
  assert.deepEqual(route.nexthops.map((n) => [n.gateway, n.weight]), [['10.0.2.2', 65535], ['10.0.2.3', 21845], ['10.0.2.4', 256]]);
});
