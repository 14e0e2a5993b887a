// LSPs (AF_MPLS routes) and labelled routes: decoded from the streams real zebras sent with MPLS
// enabled (test/fixtures/fpm/mpls-*, scripts/record-mpls-fixtures.sh), and the edges they cannot show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeAll, plain } from './decode-all.js';
import { lspMsg, netlinkFrame, routeMsg, nexthopMsg } from './build.js';
import type { ErrorEvent, LspEvent, RouteEvent, RouteEventRoute } from '../../src/route/types.js';
import { lsp, nexthop } from '../helpers/builders.js';

const DIR = fileURLToPath(new URL('../fixtures/fpm/', import.meta.url));
const events = (name: string): RouteEvent[] => {
  const { events: ev, decoder } = decodeAll(readFileSync(`${DIR}${name}.bin`));
  assert.equal(decoder.stats.errors, 0, name);
  return ev;
};
const lsps = (ev: RouteEvent[]) => ev.filter((e): e is LspEvent => e.kind === 'lsp');
const text = (l: LspEvent): string => `${l.op} ${l.label}${l.nexthops.map((n) => ` ${n.gateway}@${n.ifindex}:${n.labels.join('/') || 'pop'}`).join('')}`;

for (const fixture of ['mpls-84', 'mpls-frr10']) {
  test(`${fixture}: LSPs added, changed (one replacing add) and deleted, as zebra showed them`, () => {
    const got = lsps(events(`${fixture}-1`));
    assert.deepEqual(got.map(text), [
      'add 100 10.0.2.2@3:200',                           // from zebra.conf, in the replay at connect
      'add 101 10.0.3.4@5:pop',                           // implicit-null: no RTA_NEWDST
      'add 102 10.0.2.3@3:300 10.0.3.3@5:301',            // two next hops: RTA_MULTIPATH
      'add 103 2001:db8:3::5@5:2',                        // IPv6 explicit-null, an IPv6 RTA_VIA
      'add 100 10.0.2.2@3:201',                           // a change: one add, no delete before it
      'del 101',                                          // a deletion: protocol 0, the label only
      'add 102 10.0.3.3@5:301',                           // one next hop less
    ]);
    for (const l of got) assert.equal(l.eos, true, 'FRR sets bottom-of-stack on every incoming label');
    assert.deepEqual(got.filter((l) => l.op === 'add').map((l) => l.protocol), Array(6).fill('static'));
    assert.equal(got.find((l) => l.op === 'del')!.protocolId, 0);
  });

  test(`${fixture}: labelled routes carry their stacks (inline on 8.4, in nexthop objects on 10.x)`, () => {
    const routes = events(`${fixture}-1`).filter((e): e is RouteEventRoute => e.kind === 'route' && e.op === 'add' && e.nexthops.some((n) => n.labels.length > 0));
    assert.deepEqual(routes.map((r) => `${r.prefix} ${r.nexthops.map((n) => `${n.gateway}:${n.labels.join('/')}`).join(' ')}`), [
      '192.168.50.0/24 10.0.2.2:500/600',
      '2001:db8:500::/48 2001:db8:2::2:700',
      '192.168.50.0/24 10.0.2.2:501/601/701',
    ]);
    assert.equal(routes.every((r) => r.nhg === null), fixture === 'mpls-84');
  });

  test(`${fixture}: the replay after a reconnect brings every LSP zebra holds`, () => {
    const got = lsps(events(`${fixture}-2`));
    assert.deepEqual(got.map(text).sort(), ['add 100 10.0.2.2@3:201', 'add 102 10.0.3.3@5:301', 'add 103 2001:db8:3::5@5:2']);
  });
}

test('an LSP with more out-labels than VPP can push is an error naming its label, not an LSP', () => {
  const seventeen = Array.from({ length: 17 }, (_, i) => 1000 + i);
  const { events: ev, decoder } = decodeAll(netlinkFrame(
    lspMsg({ label: 300, via: '10.0.2.2', oif: 3, out: seventeen }),
    lspMsg({ label: 301, via: '10.0.2.2', oif: 3, out: seventeen.slice(1) }),
    lspMsg({ label: 302, multipath: [{ via: '10.0.2.2', ifindex: 3, out: [5] }, { via: '10.0.3.3', ifindex: 5, out: seventeen }] }),
  ));
  assert.equal(ev.length, 3);
  const [deep, sixteen, mp] = ev as [ErrorEvent, LspEvent, ErrorEvent];
  assert.equal(deep.kind, 'error');
  assert.equal(deep.what, 'too-many-labels');
  assert.equal(deep.lsp, 300);
  assert.equal(deep.lspOp, 'add');
  assert.equal(sixteen.kind, 'lsp');
  assert.equal(sixteen.nexthops[0]!.labels.length, 16);
  assert.equal(mp.what, 'too-many-labels');
  assert.equal(mp.lsp, 302);
  assert.equal(decoder.stats.errors, 2);
  assert.equal(decoder.stats.lsps, 1);
});

test('a labelled route or nexthop object deeper than 16 labels is unusable, the route named (reported to zebra as failed)', () => {
  const seventeen = Array.from({ length: 17 }, (_, i) => 1000 + i);
  const { events: ev } = decodeAll(netlinkFrame(
    routeMsg({ prefix: '192.168.60.0/24', gateway: '10.0.2.2', oif: 3, labels: seventeen }),
    nexthopMsg({ id: 7, gateway: '10.0.2.2', oif: 3, labels: seventeen }),
    routeMsg({ prefix: '192.168.61.0/24', nhId: 7 }),
  ));
  const errors = ev.filter((e): e is ErrorEvent => e.kind === 'error');
  assert.deepEqual(errors.map((e) => [e.what, e.route ? String(e.route.prefix) : null]), [
    ['too-many-labels', '192.168.60.0/24'],
    ['too-many-labels', null],
    ['group-unusable', '192.168.61.0/24'],
  ]);
  assert.equal(ev.filter((e) => e.kind === 'route').length, 0);
});

test('LSP edges: IPv4 and IPv6 next hops, weights, a delete, a non-bottom label, malformed ones', () => {
  const { events: ev } = decodeAll(netlinkFrame(
    lspMsg({ label: 16, eos: false, multipath: [{ via: '10.0.2.2', ifindex: 3, hops: 1 }, { via: 'fe80::1', ifindex: 5, out: [3000, 3001] }] }),
    lspMsg({ op: 'del', label: 16 }),
    lspMsg({ label: 17 }),                         // no next hop at all
  ));
  assert.deepEqual(plain(ev[0]), plain(lsp(16, [nexthop('10.0.2.2', 3, 2), nexthop('fe80::1', 5, 1, [3000, 3001])], { eos: false })));
  assert.deepEqual(plain(ev[1]), plain(lsp(16, [], { op: 'del', protocol: 'unspec', protocolId: 0 })));
  assert.equal(ev[2]!.kind, 'error');
  assert.equal((ev[2] as ErrorEvent).lsp, 17);
  // a bad dst_len or RTA_DST: no label to name
  const bad = lspMsg({ label: 18, via: '10.0.2.2', oif: 3 });
  bad[16 + 1] = 32;
  const short = lspMsg({ label: 19, via: '10.0.2.2', oif: 3 });
  short.writeUInt16LE(6, 16 + 12); // RTA_DST length 6: 2 bytes of label
  const r = decodeAll(netlinkFrame(bad, short)).events as ErrorEvent[];
  assert.deepEqual(r.map((e) => [e.kind, e.what, e.lsp]), [['error', 'malformed', undefined], ['error', 'malformed', undefined]]);
});
