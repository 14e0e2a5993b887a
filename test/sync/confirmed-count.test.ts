// The judgement of a replay that confirmed every route walks nothing (route-state.ts counts the
// routes confirmed in the current generation): a walk of a full table stopped fibmgr for 150–210 ms
// while its writes were still going out (bench:real, run O). The count must equal what a walk
// would find, whatever zebra sends: a seeded random walk through sessions, adds, changes, deletes,
// re-adds, replays missing some routes, and the sweeps their judgements cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEvent, RouteEventRoute } from '../../src/route/types.js';
import type { Reconciler } from '../../src/sync/reconciler.js';
import type { RouteState } from '../../src/sync/state/route-state.js';
import { FakePort } from '../helpers/fake-port.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { nexthop, reconciler, route as build, written } from '../helpers/builders.js';

const GRACE = 3000;

/** Route i; via 7 names an interface VPP does not have (unmappable: it wants nothing, keeps its next hops). */
function route(i: number, op: 'add' | 'del' = 'add', via = 2, protocol = i % 3 === 0 ? 'static' : 'bgp'): RouteEventRoute {
  const prefix = i % 4 === 0 ? `2001:db8:${i.toString(16)}::/48` : `10.${i >> 8}.${i & 255}.0/24`;
  // one route in seven in a table of its own (a `table N` one: kept when a replay does not mention it)
  return build({ prefix, op, protocol, table: i % 7 === 0 ? 5 : 254, type: 'unicast', via: [via === 7 ? nexthop(null, 7) : nexthop(prefix.includes(':') ? `2001:db8::${via}` : `10.0.2.${via}`)] });
}

/** The reconciler's route state (internals: what the count stands for). */
const inner = (r: Reconciler) => r as unknown as { store: RouteState };

/** What a walk finds: routes that want something, and those of them confirmed in the current generation. */
function walked(r: Reconciler): { desired: number; confirmed: number; unmappable: number } {
  const { store } = inner(r);
  const gen = store.generation;
  let desired = 0;
  let confirmed = 0;
  let unmappable = 0;
  store.routes.forEach((e) => {
    if (e.want === null) {
      if (e.hops !== null) unmappable++;
      return;
    }
    desired++;
    if (e.gen === gen) confirmed++;
  });
  return { desired, confirmed, unmappable };
}

function setup() {
  const port = new FakePort();
  const clock = new FakeClock();
  const r = reconciler(port, { resyncGraceMs: GRACE, staleTimeMs: 60_000, maxBacklog: 100_000, deleteHoldMs: 0, clock });
  const check = (why: string) => {
    const w = walked(r);
    const { store } = inner(r);
    const gen = store.generation;
    assert.equal(store.desired, w.desired, `${why}: desired`);
    assert.equal(store.confirmedDesired, w.confirmed, `${why}: confirmed`);
    assert.equal(store.allConfirmed(gen), w.confirmed === w.desired, `${why}: all confirmed`);
    assert.equal(store.unmappable, w.unmappable, `${why}: unmappable`);
  };
  /** A session whose replay is `events`, applied and written (not judged yet). */
  const send = async (session: number, events: RouteEvent[]) => {
    r.sessionStart(session);
    r.apply(session, events);
    await written(r, port);
  };
  /** The quiet period ends: the replay is judged and the resync ends; the full-table walks meanwhile. */
  const judged = () => walks(r, async () => { clock.advance(GRACE); await written(r, port); });
  return { port, clock, r, check, send, judged };
}

/** Counts the full-table walks while `fn` runs. */
async function walks(r: Reconciler, fn: () => Promise<void> | void): Promise<number> {
  const table = inner(r).store.routes;
  const real = table.forEach.bind(table);
  let n = 0;
  table.forEach = (f) => { n++; real(f); };
  try {
    await fn();
  } finally {
    table.forEach = real;
  }
  return n;
}

