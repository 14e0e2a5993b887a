// Nexthop-group ids belong to the FPM session that defined them (issue 26, item 5): a restarted
// zebra numbers its groups afresh, so a stale route of the old zebra must never be re-resolved
// through the new zebra's group of the same id. Scripted on a fake clock, against a fake port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reconciler } from '../../src/sync/reconciler.js';
import type { RouteEventRoute } from '../../src/route/types.js';
import { parsePrefix } from '../../src/route/prefix.js';
import { FakePort } from '../helpers/fake-port.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { add, groupChange, groupUnusable, pathsOf as pk, reconciler, written as acknowledged } from '../helpers/builders.js';

const GRACE = 3000;
function route(prefix: string, gw: string, protocol: string, nhg: number | null, table = 254): RouteEventRoute {
  return add(prefix, gw, { protocol, nhg, table });
}

/** Lets the group re-resolution (deferred a turn) run, then waits until every write is acknowledged. */
async function written(r: Reconciler, port: FakePort): Promise<void> {
  await new Promise((res) => setImmediate(res));
  await acknowledged(r, port);
}

function setup() {
  const port = new FakePort();
  const clock = new FakeClock();
  const r = reconciler(port, { resyncGraceMs: GRACE, deleteHoldMs: 0, clock });
  return { port, clock, r };
}

test('a restarted zebra\'s group with a reused id never re-points (nor removes) a stale route of the old zebra', async () => {
  const { port, clock, r } = setup();
  await r.start();
  const kernel = route('0.0.0.0/0', '192.0.2.1', 'kernel', null);
  const bgpA = route('10.100.0.0/24', '10.0.3.3', 'bgp', 5);
  const bgpB = route('10.100.1.0/24', '10.0.3.3', 'bgp', 5);
  r.sessionStart(1);
  r.apply(1, [kernel, bgpA, bgpB]);
  clock.advance(GRACE);
  await written(r, port);
  assert.equal(port.fib.get('0|10.100.0.0/24'), pk('10.0.3.3'));

  // zebra is killed and started again: its replay holds zebra's own routes only, BGP relearns later
  r.sessionEnd(1, 'zebra killed');
  r.sessionStart(2);
  r.apply(2, [kernel]);
  clock.advance(GRACE);
  await written(r, port);
  assert.equal(r.state().stale?.phase, 'stale-wait');
  // the new zebra's group 5 is another group; it changes, then becomes unusable
  r.apply(2, [groupChange(5, '10.0.9.9')]);
  await written(r, port);
  assert.equal(port.fib.get('0|10.100.0.0/24'), pk('10.0.3.3'), 'the stale route keeps the paths it had');
  r.apply(2, [groupUnusable(5)]);
  await written(r, port);
  assert.equal(port.fib.get('0|10.100.0.0/24'), pk('10.0.3.3'), 'the stale route is not removed with the new zebra\'s group');
  assert.equal(port.count('remove'), 0);
  assert.equal(r.state().counters.nhgReresolved, 0);
  assert.equal(r.explain(0, parsePrefix('10.100.0.0/24')).zebra?.nhg, 5, 'the operator still sees the id the route named');

  // the new zebra sends the route again, naming its (now usable) group 5: from then on it follows it
  r.apply(2, [groupChange(5, '10.0.4.4'), route('10.100.0.0/24', '10.0.4.4', 'bgp', 5)]);
  await written(r, port);
  assert.equal(port.fib.get('0|10.100.0.0/24'), pk('10.0.4.4'));
  r.apply(2, [groupChange(5, '10.0.6.6')]);
  await written(r, port);
  assert.equal(port.fib.get('0|10.100.0.0/24'), pk('10.0.6.6'), 'a route of this session follows its group');
  assert.equal(port.fib.get('0|10.100.1.0/24'), pk('10.0.3.3'), 'the one not sent again still keeps its old paths');
  assert.equal(r.state().counters.nhgReresolved, 2, 'only the route of this session, at each of its group\'s two changes');
});

test('a group change of the last session still pending when the next one starts is not applied to the new session\'s routes', async () => {
  const { port, clock, r } = setup();
  await r.start();
  r.sessionStart(1);
  r.apply(1, [route('10.1.0.0/24', '10.0.2.2', 'static', 7)]);
  clock.advance(GRACE);
  await written(r, port);
  // the last event of session 1 changes group 7; before its deferred re-resolution runs, session 2
  // starts and sends the route naming its own group 7
  r.apply(1, [groupChange(7, '10.0.9.9')]);
  r.sessionEnd(1, 'closed by peer');
  r.sessionStart(2);
  r.apply(2, [route('10.1.0.0/24', '10.0.5.5', 'static', 7)]);
  clock.advance(GRACE);
  await written(r, port);
  assert.equal(port.fib.get('0|10.1.0.0/24'), pk('10.0.5.5'));
});

test('within one session a group change still re-resolves every route naming it, including after a replay', async () => {
  const { port, clock, r } = setup();
  await r.start();
  r.sessionStart(1);
  r.apply(1, [route('10.1.0.0/24', '10.0.2.2', 'static', 7), route('10.2.0.0/24', '10.0.2.2', 'static', 7, 100)]);
  clock.advance(GRACE);
  await written(r, port);
  // a plain FPM reconnect: the main table's route is replayed and named again
  r.sessionStart(2);
  r.apply(2, [route('10.1.0.0/24', '10.0.2.2', 'static', 7)]);
  clock.advance(GRACE);
  await written(r, port);
  r.apply(2, [groupChange(7, '10.0.8.8')]);
  await written(r, port);
  assert.equal(port.fib.get('0|10.1.0.0/24'), pk('10.0.8.8'));
  // table 100 was not replayed (zebra does not after an FPM reconnect): its route keeps its paths
  // until zebra sends it again, rather than following an id this session may mean otherwise
  assert.equal(port.fib.get('100|10.2.0.0/24'), pk('10.0.2.2'));
});
