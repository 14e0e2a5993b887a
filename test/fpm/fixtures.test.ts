// Every recorded zebra stream decodes to what its .json says, entry by entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeAll, plain } from './decode-all.js';
import { protocolName } from '../../src/fpm/netlink/constants.js';
import { parseAddress } from '../../src/route/prefix.js';
import type { RouteEvent, RouteEventRoute } from '../../src/route/types.js';

// FRR 8.4.4's recordings (test/fixtures/fpm, from the project's shared lab), and FRR 10.3's, recorded for this project (test/fpm/fixtures,
// scripts/record-frr10-fixtures.sh); both decoded to their .json by the lab's own decoder.
const DIR = fileURLToPath(new URL('../fixtures/fpm/', import.meta.url));
const OWN = fileURLToPath(new URL('./fixtures/', import.meta.url));
const shared = readdirSync(DIR).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();
const own = readdirSync(OWN).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();
const names = [...shared, ...own];

type Entry = Record<string, unknown>;
const load = (name: string): { bin: Buffer; json: Entry[] } => {
  const dir = own.includes(name) ? OWN : DIR;
  return {
    bin: readFileSync(`${dir}${name}.bin`),
    json: JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as Entry[],
  };
};

/** What a nexthop-group entry says that a decoder must agree on (the lab's decoder prints more: family, protocol). */
const NHG_KEYS = ['kind', 'op', 'id', 'group', 'nexthop', 'blackhole'];

/** The entry as compared: a nexthop-group on the keys above that the JSON has (a next hop on its own keys). */
function expected(want: Entry): Entry {
  if (want.kind !== 'nexthop-group') return want;
  return Object.fromEntries(NHG_KEYS.filter((k) => k in want).map((k) => [k, want[k]]));
}

/**
 * The decoder's event in the JSON's terms. The recordings older than route notifications give a
 * route's protocol by name only: there the number (protocolId) must name the same protocol, and is
 * then left out of the comparison.
 */
function comparable(got: RouteEvent, want: Entry): unknown {
  const g = plain(got) as Entry;
  if (want.kind === 'route' && !('protocolId' in want) && g.protocolId !== undefined) {
    assert.equal(protocolName(g.protocolId as number), g.protocol, 'protocolId names the protocol');
    delete g.protocolId;
  }
  // the lab's decoder prints no next hop's family: it must be its gateway's, and is then left out
  if (Array.isArray(g.nexthops)) {
    g.nexthops = (g.nexthops as Entry[]).map(({ family, ...n }) => {
      assert.equal(family, n.gateway === null ? null : parseAddress(n.gateway as string).family, `the family of ${n.gateway}`);
      return n;
    });
  }
  if (want.kind !== 'nexthop-group') return g;
  const w = expected(want);
  return Object.fromEntries(Object.keys(w).map((k) => {
    const v = g[k] as Entry | undefined;
    if (k === 'nexthop' && v) return [k, Object.fromEntries(Object.keys(w.nexthop as Entry).map((n) => [n, v[n]]))];
    return [k, v];
  }));
}

test('the fixtures folders hold the recorded streams', () => {
  assert.ok(shared.length >= 10, `found ${shared.join(', ')}`);
  assert.deepEqual(own, ['frr10-reconnect-1', 'frr10-reconnect-2', 'frr10-replace']);
});

const routesOf = (name: string) => decodeAll(load(name).bin).events.filter((e): e is RouteEventRoute => e.kind === 'route');

test('frr10-replace (FRR 10.3, fpm use-route-replace by default): a change is one add, only a removal is a delete', () => {
  const routes = routesOf('frr10-replace');
  const afterReplay = routes.slice(routes.findIndex((r) => r.table === 100) + 1);
  assert.deepEqual(afterReplay.map((r) => `${r.op} ${r.prefix}`), [
    'add 8.8.8.8/32', 'add 203.0.113.0/24', 'del 192.0.2.0/24', 'add 2001:db8:100::/48',
  ]);
  const moved = afterReplay.find((r) => String(r.prefix) === '203.0.113.0/24')!;
  assert.deepEqual(moved.nexthops.map((n) => n.gateway), ['10.0.3.9']);
  assert.deepEqual(routesOf('frr10-replace').find((r) => String(r.prefix) === '8.8.8.8/32' && r.nexthops.length === 2)?.nexthops.map((n) => n.gateway), ['10.0.2.2', '10.0.2.3']);
});

