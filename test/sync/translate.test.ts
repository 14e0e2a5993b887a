// Translation of zebra's next hops into VPP paths: pure, with the interface map passed in. One
// table: each row a next-hop set (with the route's family and type, and the map), and what VPP is
// given for it or why nothing is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translatePaths } from '../../src/sync/state/translate.js';
import type { Family, Nexthop, RouteType } from '../../src/route/types.js';
import type { VppPath } from '../../src/sync/vpp/vpp-port.js';
import { nexthop as nh, path } from '../helpers/builders.js';

/** Linux ifindex 2 is VPP's sw_if_index 5; nothing else is mapped unless a row says. */
const MAP: Record<number, number> = { 2: 5 };

type Want =
  | { paths: Partial<VppPath>[]; dropped?: number }
  | { reason: 'unmappable-nexthop' | 'no-nexthops' | 'connected'; detail?: string | RegExp };

const ROWS: { name: string; family?: Family; type?: RouteType; hops: Nexthop[]; map?: Record<number, number>; want: Want }[] = [
  // special routes: one path of their kind, whatever next hops came
  { name: 'blackhole: a drop path', type: 'blackhole', hops: [], want: { paths: [{ kind: 'drop' }] } },
  { name: 'IPv6 blackhole: a drop path of family 6', family: 6, type: 'blackhole', hops: [], want: { paths: [{ kind: 'drop', proto: 6 }] } },
  { name: 'unreachable: icmp-unreach', type: 'unreachable', hops: [], want: { paths: [{ kind: 'icmp-unreach' }] } },
  { name: 'prohibit: icmp-prohibit', type: 'prohibit', hops: [], want: { paths: [{ kind: 'icmp-prohibit' }] } },
  { name: 'a blackhole ignores next hops sent with it', type: 'blackhole', hops: [nh('10.0.2.2', 2)], want: { paths: [{ kind: 'drop' }] } },
  // no next hops
  { name: 'a unicast route without next hops is not installed', hops: [], want: { reason: 'no-nexthops' } },
  { name: 'an unspec route without next hops is not installed either', type: 'unspec', hops: [], want: { reason: 'no-nexthops' } },
  // gateways and interfaces
  { name: 'a gateway through an unmapped interface: recursive', hops: [nh('10.0.2.2', 3)], want: { paths: [{ gateway: '10.0.2.2' }] } },
  { name: 'a gateway without an interface: recursive', hops: [nh('10.0.2.2', null)], want: { paths: [{ gateway: '10.0.2.2' }] } },
  { name: 'a gateway through a mapped interface: attached', hops: [nh('10.0.2.2', 2)], want: { paths: [{ gateway: '10.0.2.2', swIfIndex: 5 }] } },
  { name: 'interface-only, mapped: the interface, of the route\'s family', family: 6, hops: [nh(null, 2)], want: { paths: [{ swIfIndex: 5, proto: 6 }] } },
  { name: 'interface-only, unmapped: unmappable, naming the ifindex', hops: [nh(null, 9)], want: { reason: 'unmappable-nexthop', detail: 'no VPP interface for Linux ifindex 9' } },
  { name: 'every next hop unmapped: unmappable, naming each', hops: [nh(null, 7), nh(null, 8)], want: { reason: 'unmappable-nexthop', detail: 'no VPP interface for Linux ifindex 7, 8' } },
  { name: 'an unmapped one among mapped ones is dropped and counted', hops: [nh(null, 9), nh('10.0.2.2', 2)], want: { paths: [{ gateway: '10.0.2.2', swIfIndex: 5 }], dropped: 1 } },
  { name: 'an IPv6 gateway of an IPv4 route (RFC 5549): a path of family 6', hops: [nh('fe80::1', 2)], want: { paths: [{ gateway: 'fe80::1', swIfIndex: 5, proto: 6 }] } },
  // link-local gateways mean nothing without their interface
  { name: 'a link-local gateway whose interface maps to no VPP interface is unmappable, not recursive', family: 6, hops: [nh('fe80::1', 7)], map: {}, want: { reason: 'unmappable-nexthop', detail: /link-local fe80::1/ } },
  { name: 'a link-local gateway without an interface is unmappable', family: 6, hops: [nh('fe80::1', null)], map: { 7: 4 }, want: { reason: 'unmappable-nexthop', detail: 'no VPP interface for Linux ifindex fe80::1 (no interface)' } },
  { name: 'the global gateway stays, recursive, beside an unmappable link-local one (febf:: is link-local)', family: 6, hops: [nh('febf::1', 7), nh('2001:db8::1', 7)], map: {}, want: { paths: [{ gateway: '2001:db8::1', proto: 6 }], dropped: 1 } },
  { name: 'fec0:: is not link-local', family: 6, hops: [nh('fec0::1', 7)], map: {}, want: { paths: [{ gateway: 'fec0::1', proto: 6 }] } },
  // weights and labels
  { name: 'weights past VPP\'s byte (zebra\'s 16-bit group weights) keep their ratios', hops: [nh('10.0.2.2', null, 65535), nh('10.0.2.3', null, 21845), nh('10.0.2.4', null, 256)], want: { paths: [{ gateway: '10.0.2.2', weight: 255 }, { gateway: '10.0.2.3', weight: 85 }, { gateway: '10.0.2.4', weight: 1 }] } },
  { name: 'weights within the byte are kept as they are', hops: [nh('10.0.2.2', null, 3), nh('10.0.2.3', null, 1), nh('10.0.2.4', null, 255)], want: { paths: [{ gateway: '10.0.2.2', weight: 3 }, { gateway: '10.0.2.3', weight: 1 }, { gateway: '10.0.2.4', weight: 255 }] } },
  { name: 'a weight of 0 is 1 (VPP has no weightless path)', hops: [nh('10.0.2.2', null, 0)], want: { paths: [{ gateway: '10.0.2.2', weight: 1 }] } },
  { name: 'a weight scaled below 1 is 1', hops: [nh('10.0.2.2', null, 65535), nh('10.0.2.3', null, 1)], want: { paths: [{ gateway: '10.0.2.2', weight: 255 }, { gateway: '10.0.2.3', weight: 1 }] } },
  { name: 'labels are kept, outermost first', hops: [nh('10.0.2.2', 2, 1, [100, 200])], want: { paths: [{ gateway: '10.0.2.2', swIfIndex: 5, labels: [100, 200] }] } },
];

test('translatePaths, case by case', async (t) => {
  for (const row of ROWS) {
    await t.test(row.name, () => {
      const map = row.map ?? MAP;
      const got = translatePaths(row.family ?? 4, row.type ?? 'unicast', row.hops, { interfaceFor: (i) => map[i] });
      if ('paths' in row.want) {
        assert.ok(got.ok, JSON.stringify(got));
        assert.deepEqual(got.paths, row.want.paths.map((p) => path({ proto: row.family ?? 4, ...p })));
        assert.equal(got.dropped, row.want.dropped ?? 0);
      } else {
        assert.ok(!got.ok, JSON.stringify(got));
        assert.equal(got.reason, row.want.reason);
        if (typeof row.want.detail === 'string') assert.equal(got.detail, row.want.detail);
        else if (row.want.detail) assert.match(got.detail ?? '', row.want.detail);
      }
    });
  }
});
