// LSPs into VPP's MPLS table, through the real adapter against the simulator: the streams real
// zebras sent (test/fixtures/fpm/mpls-*) programmed as EOS and non-EOS entries with their out-label
// stacks (implicit-null: none), MPLS input enabled on the mapped interfaces they use, labelled IP
// routes with their stacks; a fibmgr restart adopts VPP's entries and writes nothing for an
// unchanged replay, and what zebra no longer has goes (per protocol, as routes: stale-rule.ts's
// lspWaitUntil); a refused write is retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAll } from '../fpm/decode-all.js';
import { lspMsg, netlinkFrame, nexthopMsg, routeMsg } from '../fpm/build.js';
import { RecordingReporter } from '../helpers/builders.js';
import { simStack, until, type SimStack } from '../helpers/sim-stack.js';
import { RETVAL } from 'vpp-binapi-ts';
import type { VppSim } from 'vpp-binapi-ts/sim';
import type { RouteEvent } from '../../src/route/types.js';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { NotifyWriter } from '../../src/fpm/notify-writer.js';

const FIX = fileURLToPath(new URL('../fixtures/fpm/', import.meta.url));
const events = (name: string): RouteEvent[] => decodeAll(readFileSync(`${FIX}${name}.bin`)).events;
// the recordings' interfaces: eth1 = ifindex 3, eth2 = 5
const INTERFACES = [{ swIfIndex: 1, name: 'eth1' }, { swIfIndex: 2, name: 'eth2' }];
const MAP = [{ linux: 3, vpp: 1 }, { linux: 5, vpp: 2 }];

/** A reconciler on the simulator with the two mapped interfaces, closed whatever the test does. */
async function withLsps(o: Parameters<typeof simStack>[0], run: (s: SimStack) => Promise<void>): Promise<void> {
  const s = await simStack({ interfaces: INTERFACES, interfaceMap: MAP, ...o });
  try {
    await run(s);
  } finally {
    await s.close();
  }
}

/** The simulator's MPLS entries of API clients: "label eos|neos → via@sw:labels". */
function mplsFib(sim: VppSim): string[] {
  return sim.mpls.apiEntries().map((e) => {
    const paths = e.paths.map((p) => {
      const sw = p.readUInt32BE(0);
      const proto = p.readUInt32BE(22);
      const addr = proto === 1 ? [...Array(8)].map((_, i) => p.readUInt16BE(26 + 2 * i).toString(16)).join(':').replace(/(^|:)0(:0)+(:|$)/, '::') : [...p.subarray(26, 30)].join('.');
      const n = p[54]!;
      const labels = [...Array(n)].map((_, i) => p.readUInt32BE(55 + 7 * i + 1));
      return `${addr}@${sw === 0xffffffff ? '*' : sw}:${labels.join('/') || 'pop'}`;
    });
    return `${e.label} ${e.eos ? `eos/${e.eosProto}` : 'neos'} ${paths.join(' ')}`;
  }).sort();
}

const WANT_84 = [
  '100 eos/0 10.0.2.2@1:201', '100 neos 10.0.2.2@1:201',
  '102 eos/0 10.0.3.3@2:301', '102 neos 10.0.3.3@2:301',
  '103 eos/1 2001:db8:3::5@2:2', '103 neos 2001:db8:3::5@2:2',
];

/** A zebra session sends `name`; returns once written (the replay's quiet period, 10 ms, passed on the fake clock). */
async function play(s: SimStack, session: number, name: string): Promise<void> {
  s.r.sessionStart(session);
  s.r.apply(session, events(name));
  s.clock.advance(10);
  await s.r.idle();
}

