// The bulk route encoder writes exactly what the generated codec writes for the same route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ip_route_add_del, ip_route_add_del_v2 } from '../../src/vpp/gen/index.js';
import { routeRequestDef } from '../../src/sync/route-request.js';
import { pathFields } from '../../src/sync/vpp-fields.js';
import type { VppPath } from '../../src/sync/vpp-port.js';

const pathArb = fc.record({
  kind: fc.constantFrom('normal', 'drop', 'icmp-unreach', 'icmp-prohibit'),
  v6: fc.boolean(),
  gw: fc.option(fc.tuple(fc.ipV4(), fc.ipV6()), { nil: null }),
  swIfIndex: fc.oneof(fc.constant(0xffffffff), fc.nat(100)),
  weight: fc.integer({ min: 1, max: 255 }),
  labels: fc.array(fc.integer({ min: 16, max: 0xfffff }), { maxLength: 3 }),
}).map((p): VppPath => ({ kind: p.kind as VppPath['kind'], proto: p.v6 ? 6 : 4, gateway: p.gw ? (p.v6 ? p.gw[1] : p.gw[0]) : null, swIfIndex: p.swIfIndex, weight: p.weight, labels: p.labels }));

test('bulk ip_route_add_del(_v2) requests are byte-identical to the generated encoder', () => {
  for (const gen of [ip_route_add_del, ip_route_add_del_v2]) {
    const fast = routeRequestDef(gen as any);
    assert.equal(fast.key, gen.key);
    fc.assert(
      fc.property(
        fc.boolean(), fc.nat(), fc.oneof(fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })), fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }))),
        fc.array(pathArb, { maxLength: 4 }), fc.nat(255), fc.nat(), fc.nat(),
        (isAdd, table, [addr, len], paths, src, ci, ctx) => {
          const prefix = `${addr}/${len}`;
          const fields = paths.map(pathFields);
          const want = gen.encode(397, { client_index: ci, context: ctx, is_add: isAdd, is_multipath: false, route: { table_id: table, prefix, paths: fields, src } } as any);
          const got = fast.encode(397, { client_index: ci, context: ctx, is_add: isAdd, table, prefix, src, paths: fast.pathBytes(fields) });
          assert.equal(got.toString('hex'), want.toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  }
});

test('bulk requests: an IPv4 network given as int32 and length encodes as its text does', () => {
  for (const gen of [ip_route_add_del, ip_route_add_del_v2]) {
    const fast = routeRequestDef(gen as any);
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (addr, len) => {
        const int = addr.split('.').reduce((a, o) => (a << 8) | Number(o), 0) | 0;
        const paths = Buffer.alloc(0);
        const want = fast.encode(397, { is_add: false, table: 3, prefix: `${addr}/${len}`, src: 1, paths });
        const got = fast.encode(397, { is_add: false, table: 3, prefix: int, len, src: 1, paths });
        assert.equal(got.toString('hex'), want.toString('hex'));
      }),
      { numRuns: 300 },
    );
    assert.throws(() => fast.encode(397, { is_add: false, table: 0, prefix: 0, len: 33, src: 0, paths: Buffer.alloc(0) }), /length 33/);
  }
});

test('bulk requests: IPv6 prefix text in every form the codec takes, and what it refuses', () => {
  const fast = routeRequestDef(ip_route_add_del_v2 as any);
  const enc = (prefix: string) => fast.encode(1, { is_add: false, table: 0, prefix, src: 0, paths: Buffer.alloc(0) }).toString('hex');
  const gen = (prefix: string) => ip_route_add_del_v2.encode(1, { is_add: false, is_multipath: false, route: { table_id: 0, prefix, paths: [], src: 0 } } as any).toString('hex');
  for (const p of ['::/0', '::1/128', '1::/16', '2001:DB8::/32', '2001:db8:0:1:2:3:4:5/128', '2001:db8::1:2/127', '1:2:3:4:5:6:7::/112', '::2:3:4:5:6:7:8/128', '::ffff:10.0.0.1/128', '0001:0db8::/32', '10.1.0.0/16', '0.0.0.0/0']) {
    assert.equal(enc(p), gen(p), p);
  }
  for (const p of ['1::2::3/64', ':1::/64', '1:/64', '1:2:3:4:5:6:7:8:9/128', '12345::/16', 'g::/16', '::/129', '::/']) {
    assert.throws(() => enc(p), /./, p);
    assert.throws(() => gen(p), /./, p);
  }
});
