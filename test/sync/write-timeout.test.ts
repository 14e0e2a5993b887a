// A VPP request that times out is not a refusal (issue 26, item 6): VPP may have applied it, so
// the route's state in VPP is unknown and it is written again at the next chance, and the session
// that did not answer is reset (reconnect, adoption of what VPP holds, the diff). Against the
// simulator, which applies a write and swallows its reply, with the client's timeouts on the
// reconciler's fake clock.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrefix } from '../../src/route/prefix.js';
import type { RouteEventRoute } from '../../src/route/types.js';
import { reconciler, route as build } from '../helpers/builders.js';
import { VppRetvalError, VppTimeoutError } from 'vpp-binapi-ts';
import { FakePort } from '../helpers/fake-port.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { simStack, until, type SimStack } from '../helpers/sim-stack.js';

function route(op: 'add' | 'del', prefix: string, gw = '10.0.2.2'): RouteEventRoute {
  return build({ op, prefix, type: 'unicast', via: gw });
}
const paths = (gw: string) => [`normal ${gw} sw* w1`];

/** A stack with two routes installed; the client's timeout sweep on mocked interval timers. */
async function installed(t: TestContext): Promise<SimStack> {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const s = await simStack({ timeoutMs: 1000 });
  t.after(() => s.close());
  s.r.sessionStart(1);
  s.r.apply(1, [route('add', '10.1.0.0/24'), route('add', '10.2.0.0/24')]);
  s.clock.advance(3000);
  assert.ok(await until(() => s.fib().size === 2 && s.r.state().backlog === 0));
  return s;
}

/** Swallows the reply of the next route write only (VPP applies it). */
function swallowNextWrite(s: SimStack): void {
  let left = 1;
  s.sim.swallow = (name) => name.startsWith('ip_route_add_del') && left-- > 0;
}

/** The timeout passes on the clock, and the client's sweep looks. */
async function timeOut(t: TestContext, s: SimStack): Promise<void> {
  s.clock.advance(1000);
  t.mock.timers.tick(1000);
  const timeouts = () => [...s.client.requestStats().values()].reduce((n, st) => n + (st.results.timeout ?? 0), 0);
  assert.ok(await until(() => timeouts() === 1), 'the write timed out');
}

test('a delete VPP applied but did not answer in time, then zebra\'s re-add of the same paths: the route is written again', async (t) => {
  const s = await installed(t);
  const firstClient = s.client.index;
  swallowNextWrite(s);
  s.r.apply(1, [route('del', '10.1.0.0/24')]);
  assert.ok(await until(() => !s.fib().has('0|10.1.0.0/24')), 'VPP applied the delete');
  await timeOut(t, s);
  s.r.apply(1, [route('add', '10.1.0.0/24')]); // zebra adds it back, same next hop
  assert.ok(await until(() => s.fib().has('0|10.1.0.0/24') && s.r.state().vppReady && s.r.state().backlog === 0), `the route is back in VPP: ${JSON.stringify([...s.fib()])}`);
  assert.deepEqual(s.fib().get('0|10.1.0.0/24'), paths('10.0.2.2'));
  assert.notEqual(s.client.index, firstClient, 'the session that timed out was reset');
  assert.equal(s.r.explain(0, parsePrefix('10.1.0.0/24')).state, 'in-sync');
  assert.equal(s.r.state().counters.errors, 0, 'a timeout is not counted as a refusal');
});

test('a replace VPP applied late, then zebra goes back to the old paths: VPP gets the old paths again', async (t) => {
  const s = await installed(t);
  swallowNextWrite(s);
  s.r.apply(1, [route('add', '10.1.0.0/24', '10.0.9.9')]);
  assert.ok(await until(() => s.fib().get('0|10.1.0.0/24')?.[0] === paths('10.0.9.9')[0]), 'VPP applied the replace');
  await timeOut(t, s);
  s.r.apply(1, [route('add', '10.1.0.0/24', '10.0.2.2')]);
  assert.ok(await until(() => s.fib().get('0|10.1.0.0/24')?.[0] === paths('10.0.2.2')[0] && s.r.state().backlog === 0), `VPP holds zebra's paths: ${JSON.stringify(s.fib().get('0|10.1.0.0/24'))}`);
  assert.deepEqual(s.fib().get('0|10.2.0.0/24'), paths('10.0.2.2'), 'the other route is untouched');
});

test('the session reset reads VPP back: a timed-out delete VPP did apply is not redone, the rest of the table stays', async (t) => {
  const s = await installed(t);
  swallowNextWrite(s);
  s.r.apply(1, [route('del', '10.2.0.0/24')]);
  assert.ok(await until(() => !s.fib().has('0|10.2.0.0/24')));
  await timeOut(t, s);
  assert.ok(await until(() => s.r.state().vppReady && s.r.state().backlog === 0));
  assert.deepEqual([...s.fib().keys()], ['0|10.1.0.0/24']);
  assert.equal(s.r.state().installed, 1);
});

test('without a session reset, the unknown state alone makes the next write go out (a port that cannot reset)', async () => {
  const port = new FakePort();
  const clock = new FakeClock();
  const r = reconciler(port, { resyncGraceMs: 3000, deleteHoldMs: 0, clock });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [route('add', '10.1.0.0/24')]);
  clock.advance(3000);
  assert.ok(await until(() => r.state().backlog === 0 && port.fib.size === 1));
  // the delete is applied, but its answer is a timeout; VPP is held so that the route's state can be looked at
  port.failWith = (op) => (op.op === 'remove' ? new VppTimeoutError('ip_route_add_del_v2', 1000, null) : null);
  port.hold = true;
  r.apply(1, [route('del', '10.1.0.0/24')]);
  assert.ok(await until(() => port.release() === 1));
  const explained = r.explain(0, parsePrefix('10.1.0.0/24'));
  const installedThen = r.state().installed;
  await new Promise((res) => queueMicrotask(() => res(null)));
  port.failWith = null;
  port.fib.delete('0|10.1.0.0/24'); // VPP did apply it
  const writes = port.ops.length;
  r.apply(1, [route('add', '10.1.0.0/24')]); // zebra adds it back before the delete was written again
  port.hold = false;
  port.release();
  assert.ok(await until(() => port.fib.has('0|10.1.0.0/24') && r.state().backlog === 0), 'the re-add is written');
  assert.equal(port.ops.length - writes, 1);
  assert.equal(r.state().installed, 1);
  assert.equal(explained.installed, '(unknown)');
  assert.equal(installedThen, 0, 'a route in an unknown state is not reported installed');
  assert.equal(port.resets.length, 1, 'the session is reset');
  assert.equal(r.state().counters.timeouts, 1);
  // a refusal stays a refusal: retried, counted as an error, no reset
  port.failWith = () => new VppRetvalError('ip_route_add_del_v2', -7, null);
  r.apply(1, [route('add', '10.1.0.0/24', '10.0.7.7')]);
  assert.ok(await until(() => r.state().counters.errors === 1));
  assert.equal(port.resets.length, 1);
  port.failWith = null;
  await r.stop();
});
