// The audit from the reconciler's side, against a fake VPP whose routes a test edits behind
// fibmgr's back: drift is found and named (missing, extra under our source, different paths),
// a read-only audit changes nothing, a repairing one makes VPP what zebra wants, and routes with
// work under way are not judged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathsKey } from '../../src/sync/vpp/vpp-fields.js';
import { FakePort } from '../helpers/fake-port.js';
import { parsePrefix } from '../../src/route/prefix.js';
import { bothPorts as both, path as vppPath, reconciler, routesWith } from '../helpers/builders.js';

const { add } = routesWith({ protocolId: 196 });
const path = (gateway: string) => vppPath({ gateway });

async function synced(port: FakePort) {
  const r = reconciler(port, { resyncGraceMs: 10, deleteHoldMs: 5 });
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', '10.0.2.2'), add('10.2.0.0/16', '10.0.2.2'), add('10.3.0.0/16', '10.0.2.3')]);
  await r.idle();
  return r;
}

both('an audit of an untouched VPP finds nothing and changes nothing', async (port) => {
  const r = await synced(port);
  const writes = port.ops.length;
  const a = await r.audit({ repair: true });
  assert.equal(a.ok, true);
  assert.deepEqual([a.checked, a.missing, a.extra, a.different, a.repaired], [3, 0, 0, 0, 0]);
  assert.equal(port.ops.length, writes);
  await r.stop();
});

both('drift behind fibmgr\'s back is named; a read-only audit leaves it; a repairing one makes VPP zebra\'s again', async (port) => {
  const r = await synced(port);
  port.vpp.delete('0|10.1.0.0/16'); // another client deleted one of our routes
  port.vpp.set('0|172.16.0.0/12', { family: 4, table: 0, prefix: parsePrefix('172.16.0.0/12'), paths: [path('192.0.2.9')] }); // and added one under our source
  port.vpp.set('0|10.3.0.0/16', { family: 4, table: 0, prefix: parsePrefix('10.3.0.0/16'), paths: [path('10.9.9.9')] }); // and changed one
  const ro = await r.audit({ repair: false });
  assert.deepEqual([ro.ok, ro.missing, ro.extra, ro.different, ro.repaired], [true, 1, 1, 1, 0]);
  assert.deepEqual(ro.drift.map((d) => `${d.kind} ${d.table} ${d.prefix} vpp=${d.vpp} fibmgr=${d.fibmgr}`).sort(), [
    `different 0 10.3.0.0/16 vpp=${pathsKey([path('10.9.9.9')])} fibmgr=${pathsKey([path('10.0.2.3')])}`,
    `extra 0 172.16.0.0/12 vpp=${pathsKey([path('192.0.2.9')])} fibmgr=null`,
    `missing 0 10.1.0.0/16 vpp=null fibmgr=${pathsKey([path('10.0.2.2')])}`,
  ]);
  await r.idle();
  assert.equal(port.vpp.has('0|10.1.0.0/16'), false, 'read-only: nothing was written');
  assert.equal(port.vpp.has('0|172.16.0.0/12'), true);
  const fixed = await r.audit({ repair: true });
  assert.equal(fixed.repaired, 3);
  await r.idle();
  assert.deepEqual([...port.vpp.keys()].sort(), ['0|10.1.0.0/16', '0|10.2.0.0/16', '0|10.3.0.0/16']);
  assert.equal(pathsKey(port.vpp.get('0|10.3.0.0/16')!.paths), pathsKey([path('10.0.2.3')]));
  const after = await r.audit({ repair: true });
  assert.deepEqual([after.missing, after.extra, after.different], [0, 0, 0]);
  assert.deepEqual(r.state().counters.drift, { missing: 1 + 1, extra: 1 + 1, different: 1 + 1 });
  assert.equal(r.state().counters.audits, 3);
  await r.stop();
});