test('a replay that confirms every route is judged without a walk of the table; one that misses a route walks and sweeps it', async () => {
  const { port, r, check, send, judged } = setup();
  await r.start();
  const all = Array.from({ length: 200 }, (_, i) => route(i));
  await send(1, all);
  check('first replay');
  assert.equal(await judged(), 0, 'the first sync\'s judgement walked the table');
  assert.equal(r.state().lastResync?.swept, 0);
  assert.equal(r.state().lastResync?.refreshed, 200, 'the routes the replay confirmed, as a walk counts them');
  // an unchanged replay: the same
  await send(2, all);
  check('unchanged replay');
  assert.equal(await judged(), 0, 'the unchanged resync\'s judgement walked the table');
  assert.equal(r.state().lastResync?.refreshed, 200);
  // a replay without route 7 (its group complete otherwise): walked, and 7 swept
  await send(3, all.filter((_, i) => i !== 7));
  check('replay missing one');
  assert.ok(await judged() > 0, 'a replay that missed a route was not walked');
  check('after the sweep');
  assert.equal(port.fib.has(`0|${all[7]!.prefix}`), false, 'the route zebra no longer has is swept');
  assert.equal(inner(r).store.desired, 199);
});

test('an unmappable route zebra\'s next replay leaves out is still forgotten at the resync\'s end (a walk); with none, no walk', async () => {
  const { r, check, send, judged } = setup();
  await r.start();
  const all = Array.from({ length: 50 }, (_, i) => route(i));
  await send(1, [...all, route(101, 'add', 7)]);
  await judged();
  check('first replay, one unmappable');
  assert.equal(inner(r).store.unmappable, 1);
  await send(2, all);
  assert.ok(await judged() > 0, 'the resync\'s end did not look for it');
  check('second replay, without it');
  assert.equal(inner(r).store.unmappable, 0, 'the unmappable route zebra no longer has is forgotten');
  await send(3, all);
  assert.equal(await judged(), 0);
});

test('the count is what a walk finds, whatever zebra sends (seeded random sessions)', async () => {
  let seed = 20261206;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const { port, clock, r, check } = setup();
  await r.start();
  const N = 120;
  // zebra in sight (the same process, or another: a restart whose routes wait) or not
  const processes = ['100@1', '100@1', '200@2', null] as const;
  for (let session = 1; session <= 16; session++) {
    r.sessionStart(session, processes[rnd(processes.length)]!);
    const events: RouteEvent[] = [];
    // a replay of most routes (some missing), with changes, deletes and re-adds mixed in
    for (let i = 0; i < N; i++) {
      const k = rnd(10);
      if (k === 0) continue; // not replayed
      events.push(route(i, 'add', 2 + rnd(3)));
      if (k === 1) events.push(route(i, 'del'));
      if (k === 2) events.push(route(i, 'del'), route(i, 'add', 5));
      if (k === 3) events.push(route(i, 'add', 7)); // unmappable from now on
      if (k === 4 && rnd(2) === 0) events.push(route(i, 'add', 7), route(i, 'add', 3)); // and mappable again
    }
    for (let start = 0; start < events.length; ) {
      const n = 1 + rnd(40);
      r.apply(session, events.slice(start, start + n));
      start += n;
      check(`session ${session}, after ${start} events`);
      if (rnd(4) === 0) await written(r, port);
    }
    await written(r, port);
    clock.advance(GRACE);
    await written(r, port);
    check(`session ${session}, judged`);
    // after the judgement: zebra's later changes, and sometimes the stale time running out
    for (let j = 0; j < 10; j++) r.apply(session, [route(rnd(N), rnd(3) === 0 ? 'del' : 'add', 2 + rnd(6))]);
    await written(r, port);
    check(`session ${session}, later changes`);
    if (rnd(3) === 0) {
      clock.advance(60_000);
      await written(r, port);
      check(`session ${session}, stale time over`);
    }
  }
});
