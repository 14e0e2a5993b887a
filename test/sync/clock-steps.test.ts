// Steps of the system clock (NTP, an operator's `date`) move the wall clock, not the time fibmgr
// measures with (issue 26, item 11): a backward step must not hold deletes back, a forward step
// must not end a stale wait early; the times shown to people follow the wall clock. Date.now is
// stepped too, for code that would still read it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Reconciler, ReconcilerOptions } from '../../src/sync/reconciler.js';
import type { RouteEventRoute } from '../../src/route/types.js';
import { FakePort } from '../helpers/fake-port.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/sim-stack.js';
import { nexthop, reconciler, route as build } from '../helpers/builders.js';

const HOUR = 3_600_000;
function route(op: 'add' | 'del', prefix: string, protocol = 'static'): RouteEventRoute {
  return build({ op, prefix, protocol, type: 'unicast', via: '10.0.2.2' });
}

function make(port: FakePort, o: Partial<ReconcilerOptions>): Reconciler {
  return reconciler(port, { resyncGraceMs: 3000, ...o });
}

/** Steps the system clock: Date.now() jumps by `ms` from now on (and the fake clock's wall with it). */
function stepSystemClock(t: TestContext, ms: number, clock?: FakeClock): void {
  const real = Date.now.bind(Date);
  t.mock.method(Date, 'now', () => real() + ms);
  clock?.stepWall(ms);
}


test('a backward step of the system clock does not hold deletes back', async (t) => {
  const port = new FakePort();
  const clock = new FakeClock();
  const r = make(port, { clock, deleteHoldMs: 50 });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [route('add', '10.1.0.0/24'), route('add', '10.2.0.0/24')]);
  clock.advance(3000);
  assert.ok(await until(() => port.fib.size === 2));
  r.apply(1, [route('del', '10.1.0.0/24')]);
  stepSystemClock(t, -HOUR, clock);
  r.apply(1, [route('del', '10.2.0.0/24')]);
  assert.ok(await until(() => port.count('remove') === 0 && r.state().backlog === 2), 'held for the hold time');
  clock.advance(50);
  assert.ok(await until(() => port.fib.size === 0, 2000), 'both deletes go out once the hold time has passed on the monotonic clock');
  assert.equal(port.count('remove'), 2);
});

test('a forward step of the system clock during a replay does not end the stale wait at the quiet period', async (t) => {
  // the real clock (no clock injected): what the daemon runs on
  const port = new FakePort();
  const r = make(port, { resyncGraceMs: 30, staleTimeMs: 600_000, deleteHoldMs: 0 });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [route('add', '0.0.0.0/0', 'kernel'), route('add', '10.100.0.0/24', 'bgp')]);
  assert.ok(await until(() => !r.state().resyncing && port.fib.size === 2));
  r.sessionEnd(1, 'zebra killed');
  r.sessionStart(2);
  r.apply(2, [route('add', '0.0.0.0/0', 'kernel')]); // zebra restarted: BGP not back yet
  stepSystemClock(t, 2 * HOUR);
  assert.ok(await until(() => r.state().stale?.phase === 'stale-wait' || !r.state().resyncing), 'the quiet period ends');
  assert.equal(r.state().stale?.phase, 'stale-wait', 'the stale time has not passed: fibmgr waits for BGP');
  assert.ok(port.fib.has('0|10.100.0.0/24'), 'the BGP route keeps forwarding');
  const left = Date.parse(r.state().stale!.until) - Date.now();
  assert.ok(left > 500_000 && left <= 600_000, `"until" is read on the stepped wall clock: ${left} ms left`);
  await r.stop();
});

test('the stale wait\'s times shown follow the wall clock; its deadline does not move', async () => {
  const port = new FakePort();
  const clock = new FakeClock();
  clock.advance(1_700_000_000_000); // a plausible wall time at start
  const r = make(port, { clock, staleTimeMs: 120_000, deleteHoldMs: 0 });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [route('add', '0.0.0.0/0', 'kernel'), route('add', '10.100.0.0/24', 'bgp')]);
  clock.advance(3000);
  assert.ok(await until(() => port.fib.size === 2));
  r.sessionStart(2);
  r.apply(2, [route('add', '0.0.0.0/0', 'kernel')]);
  clock.advance(3000);
  const before = Date.parse(r.state().stale!.until);
  clock.stepWall(-HOUR);
  assert.equal(Date.parse(r.state().stale!.until), before - HOUR, 'shown on the wall clock as it reads now');
  clock.advance(117_000 - 1);
  assert.ok(await until(() => r.state().backlog === 0));
  assert.ok(port.fib.has('0|10.100.0.0/24'), 'not swept before the stale time, whatever the wall clock says');
  clock.advance(1);
  assert.ok(await until(() => !port.fib.has('0|10.100.0.0/24')), 'swept when the stale time has passed');
});

test('when a route was left out is shown on the injected clock\'s wall time, stepped with it', async () => {
  const port = new FakePort();
  const clock = new FakeClock();
  clock.advance(1_700_000_000_000);
  clock.stepWall(-HOUR);
  const r = make(port, { clock });
  await r.start();
  r.sessionStart(1);
  // a connected route (kernel, interface-only): left out, VPP has its own
  r.apply(1, [build({ op: 'add', prefix: '10.3.0.0/24', protocol: 'kernel', type: 'unicast', via: [nexthop(null, 2)] })]);
  const shown = await r.showRoute('10.3.0.0/24', 254);
  assert.equal(shown.skipped?.reason, 'connected');
  assert.equal(shown.skipped?.at, new Date(clock.wall()).toISOString());
});

test('the sync layer reads time only through its clock (src/sync/clock.ts)', () => {
  const dir = new URL('../../src/sync/', import.meta.url);
  const direct = /\bDate\.now\(|\bperformance\.now\(|\bsetTimeout\(|\bsetInterval\(|\bnew Date\(\)/;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('clock.ts'))) {
    const lines = readFileSync(new URL(name, dir), 'utf8').split('\n');
    lines.forEach((line, i) => assert.ok(!direct.test(line), `src/sync/${name}:${i + 1}: ${line.trim()}`));
  }
});
