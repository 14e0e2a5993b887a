import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { DryRunSink } from '../../src/sync/dry-run/dry-run-sink.js';
import { nexthop, route } from '../helpers/builders.js';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, stream };
}

const ecmp = route({ prefix: '8.8.8.8/32', metric: 20, nhg: 27, via: [nexthop('10.0.2.2', 3), nexthop('10.0.3.4', 5, 3, [16, 17])] });
const del = route({ op: 'del', prefix: '2001:db8::/32', table: 100 });

test('dry-run sink: one log line per route event with its fields, counts by kind, never congested', async () => {
  const { lines, stream } = capture();
  const sink = new DryRunSink(createLogger('debug', stream));
  sink.sessionStart(7);
  sink.apply(7, [
    { kind: 'nexthop-group', op: 'add', id: 27 },
    ecmp, del,
    { kind: 'skipped', what: 'RTM_NEWNEIGH' },
    { kind: 'error', offset: 12, reason: 'truncated attribute', what: 'malformed' },
  ]);
  sink.sessionEnd(7, 'closed by peer');
  await new Promise((r) => setImmediate(r));
  assert.equal(sink.congested, false);
  assert.deepEqual(sink.counts, { routeAdd: 1, routeDel: 1, nexthopGroupAdd: 1, nexthopGroupDel: 0, skipped: 1, errors: 1, sessions: 1 });

  const routes = lines.filter((l) => l.event === 'route');
  assert.equal(routes.length, 2);
  assert.deepEqual(
    { op: routes[0]!.op, table: routes[0]!.table, prefix: routes[0]!.prefix, type: routes[0]!.type, protocol: routes[0]!.protocol, nhg: routes[0]!.nhg, session: routes[0]!.session },
    { op: 'add', table: 254, prefix: '8.8.8.8/32', type: 'unicast', protocol: 'static', nhg: 27, session: 7 },
  );
  assert.deepEqual(routes[0]!.nexthops, ecmp.nexthops);
  assert.equal(routes[0]!.via, '10.0.2.2 if3, 10.0.3.4 if5 weight 3 labels 16/17');
  assert.equal(routes[1]!.msg, 'route del 100 2001:db8::/32');
  assert.ok(lines.some((l) => l.event === 'error' && l.offset === 12 && l.reason === 'truncated attribute'));
  assert.ok(lines.some((l) => l.event === 'skipped' && l.what === 'RTM_NEWNEIGH'));
  const end = lines.find((l) => l.msg === 'dry-run: session end')!;
  assert.equal(end.reason, 'closed by peer');
});
