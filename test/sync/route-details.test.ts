// The adoption's own reading of ip_route_v2_details agrees with the generated decoder on every
// detail the generated encoder writes: table, family, prefix (masked as VPP reports a network),
// and where the path bytes are; malformed heads are refused, not misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ip_route_v2_details } from 'vpp-binapi-ts/gen';
import { readRouteHead, type RouteHead } from '../../src/sync/vpp/route-details.js';
import { pathFields } from '../../src/sync/vpp/vpp-fields.js';
import { SW_IF_INDEX_NONE } from '../../src/sync/vpp/vpp-port.js';
import { parsePrefix, v4Prefix } from '../../src/route/prefix.js';

const v4 = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 32 }))
  .map(([a, b, c, d, len]) => `${a}.${b}.${c}.${d}/${len}`);
const v6 = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }))
  .map(([w, len]) => `${w.map((x) => x.toString(16)).join(':')}/${len}`);

test('readRouteHead reads what the generated decoder reads', () => {
  fc.assert(fc.property(fc.oneof(v4, v6), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 3 }), (prefix, table, nPaths) => {
    const paths = Array.from({ length: nPaths }, (_, i) => pathFields({ kind: 'normal', proto: prefix.includes(':') ? 6 : 4, gateway: prefix.includes(':') ? `2001:db8::${i + 1}` : `10.0.0.${i + 1}`, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [] }));
    const bytes = ip_route_v2_details.encode(77, { context: 9, route: { table_id: table, stats_index: 0, prefix, n_paths: nPaths, src: 23, paths } } as any);
    const framed = Buffer.concat([Buffer.alloc(5, 0xee), bytes, Buffer.alloc(3, 0xee)]);
    const head: RouteHead = { family: 4, table: 0, prefix: v4Prefix(0, 0), pathStart: 0, pathEnd: 0 };
    assert.ok(readRouteHead(framed, 5, 5 + bytes.length, head));
    const gen = ip_route_v2_details.decode(bytes).route;
    assert.equal(head.table, gen.table_id);
    assert.equal(String(head.prefix), String(parsePrefix(gen.prefix)));
    assert.equal(head.family, prefix.includes(':') ? 6 : 4);
    assert.equal(head.pathEnd - head.pathStart, nPaths * 167);
    assert.equal(head.pathEnd, 5 + bytes.length);
  }));
});

test('readRouteHead refuses short details, a bad family, a length too long, paths cut short', () => {
  const ok = ip_route_v2_details.encode(77, { context: 1, route: { table_id: 0, stats_index: 0, prefix: '10.0.0.0/8', n_paths: 0, src: 1, paths: [] } } as any);
  const head: RouteHead = { family: 4, table: 0, prefix: v4Prefix(0, 0), pathStart: 0, pathEnd: 0 };
  assert.ok(readRouteHead(ok, 0, ok.length, head));
  assert.equal(readRouteHead(ok, 0, ok.length - 1, head), false);
  const badAf = Buffer.from(ok); badAf[14] = 2;
  assert.equal(readRouteHead(badAf, 0, badAf.length, head), false);
  const badLen = Buffer.from(ok); badLen[31] = 33;
  assert.equal(readRouteHead(badLen, 0, badLen.length, head), false);
  const cut = Buffer.from(ok); cut[32] = 1; // says one path, has none
  assert.equal(readRouteHead(cut, 0, cut.length, head), false);
});
