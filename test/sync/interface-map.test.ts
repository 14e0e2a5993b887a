// The interface map (linux-cp pairs, --interface-map) as routes see it: a route decoded before the
// first map is installed once it comes; a change of the map at a VPP handshake translates again
// exactly the routes through the changed interfaces (a pair that appears installs what could not
// be, one that goes takes back what needed it); a link-local gateway without a mapped interface is
// unmappable, never a recursive path VPP could not resolve. Against a fake port, and against the
// simulator through the real adapter (where the pairs come from lcp_itf_pair_get).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reconciler } from '../../src/sync/reconciler.js';
import { VppAdapter, REQUIRED, OPTIONAL } from '../../src/sync/vpp/vpp-adapter.js';
import { VppClient, type MessageDef } from 'vpp-binapi-ts';
import { messages } from 'vpp-binapi-ts/gen';
import { VppSim } from 'vpp-binapi-ts/sim';
import { parsePrefix } from '../../src/route/prefix.js';
import { FakePort } from '../helpers/fake-port.js';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { until } from '../helpers/sim-stack.js';
import { nexthop as nh, pathsOf as pk, quiet, reconciler, reconcilerOptions, RecordingReporter, routesWith, type Report } from '../helpers/builders.js';

const { add } = routesWith({ protocolId: 196 });
/** What zebra was told, by route: "offload 10.1.0.0/16". */
class Reporter extends RecordingReporter {
  constructor() { super((n: Report) => `${n.installed ? 'offload' : 'failed'} ${n.prefix}`); }
}

function make(port: FakePort, resyncGraceMs = 20) {
  return reconciler(port, { resyncGraceMs, deleteHoldMs: 5, retryMinMs: 5 });
}

test('routes decoded before the first interface map are installed once it comes', async () => {
  const port = new FakePort();
  port.ifmap.clear(); // as the adapter: nothing is mapped before VPP's first handshake
  const r = make(port);
  r.sessionStart(1);
  const rep = new Reporter();
  r.attachReporter(1, rep);
  r.apply(1, [
    add('10.1.0.0/16', [nh(null, 7)]), // interface-only
    add('10.2.0.0/16', [nh('10.0.2.2', 7)]), // its gateway recursive without the map
    add('2001:db8:1::/48', [nh('fe80::1', 7)]), // link-local: nothing without the map
    add('10.3.0.0/16', [nh('10.0.3.3', 8)]), // through an interface the map will not know
  ]);
  assert.equal(r.state().counters.skipped['unmappable-nexthop'], 2);
  // VPP's first handshake loads the map (the adapter does it before adopting)
  port.ifmap.set(7, 9);
  await r.start();
  await r.idle();
  assert.deepEqual(Object.fromEntries([...port.fib].sort()), {
    '0|10.1.0.0/16': pk({ swIfIndex: 9 }),
    '0|10.2.0.0/16': pk({ gateway: '10.0.2.2', swIfIndex: 9 }),
    '0|10.3.0.0/16': pk({ gateway: '10.0.3.3' }),
    '0|2001:db8:1::/48': pk({ gateway: 'fe80::1', swIfIndex: 9, proto: 6 }),
  });
  assert.ok(rep.got.includes('offload 10.1.0.0/16') && rep.got.includes('offload 2001:db8:1::/48'), rep.got.join(', '));
  await r.stop();
});

