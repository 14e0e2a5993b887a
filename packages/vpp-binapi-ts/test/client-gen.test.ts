// The client with the generated definitions (the way an application uses it) against the simulator: the
// same requests as a user would write them, typed replies and dumps, and a refused enum value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient, VppRetvalError } from '../src/index.js';
import { VppSim } from '../src/sim/index.js';
import * as m from '../src/gen/index.js';
import { VppEncodeError } from '../src/codec/runtime.js';

test('generated definitions: tables, routes with labels, v2 source dumps, events, errors', async () => {
  const path = join(tmpdir(), `vbt-client-gen-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath: path, interfaces: [{ swIfIndex: 1, name: 'ge0', flags: 3, mac: '02:00:00:00:00:01' }] }).start();
  const c = new VppClient({
    socketPath: path,
    messages: m.messages,
    required: [m.ip_route_add_del_v2, m.ip_route_v2_dump, m.ip_table_add_del, m.fib_source_add, m.sw_interface_dump],
    optional: [m.lcp_itf_pair_get],
  });
  try {
    await c.connect();
    const ver = await c.request<m.ShowVersionIn, m.ShowVersionReply>(m.show_version, {});
    assert.match(ver.version, /^26\.10/);
    const ifs = await c.dump<m.SwInterfaceDumpIn, m.SwInterfaceDetails>(m.sw_interface_dump, { sw_if_index: 0xffffffff });
    assert.deepEqual(ifs.map((i) => [i.sw_if_index, i.interface_name, i.l2_address, i.flags]), [[0, 'local0', '00:00:00:00:00:00', 0], [1, 'ge0', '02:00:00:00:00:01', 3]]);
    const src = await c.request<m.FibSourceAddIn, m.FibSourceAddReply>(m.fib_source_add, { src: { name: 'fibmgr', priority: 100 } });
    await c.request(m.ip_table_add_del, { is_add: true, table: { table_id: 7, is_ip6: true } });
    const route = {
      table_id: 7, prefix: '2001:db8::/32', src: src.id,
      paths: [
        { sw_if_index: 1, weight: 3, proto: m.FibPathNhProto.FIB_API_PATH_NH_PROTO_IP6, nh: { address: { ip6: 'fe80::1' } }, n_labels: 2, label_stack: [{ label: 100, ttl: 64 }, { label: 200, ttl: 64 }] },
        { sw_if_index: 0xffffffff, weight: 1, proto: m.FibPathNhProto.FIB_API_PATH_NH_PROTO_IP6, nh: { address: { ip6: '2001:db8:ffff::2' } } },
      ],
    };
    await c.request(m.ip_route_add_del_v2, { is_add: true, route });
    const got = await c.dump<m.IpRouteV2DumpIn, m.IpRouteV2Details>(m.ip_route_v2_dump, { src: src.id, table: { table_id: 7, is_ip6: true } });
    assert.equal(got.length, 1);
    const r = got[0]!.route;
    assert.equal(r.prefix, '2001:db8::/32');
    assert.equal(r.src, src.id);
    assert.deepEqual(
      r.paths.map((p) => [p.sw_if_index, p.weight, p.nh.address.ip6, p.label_stack.slice(0, p.n_labels).map((l) => l.label)]).sort(),
      [[1, 3, 'fe80::1', [100, 200]], [0xffffffff, 1, '2001:db8:ffff::2', []]].sort(),
    );
    // a route into a table VPP does not have: a typed error naming the message
    await assert.rejects(c.request(m.ip_route_add_del, { is_add: true, route: { table_id: 99, prefix: '10.0.0.0/8', paths: [{ sw_if_index: 1 }] } }), (e: Error) => e instanceof VppRetvalError && e.messageName === 'ip_route_add_del');
    // a path type outside the enum never leaves the client
    const before = sim.count('ip_route_add_del');
    await assert.rejects(c.request(m.ip_route_add_del, { route: { prefix: '10.0.0.0/8', paths: [{ type: 42 }] } }), VppEncodeError);
    assert.equal(sim.count('ip_route_add_del'), before);
  } finally {
    await c.close();
    await sim.stop();
  }
});
