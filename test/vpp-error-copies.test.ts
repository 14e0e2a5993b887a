// fibmgr tells VPP errors apart by the package's predicates (code), not by class identity: an
// error from another copy of vpp-binapi-ts (a duplicate install, a library handing fibmgr's port
// its own client) is still a timeout, a lost session or a CRC mismatch (issue 23).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VppCrcMismatchError, VppDisconnectedError, VppTimeoutError } from 'vpp-binapi-ts';
import type { Reconciler } from '../src/sync/reconciler.js';
import { connectVpp } from '../src/vpp-connect.js';
import type { RouteEventRoute } from '../src/route/types.js';
import { FakePort } from './helpers/fake-port.js';
import { reconciler, route as build } from './helpers/builders.js';
import { parsePrefix } from '../src/route/prefix.js';
import { FakeClock } from './helpers/fake-clock.js';
import { until } from './helpers/sim-stack.js';

/** What another copy of the package throws: a class of its own (instanceof fails), the same name and code. */
class OtherCopyError extends Error {
  constructor(name: string, readonly code: string, message: string) {
    super(message);
    this.name = name;
  }
}
const otherTimeout = () => new OtherCopyError('VppTimeoutError', 'VPP_TIMEOUT', 'ip_route_add_del_v2: no reply from VPP within 1000 ms');
const otherDisconnected = () => new OtherCopyError('VppDisconnectedError', 'VPP_DISCONNECTED', 'ip_route_add_del_v2: VPP session lost before the reply');

function route(op: 'add' | 'del', prefix: string): RouteEventRoute {
  return build({ op, prefix, type: 'unicast', via: '10.0.2.2' });
}

async function started(): Promise<{ r: Reconciler; port: FakePort }> {
  const port = new FakePort();
  const clock = new FakeClock();
  const r = reconciler(port, { resyncGraceMs: 3000, deleteHoldMs: 0, clock });
  await r.start();
  r.sessionStart(1);
  clock.advance(3000);
  return { r, port };
}

test('the stand-in is what a second copy looks like: instanceof fails, the code is the package\'s', () => {
  assert.ok(!(otherTimeout() instanceof VppTimeoutError));
  assert.equal(otherTimeout().code, new VppTimeoutError('x', 1, null).code);
  assert.equal(otherDisconnected().code, new VppDisconnectedError('x', 'y').code);
});

test('a write timing out with another copy\'s error is a timeout: the state is unknown and the session reset, not a refusal', async () => {
  const { r, port } = await started();
  port.failWith = () => otherTimeout();
  r.apply(1, [route('add', '10.1.0.0/24')]);
  assert.ok(await until(() => r.state().counters.timeouts === 1), 'counted as a timeout');
  assert.equal(port.resets.length, 1, 'the session that did not answer is reset');
  assert.equal(r.state().counters.errors, 0, 'not a refusal');
  assert.equal(r.explain(0, parsePrefix('10.1.0.0/24')).installed, '(unknown)');
  port.failWith = null;
  await r.stop();
});

test('a write lost with the session, as another copy says it: left to the reconnect\'s diff, not counted as a refusal', async () => {
  const { r, port } = await started();
  port.failWith = () => otherDisconnected();
  port.hold = true;
  r.apply(1, [route('add', '10.1.0.0/24')]);
  assert.ok(await until(() => port.ops.length === 1));
  assert.equal(port.release(), 1, 'the write completes, with the error');
  assert.equal(r.state().counters.errors, 0);
  assert.equal(r.state().retrying, 0, 'no retry scheduled: the diff after the reconnect redoes it');
  port.failWith = null;
  await r.stop();
});

test('a CRC mismatch from another copy is thrown at once by the first connect, not retried', async () => {
  const mismatch = Object.assign(new OtherCopyError('VppCrcMismatchError', 'VPP_CRC_MISMATCH', 'VPP API mismatch'), { mismatches: [] });
  assert.ok(!(mismatch instanceof VppCrcMismatchError));
  let connects = 0;
  const client = { connect: async () => { connects++; throw mismatch; } };
  // a second attempt would mean it was taken for VPP not being there yet: stop there
  await assert.rejects(connectVpp(client, () => connects >= 2), (e) => e === mismatch);
  assert.equal(connects, 1);
});
