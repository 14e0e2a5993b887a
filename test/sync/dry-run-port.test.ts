// The dry run writes through the same protocol and encoder as production: each route write is
// encoded as ip_route_add_del_v2 bytes (route-request.ts), read back by the generated decoder and
// logged as that message's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { DryRunPort } from '../../src/sync/dry-run/dry-run-port.js';
import { messages } from 'vpp-binapi-ts/gen';
import type { MessageDef } from 'vpp-binapi-ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeAll } from '../fpm/decode-all.js';
import { lspMsg, netlinkFrame } from '../fpm/build.js';
import { reconciler, route as build } from '../helpers/builders.js';

test('dry run: every write is the production message, logged decoded; deletes too', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } }));
  const port = new DryRunPort(logger, (messages as unknown as Record<string, MessageDef>).ip_route_add_del_v2!);
  const r = reconciler(port, { resyncGraceMs: 10, maxBacklog: 1000, logger, deleteHoldMs: 1 });
  await r.start();
  r.sessionStart(1);
  const route = (op: 'add' | 'del', prefix: string) => build({ op, prefix, protocolId: 196, via: prefix.includes(':') ? '2001:db8:2::2' : '10.0.2.2' });
  r.apply(1, [route('add', '10.1.0.0/16'), route('add', '2001:db8:100::/48')]);
  await r.idle();
  r.apply(1, [route('del', '10.1.0.0/16')]);
  await r.idle();
  const writes = lines.filter((l) => l.request === 'ip_route_add_del_v2');
  assert.deepEqual(writes.map((l) => l.msg), ['would add 0 10.1.0.0/16 via 10.0.2.2', 'would add 0 2001:db8:100::/48 via 2001:db8:2::2', 'would delete 0 10.1.0.0/16']);
  const add = writes[0]!.fields as { is_add: boolean; is_multipath: boolean; route: { prefix: string; n_paths: number; paths: { nh: { address: { ip4: string } } }[] } };
  assert.equal(add.is_add, true);
  assert.equal(add.is_multipath, false);
  assert.equal(add.route.prefix, '10.1.0.0/16');
  assert.equal(add.route.n_paths, 1);
  assert.equal(add.route.paths[0]!.nh.address.ip4, '10.0.2.2');
  assert.equal(writes[0]!.bytes, 40 + 167, 'head and one fib_path, as sent to VPP');
  assert.equal((writes[2]!.fields as { is_add: boolean }).is_add, false);
  assert.deepEqual(port.counts, { replace: 2, remove: 1, tables: 0 });
  await r.stop();
});

test('dry run: LSP writes are logged like route writes: MPLS table 0, MPLS input, both entries of each label, deletes; the bytes are mpls_route_add_del\'s', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } }));
  const defs = messages as unknown as Record<string, MessageDef>;
  // the recording's interfaces: eth1 = ifindex 3, eth2 = 5
  const port = new DryRunPort(logger, defs.ip_route_add_del_v2!, [{ linux: 3, vpp: 'eth1' }, { linux: 5, vpp: 'eth2' }], undefined, defs);
  const r = reconciler(port, { resyncGraceMs: 10, maxBacklog: 1000, logger, deleteHoldMs: 0 });
  await r.start();
  r.sessionStart(1);
  // FRR 8.4.4's stream: LSPs 100 (swap to 201), 101 (deleted), 102, 103 (IPv6 next hop, explicit-null), labelled routes
  r.apply(1, decodeAll(readFileSync(fileURLToPath(new URL('../fixtures/fpm/mpls-84-1.bin', import.meta.url)))).events);
  await r.idle();
  r.apply(1, decodeAll(netlinkFrame(lspMsg({ op: 'del', label: 102 }))).events);
  await r.idle();
  const mpls = lines.filter((l) => typeof l.request === 'string' && (l.request as string).includes('mpls'));
  assert.equal(mpls[0]!.msg, 'would create MPLS table 0 and dump its labels (none)', 'the table before any label');
  // labels are written concurrently, each as its non-EOS then its EOS entry; MPLS input is enabled
  // once per interface (concurrent writes asked twice before: the test failed on a duplicate)
  assert.deepEqual(mpls.slice(1).map((l) => l.msg).sort(), [
    'would add label 100 eos via 10.0.2.2 eth1 push 200',
    'would add label 100 eos via 10.0.2.2 eth1 push 201',
    'would add label 100 non-eos via 10.0.2.2 eth1 push 200',
    'would add label 100 non-eos via 10.0.2.2 eth1 push 201',
    'would add label 101 eos via 10.0.3.4 eth2 pop',
    'would add label 101 non-eos via 10.0.3.4 eth2 pop',
    'would add label 102 eos via 10.0.2.3 eth1 push 300, 10.0.3.3 eth2 push 301',
    'would add label 102 eos via 10.0.3.3 eth2 push 301',
    'would add label 102 non-eos via 10.0.2.3 eth1 push 300, 10.0.3.3 eth2 push 301',
    'would add label 102 non-eos via 10.0.3.3 eth2 push 301',
    'would add label 103 eos via 2001:db8:3::5 eth2 push 2',
    'would add label 103 non-eos via 2001:db8:3::5 eth2 push 2',
    'would delete label 101 eos',
    'would delete label 101 non-eos',
    'would delete label 102 eos',
    'would delete label 102 non-eos',
    'would enable MPLS input on eth1',
    'would enable MPLS input on eth2',
  ]);
  const msgs = mpls.map((l) => l.msg as string);
  for (const ifname of ['eth1', 'eth2']) assert.ok(msgs.indexOf(`would enable MPLS input on ${ifname}`) < msgs.findIndex((m) => m.includes(` ${ifname} push`) || m.includes(` ${ifname} pop`)), `MPLS input on ${ifname} before its first label`);
  assert.equal(msgs.at(-1), 'would delete label 102 eos');
  const add = mpls.find((l) => l.msg === 'would add label 100 eos via 10.0.2.2 eth1 push 201')!;
  const f = add.fields as { mr_is_add: boolean; mr_route: { mr_label: number; mr_eos: number; mr_n_paths: number; mr_paths: { sw_if_index: number; n_labels: number; label_stack: { label: number }[] }[] } };
  assert.equal(f.mr_is_add, true);
  assert.deepEqual([f.mr_route.mr_label, f.mr_route.mr_eos, f.mr_route.mr_n_paths], [100, 1, 1]);
  assert.deepEqual([f.mr_route.mr_paths[0]!.sw_if_index, f.mr_route.mr_paths[0]!.n_labels, f.mr_route.mr_paths[0]!.label_stack[0]!.label], [1, 1, 201]);
  assert.equal(add.bytes, defs.mpls_route_add_del!.encode(0, defs.mpls_route_add_del!.decode(defs.mpls_route_add_del!.encode(0, f), 0)).length);
  assert.equal((mpls.at(-1)!.fields as { mr_is_add: boolean }).mr_is_add, false);
  assert.deepEqual(port.mpls!.counts, { lspReplace: 12, lspRemove: 4, mplsEnable: 2 });
  assert.deepEqual({ installed: r.state().lsps.installed, unsupported: r.state().lsps.unsupported }, { installed: 2, unsupported: null });
  await r.stop();
});