test('zebra\'s LSPs (FRR 8.4 and 10.3 recordings) become EOS and non-EOS entries; MPLS input on their interfaces; labelled routes keep their stacks', async () => {
  for (const fixture of ['mpls-84', 'mpls-frr10']) {
    const s = await simStack({ interfaces: INTERFACES, interfaceMap: MAP, resyncGraceMs: 10 });
    try {
      s.r.sessionStart(1);
      s.r.apply(1, events(`${fixture}-1`));
      s.clock.advance(10);
      await s.r.idle();
      assert.deepEqual(mplsFib(s.sim), WANT_84, fixture);
      assert.deepEqual([...s.sim.mpls.enabled].sort(), [1, 2]);
      const labelled = s.fib().get('0|192.168.50.0/24')!;
      assert.equal(labelled.length, 1);
      assert.match(labelled[0]!, /^normal 10\.0\.2\.2 sw1 .*501.*601.*701/);
      assert.equal(s.fib().has('0|2001:db8:500::/48'), false);
      const st = s.r.state().lsps;
      assert.deepEqual({ desired: st.desired, installed: st.installed, pending: st.pending }, { desired: 3, installed: 3, pending: 0 });
      assert.equal(s.r.explainLabel(101).known, false, 'a deleted LSP is forgotten once VPP no longer holds it');
      assert.match(String(s.r.explainLabel(103).have), /2001:db8:3::5/);
    } finally {
      await s.close();
    }
  }
});

test('MPLS input is enabled on every mapped interface, not only those LSPs leave by: labelled packets arrive from upstream (VPP drops them elsewhere: "MPLS not enabled")', async () => {
  await withLsps({ resyncGraceMs: 10 }, async (s) => {
    s.r.sessionStart(1);
    // one LSP, leaving by eth1 (sw 1): its packets come in by eth2 (sw 2)
    s.r.apply(1, decodeAll(netlinkFrame(lspMsg({ label: 100, via: '10.0.2.2', oif: 3, out: [200] }))).events);
    s.clock.advance(10);
    await s.r.idle();
    assert.deepEqual(mplsFib(s.sim), ['100 eos/0 10.0.2.2@1:200', '100 neos 10.0.2.2@1:200']);
    assert.deepEqual([...s.sim.mpls.enabled].sort(), [1, 2]);
  });
});

test('an interface map change counts no LSP again: fibmgr_lsps_skipped_total counts what zebra sent, not each translation of it', async () => {
  await withLsps({ resyncGraceMs: 10 }, async (s) => {
    s.r.sessionStart(1);
    // through an interface VPP does not have (no gateway): not installable
    s.r.apply(1, decodeAll(netlinkFrame(lspMsg({ label: 600, oif: 40, out: [5] }), lspMsg({ label: 601, via: '10.0.2.2', oif: 3, out: [6] }))).events);
    s.clock.advance(10);
    await s.r.idle();
    assert.equal(s.r.state().lsps.skipped, 1);
    const writes = s.sim.count('mpls_route_add_del');
    // VPP comes back with a linux-cp pair the LSP does not use: the map changed, the LSPs are translated again
    s.sim.lcpPairs.push({ phySwIfIndex: 2, hostSwIfIndex: 2, vifIndex: 41, hostIfName: 'tap41' });
    s.sim.dropConnections();
    await until(() => s.r.state().vppReady === false, 20_000);
    assert.ok(await until(() => s.r.state().vppReady && s.r.state().lsps.pending === 0, 20_000), 'VPP back');
    await s.r.idle();
    assert.equal(s.sim.count('mpls_route_add_del'), writes, 'nothing to write');
    assert.equal(s.r.state().lsps.skipped, 1, 'the same LSP, not sent again by zebra');
    assert.equal(s.r.state().lsps.notInstallable, 1);
  });
});

test('a nexthop object zebra replaces with a stack deeper than 16 labels: the labelled route using it leaves VPP and zebra is told it failed (it was told offload)', async () => {
  await withLsps({ resyncGraceMs: 10 }, async (s) => {
    const reporter = new RecordingReporter();
    s.r.sessionStart(1);
    s.r.attachReporter(1, reporter);
    const seventeen = Array.from({ length: 17 }, (_, i) => 1000 + i);
    s.r.apply(1, decodeAll(netlinkFrame(
      nexthopMsg({ id: 7, gateway: '10.0.2.2', oif: 3, labels: [5, 6] }),
      routeMsg({ prefix: '192.168.61.0/24', nhId: 7 }),
    )).events);
    s.clock.advance(10);
    await s.r.idle();
    await reporter.until(1);
    assert.deepEqual(reporter.got, ['offload 254 192.168.61.0/24 p196 unicast']);
    // the same decoder (session) sees group 7 again, now 17 labels deep
    s.r.apply(1, decodeAll(netlinkFrame(
      nexthopMsg({ id: 7, gateway: '10.0.2.2', oif: 3, labels: [5, 6] }),
      routeMsg({ prefix: '192.168.61.0/24', nhId: 7 }),
      nexthopMsg({ id: 7, gateway: '10.0.2.2', oif: 3, labels: seventeen }),
    )).events);
    assert.ok(await until(() => !s.fib().has('0|192.168.61.0/24'), 20_000), 'the route left VPP');
    await s.r.idle();
    assert.ok(await until(() => reporter.got.length >= 2, 20_000), `told zebra: ${JSON.stringify(reporter.got)}`);
    assert.deepEqual(reporter.got, ['offload 254 192.168.61.0/24 p196 unicast', 'failed 254 192.168.61.0/24 p196 unicast']);
  });
});

