// The stale rule as a state of its own (issue 26, items 2, 3, 4, 7 and 9): scripted timelines on
// a fake clock, the reconciler against a fake VPP port. Each case is one way the old rule removed
// a route zebra still had (or kept one it no longer had, forever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeReplay, lspWaitUntil, type GroupReplay, type Verdict, type ZebraRelation } from '../../src/sync/zebra/stale-rule.js';
import { pathsKey } from '../../src/sync/vpp/vpp-fields.js';
import type { AdoptSink, VppRouteSpec } from '../../src/sync/vpp/vpp-port.js';
import type { RouteEvent, RouteEventRoute } from '../../src/route/types.js';
import { FakePort } from '../helpers/fake-port.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { nexthop, path, reconciler, route as build, written } from '../helpers/builders.js';

const GRACE = 3000;
const STALE = 60_000;

function route(prefix: string, protocol: string, table = 254, op: 'add' | 'del' = 'add'): RouteEventRoute {
  return build({ prefix, op, protocol, table, type: 'unicast', via: [nexthop(prefix.includes(':') ? '2001:db8::2' : '10.0.2.2')] });
}
const kernel = (table = 254) => route(table === 254 ? '0.0.0.0/0' : `192.0.${table}.0/24`, 'kernel', table);
const stat = (i: number, proto = 'static') => route(`10.1.${i}.0/24`, proto);
const bgp = (i: number, table = 254, proto = 'bgp') => route(`10.${100 + (i >> 8)}.${i & 255}.0/24`, proto, table);
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
/** The fake port's key of a route: its VPP table (254 is 0) and prefix. */
const key = (r: RouteEventRoute) => `${r.table === 254 ? 0 : r.table}|${r.prefix}`;


