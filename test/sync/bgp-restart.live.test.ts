// A zebra restart under BGP, against Debian's real zebra (dplane_fpm_nl) and two bgpds — one beside
// zebra, one a peer in another namespace announcing 10,000 routes — with the VPP simulator as VPP
// (issue 26, item 2). zebra is killed (kill -9) and bgpd with it, as watchfrr restarts every daemon
// when zebra dies; while they are down the peer withdraws 100 routes and half of the 10,000 (a
// slow relearn: they come back later). zebra starts again, then bgpd; while bgpd relearns, zebra's
// FPM connection is cut (`ss -K`) and the new session replays a table with half the BGP routes.
// Sampling VPP every 100 ms, none of the 10,000 is ever missing; the 100 withdrawn go within the
// stale time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, labUnavailable, type Lab } from '../helpers/zebra-lab.js';
import { startBgpPair, type BgpPair } from '../helpers/bgp-peer.js';
import { startFibmgr, type FibmgrChild } from '../helpers/fibmgr-child.js';
import { simSource } from '../helpers/sim-fib.js';
import { until } from '../helpers/daemon.js';
import { VppSim } from 'vpp-binapi-ts/sim';

const PORT = 2631;
const STALE_S = 20;
const KEEP = Array.from({ length: 10_000 }, (_, i) => `20.${i >> 8}.${i & 255}.0/24`);
const LATE = KEEP.slice(5_000);
const WITHDRAWN = Array.from({ length: 100 }, (_, i) => `21.0.${i}.0/24`);