test('a fibmgr restart adopts VPP\'s LSPs: an unchanged replay writes nothing; an LSP zebra no longer has goes at the stale time', async () => {
  const simPath = join(tmpdir(), `fibmgr-lsp-restart-${process.pid}.sock`);
  const first = await simStack({ interfaces: INTERFACES, interfaceMap: MAP, simPath, resyncGraceMs: 10 });
  await play(first, 1, 'mpls-84-1');
  // one more LSP, which the restarted zebra's replay will not have
  first.r.apply(1, decodeAll(netlinkFrame(lspMsg({ label: 500, via: '10.0.2.9', oif: 3, out: [77] }))).events);
  await first.r.idle();
  assert.equal(mplsFib(first.sim).filter((l) => l.startsWith('500 ')).length, 2);
  await first.close(true);
  const sim = first.sim;
  const before = sim.count('mpls_route_add_del');
  const second = await simStack({ interfaces: INTERFACES, interfaceMap: MAP, simPath, sim, resyncGraceMs: 10 });
  try {
    await second.r.idle();
    assert.equal(second.r.state().lsps.installed, 4, 'adopted at start, kept until zebra speaks');
    assert.equal(sim.count('mpls_route_add_del'), before);
    second.r.sessionStart(1);
    second.r.apply(1, events('mpls-84-2'));
    await new Promise((r) => setImmediate(r));
    assert.equal(sim.count('mpls_route_add_del'), before, 'the replay of what VPP holds writes nothing');
    second.clock.advance(10);
    await second.r.idle();
    // adopted, it has no protocol to show the replay complete (zebra may have restarted too): held
    // like adopted routes until zebra re-sends it or the stale time
    assert.deepEqual(second.r.state().lsps.held.map((w) => [w.protocol, w.lsps]), [['', 1]]);
    assert.equal(sim.count('mpls_route_add_del'), before, 'the resync\'s end keeps label 500');
    second.clock.advance(120_000);
    await second.r.idle();
    assert.equal(sim.count('mpls_route_add_del'), before + 2, 'then label 500 goes (its two entries)');
    assert.deepEqual(mplsFib(sim), WANT_84, 'label 500 swept at the stale time');
    assert.equal(second.r.state().lsps.swept, 1);
  } finally {
    await second.close();
  }
});

test('a refused LSP write is retried with backoff; a stack VPP cannot push is not installed', async () => {
  await withLsps({ resyncGraceMs: 10, retryMinMs: 100 }, async (s) => {
    let refuse = 2;
    s.sim.reject = (name) => (name.startsWith('mpls_route_add_del') && refuse-- > 0 ? RETVAL.INVALID_VALUE : undefined);
    s.r.sessionStart(1);
    s.r.apply(1, decodeAll(netlinkFrame(
      lspMsg({ label: 600, via: '10.0.2.2', oif: 3, out: [1] }),
      lspMsg({ label: 601, via: '10.0.2.2', oif: 3, out: Array.from({ length: 17 }, (_, i) => i + 20) }),
    )).events);
    await new Promise((r) => setImmediate(r));
    const until = async (cond: () => boolean) => { for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r)); };
    await until(() => s.r.state().lsps.errors >= 1);
    assert.equal(s.r.state().lsps.errors, 1);
    assert.match(String(s.r.explainLabel(600).error), /INVALID_VALUE/);
    s.clock.advance(100);
    await until(() => s.r.state().lsps.errors >= 2);
    s.clock.advance(200);
    s.clock.advance(10);
    await s.r.idle();
    assert.deepEqual(mplsFib(s.sim), ['600 eos/0 10.0.2.2@1:1', '600 neos 10.0.2.2@1:1']);
    assert.equal(s.r.state().lsps.skipped, 1);
    assert.match(String(s.r.explainLabel(601).skip), /too-many-labels/);
    // zebra's next session no longer has 601: what was left out of it is forgotten at the resync's end
    s.r.sessionStart(2);
    s.r.apply(2, decodeAll(netlinkFrame(lspMsg({ label: 600, via: '10.0.2.2', oif: 3, out: [1] }))).events);
    s.clock.advance(10);
    await s.r.idle();
    assert.equal(s.r.explainLabel(601).known, false);
    assert.equal(s.r.explainLabel(600).known, true);
  });
});