function setup(port: FakePort = new FakePort()) {
  const clock = new FakeClock();
  const r = reconciler(port, { resyncGraceMs: GRACE, staleTimeMs: STALE, maxBacklog: 100_000, deleteHoldMs: 0, clock });
  /** Routes removed from VPP so far, by key. */
  const removed = () => port.ops.filter((o) => o.op === 'remove').map((o) => o.key);
  /** Every route of `rs` is in VPP (fails naming those that are not). */
  const inVpp = (rs: RouteEventRoute[], why: string) => assert.deepEqual(rs.map(key).filter((k) => !port.fib.has(k)), [], why);
  /** A session whose replay is sent and has gone quiet, with its writes acknowledged. */
  const replay = async (session: number, events: RouteEvent[]) => {
    r.sessionStart(session);
    r.apply(session, events);
    clock.advance(GRACE);
    await written(r, port);
  };
  /** Moves the clock, then lets the writes it caused finish. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await written(r, port);
  };
  return { port, clock, r, removed, inVpp, replay, advance };
}

/** A group as the replay left it: one unconfirmed route unless said. */
const g = (protocol: string, mentioned: boolean, waiting = false, unconfirmed = 1): GroupReplay => ({ protocol, unconfirmed, mentioned, waiting });

/** judgeReplay, case by case: the groups as the replay left them, how it ended, which zebra (out of sight unless said). */
const VERDICTS: { name: string; groups: GroupReplay[]; end: 'quiet' | 'cut'; zebra?: ZebraRelation; want: Verdict }[] = [
  { name: 'a reconnect: every group mentioned is complete, swept', groups: [g('kernel', true), g('bgp', true)], end: 'quiet', want: { kind: 'reconnect', decisions: ['sweep', 'sweep'] } },
  { name: 'a group missing: zebra restarted, every group waits', groups: [g('kernel', true), g('bgp', false)], end: 'quiet', want: { kind: 'restart', decisions: ['wait', 'wait'] } },
  { name: 'a cut tells nothing: every group waits', groups: [g('kernel', true), g('bgp', true)], end: 'cut', want: { kind: 'cut', decisions: ['wait', 'wait'] } },
  { name: 'legacy `zebra` and adopted routes cannot show completeness; adopted ones missing are no restart', groups: [g('kernel', true), g('zebra', true), g('', false)], end: 'quiet', want: { kind: 'reconnect', decisions: ['sweep', 'wait', 'wait'] } },
  { name: 'a wait under way continues in a reconnect', groups: [g('static', true), g('bgp', true, true)], end: 'quiet', want: { kind: 'reconnect', decisions: ['sweep', 'continue'] } },
  { name: 'a restart extends a wait under way (wait, not continue)', groups: [g('static', false), g('bgp', true, true)], end: 'quiet', want: { kind: 'restart', decisions: ['wait', 'wait'] } },
  { name: 'a legacy `zebra` group missing is a restart (only adopted routes say nothing)', groups: [g('kernel', true), g('zebra', false)], end: 'quiet', want: { kind: 'restart', decisions: ['wait', 'wait'] } },
  { name: 'a group missing with nothing unconfirmed is no evidence of a restart', groups: [g('kernel', true), g('bgp', false, false, 0)], end: 'quiet', want: { kind: 'reconnect', decisions: ['sweep', 'sweep'] } },
  { name: 'no groups: a reconnect with nothing to decide', groups: [], end: 'quiet', want: { kind: 'reconnect', decisions: [] } },
  { name: 'no groups, cut: still a cut', groups: [], end: 'cut', want: { kind: 'cut', decisions: [] } },
  // zebra in sight: the process decides, not the replay
  { name: 'another zebra process is a restart whatever its first burst holds', groups: [g('kernel', true), g('bgp', true)], end: 'quiet', zebra: 'other', want: { kind: 'restart', decisions: ['wait', 'wait'] } },
  { name: 'the same process is a reconnect whatever it lacks', groups: [g('kernel', true), g('bgp', false)], end: 'quiet', zebra: 'same', want: { kind: 'reconnect', decisions: ['sweep', 'sweep'] } },
  { name: 'the same process: legacy `zebra` still waits, a wait under way continues', groups: [g('kernel', true), g('bgp', false), g('zebra', false), g('ospf', true, true)], end: 'quiet', zebra: 'same', want: { kind: 'reconnect', decisions: ['sweep', 'sweep', 'wait', 'continue'] } },
  { name: 'the same process, cut: a cut', groups: [g('kernel', true), g('bgp', true)], end: 'cut', zebra: 'same', want: { kind: 'cut', decisions: ['wait', 'wait'] } },
  { name: 'the same process relearning (restarted less than the stale time ago) is still the restart', groups: [g('kernel', true), g('bgp', true, true)], end: 'quiet', zebra: 'relearning', want: { kind: 'restart', decisions: ['wait', 'wait'] } },
  { name: '`unknown` given is the guess from the replay, as when not given', groups: [g('kernel', true), g('bgp', false)], end: 'quiet', zebra: 'unknown', want: { kind: 'restart', decisions: ['wait', 'wait'] } },
];

test('the rule, group by group (judgeReplay), zebra out of sight and in sight', async (t) => {
  for (const c of VERDICTS) {
    await t.test(c.name, () => {
      assert.deepEqual(c.zebra === undefined ? judgeReplay(c.groups, c.end) : judgeReplay(c.groups, c.end, c.zebra), c.want);
    });
  }
});

test('flap mid-wait: zebra restarts, bgpd relearns half, the FPM connection flaps; the new session continues the wait and never sweeps the half not yet relearned', async () => {
  const { r, clock, removed, inVpp, replay, advance } = setup();
  await r.start();
  const statics = range(10).map((i) => stat(i));
  const bgps = range(200).map((i) => bgp(i));
  await replay(1, [kernel(), ...statics, ...bgps]);
  r.sessionEnd(1, 'zebra killed');
  const t2 = clock.t;
  await replay(2, [kernel()]); // zebra's own routes first
  assert.equal(r.state().stale!.phase, 'stale-wait');
  await advance(5000);
  r.apply(2, [...statics, ...bgps.slice(0, 100)]); // staticd back, bgpd half way
  await advance(5000);
  r.sessionEnd(2, 'connection reset'); // FRR 10.3 resets a connection blocked for 15 s
  await replay(3, [kernel(), ...statics, ...bgps.slice(0, 100)]); // it replays what it has
  assert.deepEqual(removed(), [], 'the new session swept routes bgpd had not relearned yet');
  inVpp([...statics, ...bgps], 'every route is still in VPP');
  assert.equal(r.state().stale!.held, 100);
  assert.equal(Date.parse(r.state().stale!.until), t2 + STALE, 'the wait keeps the restart\'s deadline');
  await advance(10_000);
  r.apply(3, bgps.slice(100, 199)); // the peer withdrew the last one while zebra was down
  await advance(0);
  assert.deepEqual(removed(), []);
  assert.equal(r.state().stale!.held, 1);
  await advance(t2 + STALE - clock.t - 1);
  assert.deepEqual(removed(), [], 'held until the deadline');
  await advance(1);
  assert.deepEqual(removed(), [key(bgps[199]!)]);
  assert.equal(r.state().resyncing, false);
});

test('cut mid-replay: the session that ends before its replay goes quiet arms the stale timer; a zebra restarted an hour later gets its own deadline', async () => {
  const { r, clock, removed, inVpp, replay, advance } = setup();
  await r.start();
  await replay(1, [kernel(), stat(0), stat(1), stat(2)]);
  const t2 = clock.t;
  r.sessionStart(2);
  r.apply(2, [kernel(), stat(0), stat(1)]);
  await advance(1000);
  r.sessionEnd(2, 'connection closed'); // before its replay went quiet
  assert.equal(r.state().resyncing, true);
  assert.equal(Date.parse(r.state().stale!.until), t2 + STALE, 'a deadline is armed');
  await advance(STALE - 1000 - 1);
  assert.deepEqual(removed(), []);
  await advance(1);
  assert.deepEqual(removed(), [key(stat(2))], 'what the cut replay did not confirm goes at the stale time');
  assert.equal(r.state().resyncing, false, 'no unbounded resync: audits and /readyz are not blocked');
  await advance(3600_000);
  const t3 = clock.t;
  await replay(3, [kernel()]); // a restarted zebra, an hour later
  assert.equal(r.state().stale!.phase, 'stale-wait');
  assert.equal(Date.parse(r.state().stale!.until), t3 + STALE, 'its own deadline, not one inherited from the cut session');
  inVpp([stat(0), stat(1)], 'held while zebra relearns');
  await advance(5000);
  r.apply(3, [stat(0), stat(1)]);
  await advance(0);
  assert.equal(r.state().resyncing, false);
  assert.deepEqual(removed(), [key(stat(2))]);
});

test('two restarts: a second zebra restart during a wait gets the full stale time for the routes it must relearn, not what is left of the first wait', async () => {
  const { r, clock, removed, inVpp, replay, advance } = setup();
  await r.start();
  const statics = range(3).map((i) => stat(i));
  const bgps = range(100).map((i) => bgp(i));
  await replay(1, [kernel(), ...statics, ...bgps]);
  const t2 = clock.t;
  await replay(2, [kernel()]);
  await advance(20_000);
  r.apply(2, [...statics, ...bgps.slice(0, 50)]);
  await advance(10_000);
  r.sessionEnd(2, 'zebra killed again');
  const t3 = clock.t;
  await replay(3, [kernel()]);
  assert.equal(Date.parse(r.state().stale!.until), t3 + STALE);
  await advance(t2 + STALE - clock.t + 1);
  assert.deepEqual(removed(), [], 'nothing goes at the first restart\'s deadline');
  inVpp([...statics, ...bgps], 'every route is still in VPP');
  r.apply(3, [...statics, ...bgps.slice(0, 99)]);
  await advance(0);
  assert.deepEqual(removed(), []);
  await advance(t3 + STALE - clock.t);
  assert.deepEqual(removed(), [key(bgps[99]!)]);
  assert.equal(r.state().resyncing, false);
});

test('legacy module: every daemon\'s routes are `zebra`; one in the first burst after a restart does not make the rest complete', async () => {
  const { r, clock, removed, inVpp, replay, advance } = setup();
  await r.start();
  const statics = range(3).map((i) => stat(i, 'zebra'));
  const bgps = range(50).map((i) => bgp(i, 254, 'zebra'));
  await replay(1, [kernel(), ...statics, ...bgps]);
  const t2 = clock.t;
  await replay(2, [kernel(), statics[0]!]);
  assert.deepEqual(removed(), [], 'nothing is swept at the quiet period');
  assert.deepEqual(r.state().stale!.missing, ['zebra ipv4 table 0']);
  await advance(20_000);
  r.apply(2, [...statics, ...bgps.slice(0, 49)]);
  await advance(0);
  inVpp([...statics, ...bgps], 'every route is still in VPP');
  await advance(t2 + STALE - clock.t);
  assert.deepEqual(removed(), [key(bgps[49]!)], 'the one zebra never re-sent goes at the stale time');
  // a plain reconnect that re-sends everything: no wait at all
  await replay(3, [kernel(), ...statics, ...bgps.slice(0, 49)]);
  assert.equal(r.state().resyncing, false);
});

test('per (table, family, protocol): default-VRF BGP in the first burst does not complete another VRF\'s BGP, nor IPv4 OSPF the IPv6 OSPF (one rtm_protocol)', async () => {
  const { r, clock, removed, inVpp, replay, advance } = setup();
  await r.start();
  const bgp0 = range(5).map((i) => bgp(i));
  const bgp10 = range(5).map((i) => bgp(i, 10));
  const ospf4 = [route('10.50.0.0/24', 'ospf'), route('10.50.1.0/24', 'ospf')];
  const ospf6 = [route('2001:db8:50::/48', 'ospf'), route('2001:db8:51::/48', 'ospf')];
  const kernel6 = route('2001:db8:ffff::/64', 'kernel');
  await replay(1, [kernel(), kernel(10), kernel6, ...bgp0, ...bgp10, ...ospf4, ...ospf6]);
  const t2 = clock.t;
  await replay(2, [kernel(), kernel(10), kernel6, ...bgp0, ...ospf4]); // the first burst after a restart
  assert.deepEqual(removed(), []);
  assert.deepEqual([...r.state().stale!.missing].sort(), ['bgp ipv4 table 10', 'ospf ipv6 table 0']);
  inVpp([...bgp10, ...ospf6], 'the other VRF\'s BGP and the IPv6 OSPF are held');
  await advance(10_000);
  r.apply(2, [...bgp10.slice(0, 4), ...ospf6]);
  await advance(t2 + STALE - clock.t);
  assert.deepEqual(removed(), [key(bgp10[4]!)]);
  assert.equal(r.state().resyncing, false);
});

/** A port whose dump of our routes stops after `pauseAt` routes until `go()`: an adoption slower than zebra's replay. */
class SlowAdoptPort extends FakePort {
  pauseAt = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((res) => (this.open = res));
  go(): void {
    this.open();
  }
  override async prepare(adopt: AdoptSink) {
    adopt.begin(this.ownership);
    for (let i = 0; i < this.installed.length; i++) {
      if (i === this.pauseAt) await this.gate;
      adopt.route(this.installed[i]!);
    }
    return { ownership: this.ownership, installed: this.installed.length };
  }
}

test('slow adoption: routes adopted from VPP after zebra\'s replay was judged are still judged: swept at the stale time unless zebra confirms them', async () => {
  const port = new SlowAdoptPort();
  const spec = (r: RouteEventRoute): VppRouteSpec => ({ family: 4, table: 0, prefix: r.prefix, paths: [path({ gateway: '10.0.2.2' })] });
  const gone1 = stat(91);
  const gone2 = stat(92);
  port.installed = [spec(stat(1)), spec(gone1), spec(stat(2)), spec(gone2)];
  for (const s of port.installed) port.fib.set(`0|${s.prefix}`, pathsKey(s.paths));
  port.pauseAt = 2;
  const { r, clock, removed, advance } = setup(port);
  const started = r.start();
  await new Promise((res) => setImmediate(res));
  const t1 = clock.t;
  r.sessionStart(1);
  r.apply(1, [kernel(), stat(1), stat(2)]);
  clock.advance(GRACE); // judged while VPP's routes still stream in
  assert.equal(r.state().resyncing, true, 'the adoption still streaming holds the resync open');
  assert.equal(r.state().stale!.phase, 'stale-wait');
  port.go();
  await started;
  await advance(0);
  assert.deepEqual(removed(), []);
  assert.equal(r.state().stale!.held, 2, 'the route adopted after the judgement waits too');
  await advance(t1 + STALE - clock.t);
  assert.deepEqual(removed().sort(), [key(gone1), key(gone2)]);
  assert.equal(port.fib.has(key(stat(1))) && port.fib.has(key(stat(2))), true);
  assert.equal(r.state().resyncing, false);
});

test('quiet gap in a replay (zebra stalled): a table first mentioned after the judgement is not swept before it is replayed, and what stays unconfirmed there goes at its stale time', async () => {
  const { r, clock, removed, inVpp, replay, advance } = setup();
  await r.start();
  const statics = [stat(1), stat(2)];
  const bgp0 = range(3).map((i) => bgp(i));
  const bgp10 = range(3).map((i) => bgp(i, 10));
  await replay(1, [kernel(), ...statics, ...bgp0, kernel(10), ...bgp10]);

  // a reconnect whose replay stalls right after table 10's first route, for longer than the grace
  await replay(2, [kernel(), ...statics, ...bgp0, kernel(10)]);
  assert.deepEqual(removed(), [], 'table 10\'s BGP routes, not replayed yet, were swept');
  inVpp(bgp10, 'table 10 is held');
  await advance(10_000);
  r.apply(2, bgp10);
  await advance(0);
  assert.equal(r.state().resyncing, false);

  // a reconnect that stalls before table 10: it comes after the judgement, and one of its routes
  // was deleted while the connection was down
  await replay(3, [kernel(), ...statics, ...bgp0]);
  await advance(10_000);
  const tLate = clock.t;
  r.apply(3, [kernel(10), ...bgp10.slice(0, 2)]);
  await advance(GRACE);
  assert.deepEqual(removed(), []);
  assert.equal(r.state().stale!.held, 1);
  await advance(tLate + STALE - clock.t);
  assert.deepEqual(removed(), [key(bgp10[2]!)], 'a table first mentioned after the judgement is still swept');
  assert.equal(r.state().resyncing, false);
});

test('a zebra that is never quiet (a churning feed) has its replay judged at the stale time at the latest', async () => {
  const { r, clock, removed, replay, advance } = setup();
  await r.start();
  await replay(1, [kernel(), stat(1), stat(2), bgp(1)]);
  r.sessionStart(2);
  r.apply(2, [kernel(), stat(1), bgp(1)]); // stat(2) was deleted while the connection was down
  for (let t = 0; t < STALE; t += 1000) {
    clock.advance(1000);
    r.apply(2, [bgp(1)]); // churn: never quiet for the grace period
  }
  await advance(0);
  assert.deepEqual(removed(), [key(stat(2))]);
  assert.equal(r.state().resyncing, false);
});

test('early relearn: a restarted zebra (another process) whose bgpd sends its first routes within the grace of zebra\'s own: the rest of BGP is held, not swept', async () => {
  const { r, removed, inVpp, advance, clock } = setup();
  await r.start();
  const bgps = range(100).map((i) => bgp(i));
  r.sessionStart(1, '100@5000');
  r.apply(1, [kernel(), stat(0), ...bgps]);
  await advance(GRACE);
  r.sessionEnd(1, 'zebra killed');
  const t2 = clock.t;
  r.sessionStart(2, '200@9000'); // zebra kill -9'd and started again
  r.apply(2, [kernel(), stat(0), ...bgps.slice(0, 10)]); // bgpd's first routes in zebra's first burst
  await advance(GRACE);
  assert.deepEqual(removed(), [], 'BGP routes not relearned yet were swept');
  assert.equal(r.state().stale!.held, 90);
  inVpp(bgps, 'every BGP route still forwards');
  r.apply(2, bgps.slice(10, 99)); // the last one was withdrawn while zebra was down
  await advance(t2 + STALE - clock.t);
  assert.deepEqual(removed(), [key(bgps[99]!)]);
  assert.equal(r.state().resyncing, false);
});

test('the same zebra process reconnecting: a group its replay lacks was deleted while the connection was down, and goes at the judgement (no stale wait)', async () => {
  const { r, removed, advance } = setup();
  await r.start();
  r.sessionStart(1, '100@5000');
  r.apply(1, [kernel(), route('10.0.5.0/24', 'ospf'), stat(0), stat(1)]);
  await advance(GRACE);
  r.sessionEnd(1, 'connection reset');
  r.sessionStart(2, '100@5000');
  r.apply(2, [kernel(), stat(0), stat(1)]); // ospfd's only route went while FPM was down
  await advance(GRACE);
  assert.deepEqual(removed(), [key(route('10.0.5.0/24', 'ospf'))]);
  assert.equal(r.state().resyncing, false, 'no stale wait: zebra did not restart');
});

test('a reconnect replay stalled inside a table (zebra busy): complete only as far as zebra\'s walk came; the rest is held until the walk passes it, a change out of walk order does not move it, and what the walk never re-sends goes at the stale time', async () => {
  const { r, clock, removed, inVpp, advance } = setup();
  await r.start();
  const bgps = range(100).map((i) => bgp(i)); // 10.100.0.0/24 … 10.100.99.0/24, in walk order
  r.sessionStart(1, '100@5000');
  r.apply(1, [kernel(), ...bgps]);
  await advance(GRACE);
  r.sessionEnd(1, 'connection reset');
  const t2 = clock.t;
  r.sessionStart(2, '100@5000'); // the same zebra: a plain reconnect
  // the walk: 0.0.0.0/0, then BGP up to 10.100.39.0/24, with one change out of order (10.100.90.0/24)
  // and 10.100.20.0/24 deleted while the connection was down; then zebra stalls past the grace
  r.apply(2, [kernel(), ...bgps.slice(0, 20), ...bgps.slice(21, 30), bgps[90]!, ...bgps.slice(30, 40)]);
  await advance(GRACE);
  assert.deepEqual(removed(), [key(bgps[20]!)], 'only what the walk passed is swept');
  inVpp([...bgps.slice(40, 90), ...bgps.slice(91)], 'what the walk has not reached stays');
  assert.equal(r.state().stale!.phase, 'stale-wait');
  await advance(10_000); // still stalled
  assert.deepEqual(removed(), [key(bgps[20]!)]);
  // the walk resumes; 10.100.70.0/24 and the last one were deleted meanwhile
  r.apply(2, [...bgps.slice(40, 70), ...bgps.slice(71, 99)]);
  await advance(GRACE);
  assert.deepEqual(removed(), [key(bgps[20]!), key(bgps[70]!)], 'what the walk went past goes at the next quiet period');
  await advance(t2 + STALE - clock.t);
  assert.deepEqual(removed(), [key(bgps[20]!), key(bgps[70]!), key(bgps[99]!)], 'past the walk\'s end: the stale time');
  assert.equal(r.state().resyncing, false);
});

test('a restarted zebra whose first session is cut before its replay reached a VRF: its next session (the same process, relearning) does not sweep that VRF, and the restart\'s deadline stays', async () => {
  const { r, clock, removed, inVpp, advance } = setup();
  await r.start();
  const vrf = range(20).map((i) => bgp(i, 100));
  r.sessionStart(1, '100@5000');
  r.apply(1, [kernel(), stat(0), ...vrf]);
  await advance(GRACE);
  r.sessionEnd(1, 'zebra killed');
  const t2 = clock.t;
  r.sessionStart(2, '200@9000'); // the restarted zebra
  r.apply(2, [kernel()]);
  r.sessionEnd(2, 'connection reset'); // cut before its replay reached table 100
  await advance(2000);
  r.sessionStart(3, '200@9000'); // the same process reconnects while bgpd relearns
  r.apply(3, [kernel(), stat(0), ...vrf.slice(0, 5), ...vrf.slice(10, 15)]);
  await advance(GRACE);
  assert.deepEqual(removed(), [], 'routes bgpd had not relearned yet were swept');
  inVpp(vrf, 'the VRF still forwards');
  assert.equal(Date.parse(r.state().stale!.until), t2 + STALE, 'the restart\'s deadline, not a new one');
  r.apply(3, vrf.slice(5, 10));
  await advance(t2 + STALE - clock.t);
  assert.deepEqual(removed().sort(), vrf.slice(15).map(key).sort(), 'what bgpd never relearned goes at the restart\'s deadline');
});

test('tables a replay does not mention: a `table N` one (never walked on a reconnect) is kept, through a cut first session too; a VRF this zebra was seen to walk on a reconnect, gone while FPM was down, goes at the stale time', async () => {
  const { r, clock, removed, advance } = setup();
  await r.start();
  const tableN = route('10.200.0.0/16', 'static', 200);
  const vrf = [bgp(0, 100), bgp(1, 100)];
  r.sessionStart(1, '100@5000');
  r.apply(1, [kernel(), stat(0), tableN, ...vrf]);
  r.sessionEnd(1, 'connection reset'); // cut before its quiet period: it tells nothing
  r.sessionStart(2, '100@5000'); // a reconnect walks VRFs, not `table N`
  r.apply(2, [kernel(), stat(0), ...vrf]);
  await advance(GRACE);
  r.sessionEnd(2, 'connection reset');
  const t3 = clock.t;
  r.sessionStart(3, '100@5000'); // VRF 100 deleted while the connection was down
  r.apply(3, [kernel(), stat(0)]);
  await advance(GRACE);
  assert.deepEqual(removed(), []);
  await advance(t3 + STALE - clock.t);
  assert.deepEqual(removed().sort(), vrf.map(key).sort(), 'the VRF this zebra walked goes at the stale time');
  await advance(10 * STALE);
  assert.ok(!removed().includes(key(tableN)), 'the `table N` route zebra never replays is kept');
});

test('once every route a zebra restart held has come back, a flap of the same process is a plain reconnect again: what was deleted meanwhile goes at the quiet period', async () => {
  const { r, removed, advance } = setup();
  await r.start();
  const statics = range(5).map((i) => stat(i));
  r.sessionStart(1, '100@5000');
  r.apply(1, [kernel(), ...statics]);
  await advance(GRACE);
  r.sessionEnd(1, 'zebra killed');
  r.sessionStart(2, '200@9000');
  r.apply(2, [kernel()]);
  await advance(GRACE);
  assert.equal(r.state().stale!.phase, 'stale-wait');
  r.apply(2, statics); // staticd back: the wait is over
  await advance(0);
  assert.equal(r.state().resyncing, false);
  r.sessionEnd(2, 'connection reset');
  r.sessionStart(3, '200@9000'); // an FPM flap; statics 1 was deleted while it was down
  r.apply(3, [kernel(), statics[0]!, ...statics.slice(2)]);
  await advance(GRACE);
  assert.deepEqual(removed(), [key(statics[1]!)]);
  assert.equal(r.state().resyncing, false);
});

test('lspWaitUntil: until when a protocol\'s unconfirmed LSPs are held once the resync is over (-Infinity: swept now)', () => {
  const base: Parameters<typeof lspWaitUntil>[0] = { protocol: 'ldp', mentioned: false, sameZebra: false, relearnUntil: null, waiting: null, sessionAt: 1000, staleTimeMs: 500 };
  const cases: [string, Partial<typeof base>, number][] = [
    ['out of sight, mentioned: complete', { mentioned: true }, -Infinity],
    ['out of sight, not mentioned: may be relearning', {}, 1500],
    ['adopted (no protocol), mentioned or not: waits', { protocol: '', mentioned: true }, 1500],
    ['legacy module (zebra for every daemon): waits', { protocol: 'zebra', mentioned: true }, 1500],
    ['same zebra process, not mentioned: deleted while FPM was down', { sameZebra: true }, -Infinity],
    ['a restart\'s relearn: everything waits for it', { mentioned: true, sameZebra: true, relearnUntil: 1800 }, 1800],
    ['a wait under way keeps its deadline on a flap', { sameZebra: true, waiting: 1300 }, 1300],
    ['a later restart extends it', { waiting: 1300, relearnUntil: 2000 }, 2000],
    ['an earlier relearn does not shorten it', { waiting: 2500, relearnUntil: 2000 }, 2500],
  ];
  for (const [what, o, want] of cases) assert.equal(lspWaitUntil({ ...base, ...o }), want, what);
});
