// The reasons a route zebra sent is not installed (src/sync/state/not-installed.ts), each through the
// reconciler as zebra's event would reach it: what zebra is told, which counter moves, and what
// `fibmgr show route` says. A reason with no row here fails the first test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NOT_INSTALLED, NOT_INSTALLED_REASONS, isMulticast, routeReason, type NotInstalledReason } from '../../src/sync/state/not-installed.js';
import { formatShownRoute } from '../../src/cli/show-route.js';
import { FakePort } from '../helpers/fake-port.js';
import { add, nexthop, reconciler, RecordingReporter } from '../helpers/builders.js';
import type { ErrorEvent, RouteEvent } from '../../src/route/types.js';
import { parsePrefix } from '../../src/route/prefix.js';

// FakePort maps Linux ifindex 2 to a VPP interface, nothing else
const onIf = (ifindex: number) => [nexthop(null, ifindex)];
function unusable(prefix: string, what: ErrorEvent['what'], reason: string, src?: string): ErrorEvent {
  return {
    kind: 'error', offset: 0, what, reason,
    route: { family: prefix.includes(':') ? 6 : 4, table: 254, prefix: parsePrefix(prefix), op: 'add', protocol: 'static', protocolId: 196, type: 'unicast', ...(src ? { src: parsePrefix(src) } : {}) },
  };
}
const told = (n: { installed: boolean; prefix: string }) => `${n.installed ? 'installed' : 'failed'} ${n.prefix}`;

interface Row {
  /** zebra's events for the prefix (its add, or the message about it). */
  events: RouteEvent[];
  prefix: string;
  /** What zebra hears of the add. */
  zebra: 'installed' | 'failed';
  /** `fibmgr show route`'s state line for the prefix. */
  show: RegExp;
}

const CASES: Record<NotInstalledReason, Row> = {
  connected: {
    events: [add('10.1.0.0/24', onIf(2), { protocol: 'kernel' })], prefix: '10.1.0.0/24', zebra: 'installed',
    show: /^state: {3}not installed: connected \(a connected route .*VPP has its own route for it/m,
  },
  multicast: {
    events: [add('239.1.0.0/16', '10.0.2.2')], prefix: '239.1.0.0/16', zebra: 'failed',
    show: /^state: {3}not installed: multicast \(a multicast destination/m,
  },
  'unmappable-nexthop': {
    events: [add('10.2.0.0/24', onIf(9))], prefix: '10.2.0.0/24', zebra: 'failed',
    show: /^state: {3}not installed: unmappable-nexthop \(no next hop maps to a VPP interface/m,
  },
  'no-nexthops': {
    events: [add('10.3.0.0/24', [])], prefix: '10.3.0.0/24', zebra: 'failed',
    show: /^state: {3}not installed: no-nexthops \(zebra sent it with no next hops\)/m,
  },
  'source-specific': {
    // a route of its own beside its destination's: show route of the destination knows nothing of it
    events: [unusable('2001:db8:4::/48', 'source-specific', 'a source prefix', '2001:db8:5::/48')], prefix: '2001:db8:4::/48', zebra: 'failed',
    show: /^state: {3}fibmgr has no such route/m,
  },
  'unusable-message': {
    events: [unusable('10.5.0.0/24', 'unsupported-encap', 'encapsulation 100')], prefix: '10.5.0.0/24', zebra: 'failed',
    show: /^state: {3}not installed: unusable-message: unsupported-encap: encapsulation 100 \(zebra's message about it could not be used/m,
  },
};

test('every reason a route is not installed has its row below', () => {
  assert.deepEqual(Object.keys(CASES).sort(), [...NOT_INSTALLED_REASONS].sort());
});

for (const [reason, row] of Object.entries(CASES) as [NotInstalledReason, Row][]) {
  test(`not installed, ${reason}: zebra is told "${row.zebra}", counted under its reason, explained by show route`, async () => {
    assert.equal(NOT_INSTALLED[reason].zebra, row.zebra, 'the table says what the row expects');
    const port = new FakePort();
    const r = reconciler(port, { resyncGraceMs: 10, deleteHoldMs: 1 });
    await r.start();
    r.sessionStart(1);
    const rep = new RecordingReporter(told);
    r.attachReporter(1, rep);
    r.apply(1, row.events);
    await r.idle();
    assert.deepEqual(rep.got, [`${row.zebra} ${row.prefix}`]);
    assert.equal(port.ops.length, 0, 'nothing written to VPP');
    const counts = r.state().counters.skipped;
    for (const k of NOT_INSTALLED_REASONS) assert.equal(counts[k], k === reason ? 1 : 0, `counter ${k}`);
    const shown = formatShownRoute({ ...r.explain(0, parsePrefix(row.prefix)), zebraTable: 254, vpp: null });
    assert.match(shown, row.show);
    await r.stop();
  });
}

test('a reason found on the route does not stick to its next hops: a static route through a connected route\'s interface is installed, either way round', async () => {
  for (const order of [['connected', 'static'], ['static', 'connected']]) {
    const port = new FakePort();
    const r = reconciler(port, { resyncGraceMs: 10, deleteHoldMs: 1 });
    await r.start();
    r.sessionStart(1);
    const byKind: Record<string, RouteEvent> = {
      connected: add('10.7.0.0/24', onIf(2), { protocol: 'kernel' }),
      static: add('10.8.0.0/24', onIf(2)),
    };
    r.apply(1, order.map((k) => byKind[k]!));
    await r.idle();
    assert.deepEqual([...port.fib.keys()], ['0|10.8.0.0/24'], order.join(' then '));
    assert.equal(r.state().counters.skipped.connected, 1);
    await r.stop();
  }
});

test('routeReason: only reasons found on the route itself, in the table\'s order', () => {
  const connected = add('10.1.0.0/24', onIf(2), { protocol: 'kernel' });
  assert.equal(routeReason(connected, { installConnected: false }), 'connected');
  assert.equal(routeReason(connected, { installConnected: true }), null);
  assert.equal(routeReason(add('10.1.0.0/24', [nexthop('10.0.0.1', 2)], { protocol: 'kernel' }), { installConnected: false }), null, 'a kernel route through a gateway is not connected');
  assert.equal(routeReason(add('10.1.0.0/24', onIf(9)), { installConnected: false }), null, 'next hops are the paths\' business');
});

test('multicast: a network inside 224.0.0.0/4 or ff00::/8, not one merely covering part of it', () => {
  const rows: [string, boolean][] = [
    ['224.0.0.0/4', true], ['239.255.255.250/32', true], ['224.0.0.0/24', true], ['232.1.0.0/16', true],
    ['192.0.0.0/2', false], ['0.0.0.0/0', false], ['223.255.255.0/24', false], ['240.0.0.0/4', false],
    ['ff00::/8', true], ['ff02::1:2/128', true], ['ff3e::/32', true],
    ['fe80::/10', false], ['f000::/4', false], ['::/0', false], ['2001:db8::/32', false],
  ];
  for (const [p, want] of rows) assert.equal(isMulticast(parsePrefix(p)), want, p);
  // a connected route stays connected (the table's order), whatever its destination
  assert.equal(routeReason(add('224.0.0.0/4', onIf(2), { protocol: 'kernel' }), { installConnected: false }), 'connected');
  assert.equal(routeReason(add('224.0.0.0/4', onIf(2), { protocol: 'kernel' }), { installConnected: true }), 'multicast');
});