test('an LSP change sent as a delete and an add (FRR without route replace) reaches VPP as replacing adds, never a delete', async () => {
  await withLsps({ resyncGraceMs: 10, deleteHoldMs: 50 }, async (s) => {
    s.r.sessionStart(1);
    s.r.apply(1, decodeAll(netlinkFrame(lspMsg({ label: 700, via: '10.0.2.2', oif: 3, out: [1] }))).events);
    s.clock.advance(10);
    await s.r.idle();
    const before = s.sim.count('mpls_route_add_del');
    s.r.apply(1, decodeAll(netlinkFrame(lspMsg({ op: 'del', label: 700, oif: 3 }), lspMsg({ label: 700, via: '10.0.3.3', oif: 5, out: [2] }))).events);
    await new Promise((r) => setImmediate(r));
    s.clock.advance(50);
    await s.r.idle();
    assert.deepEqual(mplsFib(s.sim), ['700 eos/0 10.0.3.3@2:2', '700 neos 10.0.3.3@2:2']);
    assert.equal(s.sim.count('mpls_route_add_del'), before + 2, 'two replacing adds (EOS and non-EOS), no delete');
    // a delete alone goes once the hold has passed
    s.r.apply(1, decodeAll(netlinkFrame(lspMsg({ op: 'del', label: 700, oif: 5 }))).events);
    await new Promise((r) => setImmediate(r));
    assert.equal(mplsFib(s.sim).length, 2, 'held');
    s.clock.advance(50);
    await s.r.idle();
    assert.deepEqual(mplsFib(s.sim), []);
  });
});

test('the audit compares VPP\'s MPLS table with the LSPs fibmgr installed, and its repair restores them', async () => {
  await withLsps({ resyncGraceMs: 10 }, async (s) => {
    await play(s, 1, 'mpls-84-1');
    const clean = await s.r.audit({ repair: false });
    assert.deepEqual({ ok: clean.ok, ...clean.lsps, drift: clean.lsps?.drift.length }, { ok: true, checked: 3, unjudged: 0, missing: 0, extra: 0, different: 0, repaired: 0, drift: 0 });
    // someone else changes VPP's MPLS table: 100 gone, 102's non-EOS entry changed, 900 added
    const m = s.sim.mpls;
    const key = (label: number, eos: boolean) => `0|${label}|${eos ? 1 : 0}`;
    m.entries.delete(key(100, true));
    m.entries.delete(key(100, false));
    m.entries.get(key(102, false))!.paths = m.entries.get(key(103, false))!.paths;
    m.entries.set(key(900, true), { ...m.entries.get(key(103, true))!, label: 900 });
    const r = await s.r.audit({ repair: false });
    assert.deepEqual(r.lsps!.drift.map((d) => `${d.kind} ${d.label}`), ['missing 100', 'different 102', 'extra 900']);
    assert.equal(mplsFib(s.sim).length, 5, 'a read-only audit changes nothing');
    const fixed = await s.r.audit({ repair: true });
    assert.equal(fixed.lsps!.repaired, 3);
    await s.r.idle();
    assert.deepEqual(mplsFib(s.sim), WANT_84);
    assert.deepEqual((await s.r.audit({ repair: false })).lsps!.drift, []);
  });
});