test('a change of the map at a VPP reconnect translates again exactly the routes through the changed interfaces', async () => {
  const port = new FakePort(); // ifindex 2 → sw 5
  port.ifmap.set(3, 6);
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  const rep = new Reporter();
  r.attachReporter(1, rep);
  r.apply(1, [
    add('10.1.0.0/16', [nh(null, 7)]), // unmappable until 7 appears
    add('10.2.0.0/16', [nh('10.0.2.2', 7)]), // recursive until 7 appears
    add('10.3.0.0/16', [nh(null, 2)]), // on sw 5 until 2 goes
    add('10.4.0.0/16', [nh('10.0.4.4', 2), nh(null, 3)]), // 2 goes: recursive + sw 6
    add('10.5.0.0/16', [nh('10.0.5.5', 3)], { nhg: 40 }), // through 3: untouched
    add('10.6.0.0/16', [nh(null, 3)]), // through 3: untouched
  ]);
  await r.idle();
  assert.deepEqual(Object.fromEntries([...port.fib].sort()), {
    '0|10.2.0.0/16': pk({ gateway: '10.0.2.2' }),
    '0|10.3.0.0/16': pk({ swIfIndex: 5 }),
    '0|10.4.0.0/16': pk({ gateway: '10.0.4.4', swIfIndex: 5 }, { swIfIndex: 6 }),
    '0|10.5.0.0/16': pk({ gateway: '10.0.5.5', swIfIndex: 6 }),
    '0|10.6.0.0/16': pk({ swIfIndex: 6 }),
  });
  rep.got.length = 0;
  const before = { '10.5': r.explain(0, parsePrefix('10.5.0.0/16')).wants, '10.6': r.explain(0, parsePrefix('10.6.0.0/16')).wants };
  // VPP comes back with a linux-cp pair for 7 and without 2
  port.ifmap.set(7, 9);
  port.ifmap.delete(2);
  port.installed = [...port.vpp.values()]; // what VPP still holds, adopted at the handshake
  port.ops.length = 0;
  port.reconnect();
  await r.idle();
  assert.deepEqual(Object.fromEntries([...port.fib].sort()), {
    '0|10.1.0.0/16': pk({ swIfIndex: 9 }),
    '0|10.2.0.0/16': pk({ gateway: '10.0.2.2', swIfIndex: 9 }),
    '0|10.4.0.0/16': pk({ gateway: '10.0.4.4' }, { swIfIndex: 6 }),
    '0|10.5.0.0/16': pk({ gateway: '10.0.5.5', swIfIndex: 6 }),
    '0|10.6.0.0/16': pk({ swIfIndex: 6 }),
  });
  assert.deepEqual(port.ops.map((o) => `${o.op} ${o.key}`).sort(), ['remove 0|10.3.0.0/16', 'replace 0|10.1.0.0/16', 'replace 0|10.2.0.0/16', 'replace 0|10.4.0.0/16'], 'the routes through unchanged interfaces are not written');
  assert.deepEqual({ '10.5': r.explain(0, parsePrefix('10.5.0.0/16')).wants, '10.6': r.explain(0, parsePrefix('10.6.0.0/16')).wants }, before);
  assert.deepEqual(rep.got.sort(), ['failed 10.3.0.0/16', 'offload 10.1.0.0/16', 'offload 10.2.0.0/16', 'offload 10.4.0.0/16']);
  assert.equal(r.explain(0, parsePrefix('10.3.0.0/16')).state, 'not-installed');
  // and back: 2 returns
  port.ifmap.set(2, 5);
  port.installed = [...port.vpp.values()];
  port.reconnect();
  await r.idle();
  assert.equal(port.fib.get('0|10.3.0.0/16'), pk({ swIfIndex: 5 }));
  await r.stop();
});

test('a link-local gateway whose interface maps to no VPP interface is unmappable (reported), not a recursive path', async () => {
  // the translation itself, case by case: translate.test.ts
  const port = new FakePort();
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  const rep = new Reporter();
  r.attachReporter(1, rep);
  r.apply(1, [add('2001:db8:1::/48', [nh('fe80::1', 7)])]);
  await r.idle();
  assert.equal(port.fib.size, 0);
  assert.equal(r.state().counters.skipped['unmappable-nexthop'], 1);
  assert.deepEqual(rep.got, ['failed 2001:db8:1::/48']);
  assert.equal(r.explain(0, parsePrefix('2001:db8:1::/48')).state, 'not-installed');
  await r.stop();
});