test('zebra restart under BGP with an FPM cut while bgpd relearns: no BGP route ever missing; the withdrawn go within the stale time', { timeout: 150_000 }, async () => {
  const why = labUnavailable();
  if (why) assert.fail(`live test cannot run: ${why}`);
  const sockPath = join(tmpdir(), `fibmgr-bgp-restart-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath: sockPath }).start();
  let lab: Lab | undefined;
  let pair: BgpPair | undefined;
  let fib: FibmgrChild | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    lab = await startLab({ module: 'dplane_fpm_nl', fpmPort: PORT });
    const l = lab;
    fib = await startFibmgr(l, ['--vpp-sock', sockPath, '--resync-grace', '1', '--stale-time', String(STALE_S)], { dryRun: false });
    const f = fib;
    await f.waitFor('zebra to connect', () => f.sessions().length > 0, 20_000);
    pair = await startBgpPair(l, [...KEEP, ...WITHDRAWN]);
    const p = pair;
    const src = () => simSource(sim, 'fibmgr') ?? -1;
    const inVpp = (prefix: string) => sim.fib.get(0, prefix)?.sources.has(src()) ?? false;
    const zebraBgp = () => Number(/ebgp\s+(\d+)/.exec(l.vtysh('show ip route summary'))?.[1] ?? 0);
    const logged = (msg: string) => f.lines.filter((x) => String(x.msg).startsWith(msg));
    await until('every BGP route in VPP', () => [...KEEP, ...WITHDRAWN].every(inVpp), 60_000, () => ({ received: p.received(), zebra: zebraBgp() }));

    let samples = 0;
    const missing = new Set<string>();
    sampler = setInterval(() => {
      samples++;
      for (const x of KEEP) if (!inVpp(x)) missing.add(x);
    }, 100);

    // zebra dies, and bgpd with it; meanwhile the peer withdraws 100 routes, and 5,000 for a while
    await l.kill9('zebra');
    await p.kill9LabBgpd();
    p.peerNetworks([...WITHDRAWN, ...LATE].map((n) => `no network ${n}`));
    // FRR 8.4's zebra re-reads a killed predecessor's BGP routes from the kernel and keeps them as
    // its own (with -K 0 a racy part of them, for good): that zebra would still have the withdrawn
    // routes. The case here is a zebra that relearns its BGP routes from bgpd.
    l.exec('ip nexthop flush >/dev/null 2>&1; ip route flush proto bgp >/dev/null 2>&1; true');
    assert.equal(l.exec('ip route show proto bgp | wc -l').trim(), '0');
    const n0 = f.sessions().length;
    const waits0 = logged('stale wait started').length;
    const goesOnBefore0 = logged('stale wait goes on').length;
    const restartedAt = Date.now();
    await l.startZebra();
    await f.waitFor('zebra\'s new session', () => f.sessions().length > n0, 30_000);
    await until('a stale wait: zebra\'s first replay after its restart holds no BGP route', () => logged('stale wait started').length > waits0, 20_000, () => logged('zebra\'s replay judged').slice(-2));
    await p.startLabBgpd();
    await until('bgpd to relearn the first half', () => zebraBgp() >= KEEP.length - LATE.length, 30_000, () => ({ received: p.received(), zebra: zebraBgp() }));

    // the FPM connection is cut while bgpd relearns: the new session replays half the BGP table
    const n1 = f.sessions().length;
    l.exec(`ss -K dst 127.0.0.1 dport = ${PORT}`);
    await f.waitFor('zebra to reconnect', () => f.sessions().length > n1, 30_000);
    const s3 = f.sessions().at(-1);
    await f.waitFor('the new session\'s replay to be judged', () => logged('zebra\'s replay judged').some((x) => x.session === s3), 20_000);
    const judged = logged('zebra\'s replay judged').find((x) => x.session === s3)!;
    // the same zebra process, restarted less than the stale time ago: the flap is part of its restart
    assert.equal(judged.zebra, 'relearning', JSON.stringify(judged));
    assert.equal(judged.kind, 'restart', JSON.stringify(judged));
    assert.ok((judged.groups as string[]).some((g) => /^bgp ipv4 table 0: \d+ unconfirmed, mentioned → wait$/.test(g)), `the wait went on: ${JSON.stringify(judged.groups)}`);

    // the rest comes back
    p.peerNetworks(LATE.map((n) => `network ${n}`));
    await until('bgpd to relearn the rest', () => zebraBgp() >= KEEP.length, 30_000, () => ({ received: p.received(), zebra: zebraBgp() }));
    await until('the withdrawn routes to leave VPP', () => !WITHDRAWN.some(inVpp), (STALE_S + 15) * 1000);
    const goneAfter = Date.now() - restartedAt;
    clearInterval(sampler);
    sampler = undefined;
    assert.ok(samples > 50, `sampled ${samples} times`);
    assert.deepEqual([...missing].slice(0, 10), [], `${missing.size} BGP routes went missing from VPP`);
    assert.ok(KEEP.every(inVpp), 'every BGP route zebra has is in VPP');
    await f.waitFor('the resync to end', () => logged('stale wait ended: resync done').length > 0, 10_000);
    // The withdrawn routes went when the stale time that began at zebra's restart ended: the flap
    // did not start the wait again (fibmgr's own log, not this test's clock, which a loaded
    // machine stretches).
    const started = logged('stale wait started').slice(waits0);
    assert.equal(started.length, 1, JSON.stringify(started));
    const goesOn = logged('stale wait goes on').slice(goesOnBefore0);
    assert.ok(goesOn.length > 0, 'the flap\'s session rejoined the wait');
    // each line writes the deadline again as wall time (to the ms, from the monotonic clock): equal
    // within a second, where a wait started again by the flap would end seconds later
    const end0 = Date.parse(String(started[0]!.until));
    assert.ok(Date.parse(String(goesOn[0]!.time)) - Date.parse(String(started[0]!.time)) >= 2000, 'the flap came seconds into the wait (a restarted one would end that much later)');
    for (const x of goesOn) assert.ok(Math.abs(Date.parse(String(x.until)) - end0) <= 1000, `the wait keeps its end: ${JSON.stringify(x)} against ${String(started[0]!.until)}`);
    const ended = logged('stale wait ended: resync done').at(-1)!;
    assert.equal(ended.why, 'stale-time-ended', JSON.stringify(ended));
    assert.ok(Number(ended.staleWaitMs) <= (STALE_S + 5) * 1000, `the wait lasted ${String(ended.staleWaitMs)} ms (stale time ${STALE_S} s)`);
    console.log(`# the withdrawn routes went ${goneAfter} ms after zebra's restart (the wait: ${String(ended.staleWaitMs)} ms, stale time ${STALE_S} s)`);
    assert.deepEqual(sim.errors, []);
  } finally {
    if (sampler) clearInterval(sampler);
    await fib?.stop().catch(() => undefined);
    await pair?.stop();
    await lab?.stop();
    await sim.stop();
  }
});