test('an LSP write VPP does not answer in time resets the VPP session; the adoption after it reads VPP and the LSP ends right', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  await withLsps({ resyncGraceMs: 10, timeoutMs: 1000 }, async (s) => {
    await play(s, 1, 'mpls-84-1');
    const firstClient = s.client.index;
    let left = 1;
    s.sim.swallow = (name) => name.startsWith('mpls_route_add_del') && left-- > 0;
    const sent = s.sim.count('mpls_route_add_del');
    s.r.apply(1, decodeAll(netlinkFrame(lspMsg({ label: 100, via: '10.0.3.3', oif: 5, out: [999] }))).events);
    const timeouts = () => s.client.requestStats().get('mpls_route_add_del')?.results.timeout ?? 0;
    for (let i = 0; i < 1000 && s.sim.count('mpls_route_add_del') <= sent; i++) await new Promise((r) => setImmediate(r));
    assert.equal(left, 0, 'VPP applied the write and kept its answer');
    s.clock.advance(1000);
    t.mock.timers.tick(1000);
    for (let i = 0; i < 1000 && timeouts() < 1; i++) await new Promise((r) => setImmediate(r));
    assert.equal(timeouts(), 1, 'the write timed out');
    // (bounded, not idle(): without the reset the LSP would wait on a retry timer of the fake clock)
    for (let i = 0; i < 5000 && !(s.r.state().vppReady && s.client.index !== firstClient && s.r.state().lsps.pending === 0); i++) await new Promise((r) => setImmediate(r));
    assert.notEqual(s.client.index, firstClient, 'the session that timed out was reset');
    assert.deepEqual(mplsFib(s.sim).filter((l) => l.startsWith('100 ')), ['100 eos/0 10.0.3.3@2:999', '100 neos 10.0.3.3@2:999']);
    assert.equal(s.r.state().lsps.pending, 0);
  });
});

test('LSPs get no route notification, installed, refused or unusable (FRR drops AF_MPLS ones: README "MPLS"); the IP routes of the same stream are told', async () => {
  await withLsps({ resyncGraceMs: 10 }, async (s) => {
    // NotifyWriter, the production reporter, over a socket that keeps what it is given
    const sent: Buffer[] = [];
    const socket = Object.assign(new EventEmitter(), { destroyed: false, writableLength: 0, write: (b: Buffer) => sent.push(Buffer.from(b)) > 0 });
    const writer = new NotifyWriter(socket as unknown as Socket);
    s.sim.reject = (name) => (name.startsWith('mpls_route_add_del') ? RETVAL.INVALID_VALUE : undefined);
    s.r.sessionStart(1);
    s.r.attachReporter(1, writer);
    const recorded = events('mpls-84-1');
    const lsps = recorded.filter((e) => e.kind === 'lsp');
    assert.ok(lsps.length >= 3, 'the recording has LSPs');
    s.r.apply(1, [
      ...lsps,
      ...decodeAll(netlinkFrame(
        lspMsg({ label: 601, via: '10.0.2.2', oif: 3, out: Array.from({ length: 17 }, (_, i) => i + 20) }), // too deep: not installable
        lspMsg({ label: 602, oif: 99, out: [5] }), // an interface VPP does not have
      )).events,
    ]);
    for (let i = 0; i < 1000 && s.r.state().lsps.errors < 3; i++) await new Promise((r) => setImmediate(r));
    s.sim.reject = () => undefined;
    s.clock.advance(60_000);
    s.clock.advance(10);
    await s.r.idle();
    const st = s.r.state().lsps;
    assert.ok(st.errors >= 3 && st.installed === 3 && st.skipped === 2, JSON.stringify(st));
    writer.flush();
    assert.equal(Buffer.concat(sent).length, 0, 'not a byte back for an LSP');
    assert.deepEqual(s.r.state().counters.notified, { offload: 0, failed: 0 });

    // the IP routes of the same recording are reported: the way back works
    s.r.apply(1, recorded.filter((e) => e.kind !== 'lsp'));
    await s.r.idle();
    for (let i = 0; i < 1000 && s.r.state().counters.notified.offload + s.r.state().counters.notified.failed === 0; i++) await new Promise((r) => setImmediate(r));
    writer.flush();
    const bytes = Buffer.concat(sent);
    assert.ok(bytes.length > 0, 'the labelled routes are told');
    // every frame is an IPv4 or IPv6 rtmsg (FPM header 4 bytes, nlmsghdr 16, then rtm_family)
    for (let p = 0; p < bytes.length; p += bytes.readUInt16BE(p + 2)) assert.notEqual(bytes[p + 4 + 16], 28, 'no AF_MPLS notification');
  });
});

