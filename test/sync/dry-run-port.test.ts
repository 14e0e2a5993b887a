// The dry run writes through the same protocol and encoder as production: each route write is
// encoded as ip_route_add_del_v2 bytes (route-request.ts), read back by the generated decoder and
// logged as that message's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { DryRunPort } from '../../src/sync/dry-run-port.js';
import { Reconciler } from '../../src/sync/reconciler.js';
import { messages } from 'vpp-binapi-ts/gen';
import type { MessageDef } from 'vpp-binapi-ts';
import type { RouteEventRoute } from '../../src/route/types.js';
import { parsePrefix } from '../../src/route/prefix.js';

test('dry run: every write is the production message, logged decoded; deletes too', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } }));
  const port = new DryRunPort(logger, (messages as unknown as Record<string, MessageDef>).ip_route_add_del_v2!);
  const r = new Reconciler(port, { tableMap: new Map(), installConnected: false, resyncGraceMs: 10, maxBacklog: 1000, logger, deleteHoldMs: 1 });
  await r.start();
  r.sessionStart(1);
  const route = (op: 'add' | 'del', prefix: string): RouteEventRoute => ({
    kind: 'route', op, family: prefix.includes(':') ? 6 : 4, table: 254, prefix: parsePrefix(prefix), type: op === 'add' ? 'unicast' : 'unspec', protocol: 'static', protocolId: 196, metric: 0, nhg: null,
    nexthops: op === 'add' ? [{ gateway: prefix.includes(':') ? '2001:db8:2::2' : '10.0.2.2', ifindex: 3, weight: 1, labels: [] }] : [],
  } as RouteEventRoute);
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
