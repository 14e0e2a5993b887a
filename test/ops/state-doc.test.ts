// Status is built in one place: buildState (src/ops/state.ts) makes the /state document, and
// `fibmgr status` and systemd's status line render that document (src/cli/status.ts). The
// reconciler's state reaches /state whole (less the fields shown elsewhere), so a field added to
// it needs no edit in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Reconciler } from '../../src/sync/reconciler.js';
import { buildState } from '../../src/ops/state.js';
import { formatState, statusLine } from '../../src/cli/status.js';
import { newEventCounts } from '../../src/ops/event-counts.js';
import { VppLink } from '../../src/ops/vpp-link.js';
import type { OpsSources } from '../../src/ops/sources.js';
import { FakePort } from '../helpers/fake-port.js';
import { parsePrefix } from '../../src/route/prefix.js';
import type { RouteEventRoute } from '../../src/route/types.js';

async function sources() {
  const r = new Reconciler(new FakePort(), { tableMap: new Map(), installConnected: false, resyncGraceMs: 10, maxBacklog: 1000, logger: pino({ level: 'silent' }), deleteHoldMs: 0 });
  await r.start();
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
  r.apply(1, [{ kind: 'route', op: 'add', family: 4, table: 254, prefix: parsePrefix('10.1.0.0/16'), type: 'unicast', protocol: 'static', protocolId: 196, metric: 0, nhg: null, nexthops: [{ gateway: '10.0.2.2', ifindex: 3, weight: 1, labels: [] }] } as RouteEventRoute]);
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
  r.apply(1, [{ kind: 'route', op: 'add', family: 4, table: 254, prefix: parsePrefix('10.1.0.0/16'), type: 'unicast', protocol: 'static', protocolId: 196, metric: 0, nhg: null, nexthops: [{ gateway: '10.0.2.2', ifindex: 3, weight: 1, labels: [] }] } as RouteEventRoute]);
  await r.idle();
  const doc = buildState(src);
  assert.equal(statusLine(doc), 'zebra session 1 up; dry run; 1 routes, 1 installed; in sync');
  const text = formatState(doc);
  assert.match(text, /^routes: {2}1 desired, 1 installed; backlog 0 \(0 in flight\), 0 retrying$/m);
  assert.match(text, /^zebra: {3}session 1 from 127\.0\.0\.1:40000 up since 1970-01-01T00:00:00\.000Z, 1 routes received/m);
  await r.stop();
});