both('routes with work under way during the audit are not judged; two audits at once share one dump of VPP', async (port) => {
  const r = await synced(port);
  port.hold = true;
  r.apply(1, [add('10.4.0.0/16', '10.0.2.4'), add('10.1.0.0/16', '10.0.2.9')]); // new, and changed: in flight
  // quietWaitMs 0: audit now, with the writes still in flight
  const [a, b] = await Promise.all([r.audit({ repair: true, quietWaitMs: 0 }), r.audit({ repair: true, quietWaitMs: 0 })]);
  assert.equal(a.ok, true);
  assert.deepEqual(b, a, 'the second waited for the first and took its answer');
  assert.equal(r.state().counters.audits, 1, 'one dump');
  assert.deepEqual([a.missing, a.extra, a.different], [0, 0, 0]);
  assert.ok(a.unjudged >= 1, `unjudged ${a.unjudged}`);
  port.hold = false;
  port.release();
  await r.idle();
  const c = await r.audit({ repair: true });
  assert.deepEqual([c.checked, c.missing, c.extra, c.different], [4, 0, 0, 0]);
  await r.stop();
});

both('a read-only audit under way (anyone may ask one on the TCP port) never refuses or swallows a repairing one: the repair runs after it', async (port) => {
  const r = await synced(port);
  port.vpp.delete('0|10.2.0.0/16'); // drift behind fibmgr's back
  port.hold = true;
  r.apply(1, [add('10.4.0.0/16', '10.0.2.4')]); // in flight: the read-only audit waits for quiet
  const ro = r.audit({ repair: false });
  const repair = r.audit({ repair: true, quietWaitMs: 0 });
  port.hold = false;
  port.release();
  const [roR, fixed] = await Promise.all([ro, repair]);
  assert.equal(roR.repaired, 0);
  assert.equal(fixed.ok, true, fixed.error);
  assert.equal(fixed.missing, 1);
  assert.equal(fixed.repaired, 1);
  await r.idle();
  assert.equal(port.vpp.has('0|10.2.0.0/16'), true, 'repaired');
  await r.stop();
});

test('an audit that cannot read VPP says why', async () => {
  const port = new FakePort();
  const r = await synced(port);
  port.connected = false;
  const a = await r.audit({ repair: true });
  assert.equal(a.ok, false);
  assert.match(a.error!, /not connected/);
  await r.stop();
});

both('an audit asked for during a 100k-route replay waits for it to be written, finishes and repairs nothing wrongly', async (port) => {
  const r = reconciler(port, { resyncGraceMs: 10, maxBacklog: 1_000_000, deleteHoldMs: 5 });
  await r.start();
  r.sessionStart(1);
  const N = 100_000;
  const route = (i: number) => add(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, `10.0.${2 + (i % 3)}.1`);
  r.apply(1, Array.from({ length: 1000 }, (_, i) => route(i)));
  await r.idle();
  // the rest of the replay streams in while the audit dumps what VPP holds so far
  const audit = r.audit({ repair: true });
  for (let i = 1000; i < N; i += 1000) {
    r.apply(1, Array.from({ length: 1000 }, (_, k) => route(i + k)));
    await new Promise((res) => setImmediate(res));
  }
  const a = await audit;
  assert.equal(a.ok, true);
  assert.deepEqual([a.missing, a.extra, a.different, a.repaired], [0, 0, 0, 0], JSON.stringify(a.drift.slice(0, 3)));
  assert.ok(a.checked >= 1000);
  // and with no wait (an audit in the middle of the writes): still nothing repaired wrongly
  const during = r.audit({ repair: true, quietWaitMs: 0 });
  r.apply(1, Array.from({ length: 1000 }, (_, k) => route(N + k)));
  const b = await during;
  assert.deepEqual([b.missing, b.extra, b.different, b.repaired], [0, 0, 0, 0]);
  await r.idle();
  assert.equal(port.vpp.size, N + 1000);
  const again = await r.audit({ repair: true });
  assert.deepEqual([again.checked, again.missing, again.extra, again.different], [N + 1000, 0, 0, 0]);
  await r.stop();
});