test('an unmappable route zebra\'s next replay does not send is forgotten: a later map does not install it', async () => {
  const port = new FakePort();
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh(null, 7)]), add('10.9.0.0/16', [nh('10.0.9.9', null)])]);
  await r.idle();
  r.sessionStart(2); // zebra reconnects and replays without 10.1.0.0/16
  r.apply(2, [add('10.9.0.0/16', [nh('10.0.9.9', null)])]);
  await r.idle();
  port.ifmap.set(7, 9);
  port.installed = [...port.vpp.values()];
  port.reconnect();
  await r.idle();
  assert.deepEqual([...port.fib.keys()], ['0|10.9.0.0/16']);
  assert.equal(r.state().routes, 1);
  await r.stop();
});

test('an unmappable route of a nexthop group is installed when the group changes to next hops that map', async () => {
  const port = new FakePort();
  const r = make(port);
  await r.start();
  r.sessionStart(1);
  r.apply(1, [add('10.1.0.0/16', [nh(null, 7)], { nhg: 40 })]);
  await r.idle();
  assert.equal(port.fib.size, 0);
  r.apply(1, [{ kind: 'nexthop-group', op: 'add', id: 40, nexthop: nh(null, 2), resolved: [nh(null, 2)], replaced: true }]);
  await r.idle();
  assert.deepEqual([...port.fib], [['0|10.1.0.0/16', pk({ swIfIndex: 5 })]]);
  await r.stop();
});

// --- through the adapter, against the simulator ----------------------------------------------------

let n = 0;
test('a linux-cp pair that appears at a VPP reconnect installs the routes through its host interface', async () => {
  const sock = join(tmpdir(), `fibmgr-ifmap-${process.pid}-${n++}.sock`);
  const sim = await new VppSim({ socketPath: sock, interfaces: [{ swIfIndex: 1, name: 'ge0', flags: 3, mac: '02:fe:00:00:00:01', mtu: 9000 }] }).start();
  const defs = messages as unknown as Record<string, MessageDef>;
  const client = new VppClient({
    socketPath: sock, messages: defs, required: REQUIRED.map((m) => defs[m]!), optional: OPTIONAL.map((m) => defs[m]).filter((d): d is MessageDef => !!d),
    reconnect: { minMs: 10, maxMs: 50 },
  });
  const port = new VppAdapter({ client, messages: defs, logger: quiet });
  const r = new Reconciler(port, reconcilerOptions({ resyncGraceMs: 20, deleteHoldMs: 5, retryMinMs: 5 }));
  try {
    await client.connect();
    await r.start();
    r.sessionStart(1);
    r.apply(1, [add('10.1.0.0/16', [nh(null, 40)]), add('10.2.0.0/16', [nh('10.0.2.2', 40)]), add('10.3.0.0/16', [nh('10.0.3.3', null)])]);
    await r.idle();
    const fib = () => Object.fromEntries([...simRoutes(sim, simSource(sim, 'fibmgr')!)].sort(([a], [b]) => a.localeCompare(b)));
    assert.deepEqual(fib(), { '0|10.2.0.0/16': ['normal 10.0.2.2 sw* w1'], '0|10.3.0.0/16': ['normal 10.0.3.3 sw* w1'] });
    const writes = sim.routeOps.add;
    sim.lcpPairs.push({ phySwIfIndex: 1, hostSwIfIndex: 2, vifIndex: 40, hostIfName: 'tap40' });
    sim.dropConnections();
    const installed = await until(() => fib()['0|10.1.0.0/16'] !== undefined && r.state().vppReady && r.state().backlog === 0, 20_000);
    assert.ok(installed, `not installed after the reconnect: ${JSON.stringify(fib())}`);
    await r.idle();
    assert.deepEqual(fib(), { '0|10.1.0.0/16': ['normal - sw1 w1'], '0|10.2.0.0/16': ['normal 10.0.2.2 sw1 w1'], '0|10.3.0.0/16': ['normal 10.0.3.3 sw* w1'] });
    assert.equal(sim.routeOps.add - writes, 2, 'only the two routes through the new pair are written');
  } finally {
    await r.stop();
    await client.close();
    await sim.stop();
  }
});