/** LSP `label` of `protocol` (193 ldp, 196 static) via 10.0.2.2 on eth1, swapped to `out`. */
const lsp = (label: number, protocol: number, out = label + 1000): RouteEvent[] => decodeAll(netlinkFrame(lspMsg({ label, protocol, via: '10.0.2.2', oif: 3, out: [out] }))).events;
const labelsIn = (sim: VppSim): number[] => [...new Set(mplsFib(sim).map((l) => Number(l.split(' ')[0])))].sort((a, b) => a - b);

test('LSPs wait per protocol like routes: zebra restarted out of sight, its replay has the static LSPs but not yet ldpd\'s: those are held until ldpd re-sends them or the stale time (they were swept at the resync\'s end)', async () => {
  await withLsps({ resyncGraceMs: 10, staleTimeMs: 1000 }, async (s) => {
    // session 1 (zebra out of sight: no process named): static LSPs 100 and 101, ldpd's 200 and 201
    s.r.sessionStart(1);
    s.r.apply(1, [...lsp(100, 196), ...lsp(101, 196), ...lsp(200, 193), ...lsp(201, 193)]);
    s.clock.advance(10);
    await s.r.idle();
    assert.deepEqual(labelsIn(s.sim), [100, 101, 200, 201]);

    // t0: zebra restarted; its replay has zebra.conf's static LSP 100 (101 was removed meanwhile), nothing of ldpd yet
    const t0 = s.clock.now();
    s.r.sessionStart(2);
    s.r.apply(2, lsp(100, 196));
    s.clock.advance(10); // the quiet period: judged, the resync is over
    await s.r.idle();
    assert.deepEqual(labelsIn(s.sim), [100, 200, 201], 'static was replayed: 101 goes; ldp was not: it waits');
    const held = s.r.state().lsps.held;
    assert.deepEqual(held.map((w) => [w.protocol, w.lsps, Date.parse(w.until) - t0]), [['ldp', 2, 1000]], 'until the session\'s start + the stale time (the fake wall clock = the monotonic one)');

    // ldpd relearns 200 within the stale time; 201 it no longer has
    s.clock.advance(500);
    s.r.apply(2, lsp(200, 193));
    await s.r.idle();
    assert.deepEqual(labelsIn(s.sim), [100, 200, 201]);
    s.clock.advance(t0 + 1000 - s.clock.now());
    await s.r.idle();
    assert.deepEqual(labelsIn(s.sim), [100, 200], 'at the stale time what ldpd did not re-send goes');
    assert.deepEqual(s.r.state().lsps.held, []);
    assert.equal(s.r.state().lsps.swept, 2);
  });
});

test('LSPs of a protocol the same zebra (its process seen) does not replay were deleted while FPM was down: swept at the resync\'s end', async () => {
  await withLsps({ resyncGraceMs: 10, staleTimeMs: 1000 }, async (s) => {
    s.r.sessionStart(1, '100@5');
    s.r.apply(1, [...lsp(100, 196), ...lsp(200, 193)]);
    s.clock.advance(10);
    await s.r.idle();
    s.r.sessionStart(2, '100@5'); // an FPM flap of the same zebra
    s.r.apply(2, lsp(100, 196));
    s.clock.advance(10);
    await s.r.idle();
    assert.deepEqual(labelsIn(s.sim), [100]);
    assert.deepEqual(s.r.state().lsps.held, []);
  });
});

test('fibmgr sweep ends the LSP waits too: the held LSPs go at once', async () => {
  await withLsps({ resyncGraceMs: 10, staleTimeMs: 1000 }, async (s) => {
    s.r.sessionStart(1);
    s.r.apply(1, [...lsp(100, 196), ...lsp(200, 193)]);
    s.clock.advance(10);
    await s.r.idle();
    s.r.sessionStart(2); // zebra out of sight, restarted: ldpd's LSP not replayed yet
    s.r.apply(2, lsp(100, 196));
    s.clock.advance(10);
    await s.r.idle();
    assert.deepEqual(s.r.state().lsps.held.map((w) => w.protocol), ['ldp']);
    assert.deepEqual(s.r.sweepNow(), { swept: 1, kept: 0 });
    await s.r.idle();
    assert.deepEqual(labelsIn(s.sim), [100]);
    assert.deepEqual(s.r.state().lsps.held, []);
  });
});
