// Status is built in one place: buildState (src/ops/state.ts) makes the /state document, and
// `fibmgr status` and systemd's status line render that document (src/cli/status.ts). The
// reconciler's state reaches /state whole (less the fields shown elsewhere), so a field added to
// it needs no edit in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildState } from '../../src/ops/state.js';
import { formatState, statusLine } from '../../src/cli/status.js';
import { newEventCounts } from '../../src/ops/event-counts.js';
import { VppLink } from '../../src/ops/vpp-link.js';
import type { OpsSources } from '../../src/ops/sources.js';
import { FakePort } from '../helpers/fake-port.js';
import type { Reconciler } from '../../src/sync/reconciler.js';
import { RETVAL } from 'vpp-binapi-ts';
import { simStack } from '../helpers/sim-stack.js';
import { decodeAll } from '../fpm/decode-all.js';
import { lspMsg, netlinkFrame } from '../fpm/build.js';
import { add, reconciler as makeReconciler } from '../helpers/builders.js';

async function sources(reconciler?: Reconciler) {
  const r = reconciler ?? makeReconciler(new FakePort(), { resyncGraceMs: 10, maxBacklog: 1000, deleteHoldMs: 0 });
  if (!reconciler) await r.start();
  const src: OpsSources = {
    startedAt: new Date(0),
    fpm: { stats: { state: 'up', session: { id: 1, peer: '127.0.0.1:40000', since: new Date(0), frames: 1, routes: 1, nexthopGroups: 0, errors: 0 }, sessionsTotal: 1, sessionsFailed: 0, bytesTotal: 0, framesTotal: 1, routesTotal: 1, refused: {}, admitting: 0 } as never },
    events: newEventCounts(),
    sync: { state: () => r.state(), sweep: () => null, perTable: () => r.perTable(), audit: () => r.audit({ repair: false }), showRoute: async () => null, showLabel: async () => null },
    vpp: new VppLink(null, null),
  };
  return { r, src };
}

test('/state shows the reconciler\'s state whole, but for the fields shown elsewhere', async () => {
  const { r, src } = await sources();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', '10.0.2.2', { protocolId: 196 })]);
  await r.idle();
  const st = r.state();
  const doc = buildState(src);
  const shownElsewhere = ['session', 'vppReady', 'ownership', 'lastErrors', 'auditChecked', 'adopting'];
  assert.deepEqual(Object.keys(doc.sync).sort(), Object.keys(st).filter((k) => !shownElsewhere.includes(k)).sort());
  assert.deepEqual(JSON.parse(JSON.stringify(doc.sync)), JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(st).filter(([k]) => !shownElsewhere.includes(k))))));
  assert.equal(doc.vpp.prepared, st.vppReady);
  assert.deepEqual(doc.lastErrors, st.lastErrors);
  await r.stop();
});

test('fibmgr status and systemd\'s status line are rendered from the one document', async () => {
  const { r, src } = await sources();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', '10.0.2.2', { protocolId: 196 })]);
  await r.idle();
  const doc = buildState(src);
  assert.equal(statusLine(doc), 'zebra session 1 up; dry run; 1 routes, 1 installed; in sync');
  const text = formatState(doc);
  assert.match(text, /^routes: {2}1 desired, 1 installed; backlog 0 \(0 in flight\), 0 retrying$/m);
  assert.match(text, /^zebra: {3}session 1 from 127\.0\.0\.1:40000 up since 1970-01-01T00:00:00\.000Z, 1 routes received/m);
  await r.stop();
});

test('fibmgr status shows the LSPs: installed, pending, refused, not installable, held for zebra per protocol, and MPLS table 0\'s state', async () => {
  const st = await simStack({ interfaces: [{ swIfIndex: 1, name: 'eth1' }], interfaceMap: [{ linux: 3, vpp: 1 }], resyncGraceMs: 10, staleTimeMs: 60_000, retryMinMs: 60_000 });
  try {
    const { src } = await sources(st.r);
    const lsp = (label: number, protocol: number, out: number[] = [label + 1000]) => decodeAll(netlinkFrame(lspMsg({ label, protocol, via: '10.0.2.2', oif: 3, out }))).events;
    const lspLine = () => formatState(buildState(src)).split('\n').find((l) => l.startsWith('lsps:'));
    assert.equal(lspLine(), undefined, 'no LSPs: no line');
    st.r.sessionStart(1);
    st.r.apply(1, [...lsp(100, 196), ...lsp(200, 193), ...lsp(201, 193)]);
    st.clock.advance(10);
    await st.r.idle();
    assert.equal(lspLine(), 'lsps:    3 desired, 3 installed; 0 pending, 0 refused by VPP (retrying), 0 not installable; MPLS table 0 ready');
    // zebra restarted out of sight: ldpd's LSPs not re-sent yet; one LSP VPP refuses, one too deep for VPP
    st.sim.reject = (name) => (name.startsWith('mpls_route_add_del') ? RETVAL.INVALID_VALUE : undefined);
    st.r.sessionStart(2);
    st.r.apply(2, [...lsp(100, 196), ...lsp(300, 196), ...lsp(301, 196, Array.from({ length: 17 }, (_, i) => i + 20))]);
    st.clock.advance(10);
    for (let i = 0; i < 1000 && st.r.state().lsps.failed === 0; i++) await new Promise((r) => setImmediate(r));
    const until = new Date(st.clock.wall() - 10 + 60_000).toISOString();
    assert.equal(lspLine(), `lsps:    4 desired, 3 installed; 1 pending, 1 refused by VPP (retrying), 1 not installable; held for zebra: 2 ldp until ${until}; MPLS table 0 ready`);
    assert.deepEqual(buildState(src).sync.lsps.held, [{ protocol: 'ldp', lsps: 2, until }]);
  } finally {
    await st.close();
  }
});

test('fibmgr status says when VPP cannot hold LSPs', async () => {
  const { r, src } = await sources();
  r.sessionStart(1);
  r.apply(1, decodeAll(netlinkFrame(lspMsg({ label: 100, protocol: 196, via: '10.0.2.2', oif: 3, out: [5] }))).events);
  await r.idle();
  assert.match(formatState(buildState(src)), /^lsps: {4}1 desired, 0 installed; 1 pending, 0 refused by VPP \(retrying\), 0 not installable; MPLS table 0 unusable: VPP lacks the MPLS messages/m);
  await r.stop();
});