test('FRR 10.3 local routes (an interface\'s own address, /32 and /128) come as protocol kernel (2) on their interface, no gateway', () => {
  const local = routesOf('frr10-reconnect-1').filter((r) => String(r.prefix) === '10.0.2.1/32' || String(r.prefix) === '2001:db8:2::1/128');
  assert.ok(local.length >= 2);
  for (const r of local) {
    assert.equal(r.protocolId, 2);
    assert.equal(r.type, 'unicast');
    assert.ok(r.nexthops.length === 1 && r.nexthops[0]!.gateway === null && r.nexthops[0]!.ifindex !== null, JSON.stringify(r));
  }
});

test('frr10-reconnect: the replay brings back the main table, not table 100 (as in 8.4)', () => {
  const key = (r: RouteEventRoute) => `${r.table}|${r.prefix}`;
  const first = new Set(routesOf('frr10-reconnect-1').map(key));
  const replay = new Set(routesOf('frr10-reconnect-2').map(key));
  assert.deepEqual([...first].filter((k) => !replay.has(k)), ['100|10.100.0.0/16']);
  assert.deepEqual([...replay].filter((k) => !first.has(k)), []);
});

for (const name of names) {
  test(`fixture ${name} decodes to its .json`, () => {
    const { bin, json } = load(name);
    const { events, decoder } = decodeAll(bin);
    assert.equal(events.length, json.length, 'number of entries');
    assert.equal(decoder.stats.errors, 0);
    assert.equal(decoder.fatal, null);
    for (let i = 0; i < json.length; i++) assert.deepEqual(comparable(events[i]!, json[i]!), expected(json[i]!), `${name}[${i}]`);
  });

  test(`fixture ${name}: any chunking gives the same events`, () => {
    const { bin } = load(name);
    const whole = decodeAll(bin).events.map(plain);
    // Cut at every byte for small captures, at a pseudo-random spread for the big one.
    const cuts: number[] = [];
    if (bin.length <= 2048) for (let i = 1; i < bin.length; i++) cuts.push(i);
    else for (let i = 1, x = 7; i < bin.length; i += 1 + (x = (x * 1103515245 + 12345) % 2147483648) % 97) cuts.push(i);
    assert.deepEqual(decodeAll(bin, {}, cuts).events.map(plain), whole);
  });
}

// The weight quirk: the legacy module writes rtnh_hops = weight (1), dplane_fpm_nl weight − 1 (0).
test('legacy-fpm: auto and forced legacy read the ECMP weights as 1, forced kernel as 2', () => {
  const { bin, json } = load('legacy-fpm');
  const ecmp = (events: RouteEvent[]): number[] =>
    (events.find((e) => e.kind === 'route' && String(e.prefix) === '8.8.8.8/32') as RouteEventRoute).nexthops.map((n) => n.weight);
  assert.deepEqual(ecmp(decodeAll(bin, { weights: 'auto' }).events), [1, 1, 1]);
  assert.deepEqual(ecmp(decodeAll(bin, { weights: 'legacy' }).events), [1, 1, 1]);
  assert.deepEqual(ecmp(decodeAll(bin, { weights: 'kernel' }).events), [2, 2, 2]);
  assert.equal(decodeAll(bin, { weights: 'auto' }).decoder.weightConvention, 'legacy');
  const forcedLegacy = decodeAll(bin, { weights: 'legacy' }).events.map((e, i) => comparable(e, json[i]!));
  assert.deepEqual(forcedLegacy, json.map(expected));
});

test('static-inline-nexthops: hops 0 reads as weight 1 in every mode; auto concludes kernel', () => {
  const { bin, json } = load('static-inline-nexthops');
  for (const weights of ['auto', 'kernel', 'legacy'] as const) {
    assert.deepEqual(decodeAll(bin, { weights }).events.map((e, i) => comparable(e, json[i]!)), json.map(expected), weights);
  }
  assert.equal(decodeAll(bin, { weights: 'auto' }).decoder.weightConvention, 'kernel');
});

test('reconnect-replay: every route that names a group gets the same next hops as in the first connection', () => {
  const first = decodeAll(load('reconnect-first').bin).events.filter((e) => e.kind === 'route').map(plain);
  const replay = decodeAll(load('reconnect-replay').bin).events.filter((e) => e.kind === 'route').map(plain) as Entry[];
  for (const r of replay) {
    const f = (first as Entry[]).find((e) => e.prefix === String(r.prefix))!;
    assert.deepEqual(r.nexthops, f.nexthops, String(r.prefix));
  }
});
