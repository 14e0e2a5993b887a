// Every recorded zebra stream decodes to what its .json says, entry by entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeAll, plain } from './decode-all.js';
import { protocolName } from '../../src/fpm/netlink/constants.js';
import type { RouteEvent, RouteEventRoute } from '../../src/route/types.js';

const DIR = fileURLToPath(new URL('../../../shared/fixtures/fpm/', import.meta.url));
const names = readdirSync(DIR).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();

type Entry = Record<string, unknown>;
const load = (name: string): { bin: Buffer; json: Entry[] } => ({
  bin: readFileSync(`${DIR}${name}.bin`),
  json: JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Entry[],
});

/**
 * Nexthop-group entries are compared on the keys the JSON has; a decoder may print more. The
 * recordings older than route notifications give a route's protocol by name only: there the
 * number (protocolId) must name the same protocol, and is then left out of the comparison.
 */
function comparable(got: RouteEvent, want: Entry): unknown {
  const g = plain(got) as Entry;
  if (want.kind === 'route' && !('protocolId' in want) && g.protocolId !== undefined) {
    assert.equal(protocolName(g.protocolId as number), g.protocol, 'protocolId names the protocol');
    delete g.protocolId;
  }
  if (want.kind !== 'nexthop-group') return g;
  return Object.fromEntries(Object.keys(want).map((k) => [k, g[k]]));
}

test('the fixtures folder holds the recorded streams', () => {
  assert.ok(names.length >= 10, `found ${names.join(', ')}`);
});

for (const name of names) {
  test(`fixture ${name} decodes to its .json`, () => {
    const { bin, json } = load(name);
    const { events, decoder } = decodeAll(bin);
    assert.equal(events.length, json.length, 'number of entries');
    assert.equal(decoder.stats.errors, 0);
    assert.equal(decoder.fatal, null);
    for (let i = 0; i < json.length; i++) assert.deepEqual(comparable(events[i], json[i]), json[i], `${name}[${i}]`);
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
    (events.find((e) => e.kind === 'route' && e.prefix === '8.8.8.8/32') as RouteEventRoute).nexthops.map((n) => n.weight);
  assert.deepEqual(ecmp(decodeAll(bin, { weights: 'auto' }).events), [1, 1, 1]);
  assert.deepEqual(ecmp(decodeAll(bin, { weights: 'legacy' }).events), [1, 1, 1]);
  assert.deepEqual(ecmp(decodeAll(bin, { weights: 'kernel' }).events), [2, 2, 2]);
  assert.equal(decodeAll(bin, { weights: 'auto' }).decoder.weightConvention, 'legacy');
  const forcedLegacy = decodeAll(bin, { weights: 'legacy' }).events.map((e, i) => comparable(e, json[i]!));
  assert.deepEqual(forcedLegacy, json);
});

test('static-inline-nexthops: hops 0 reads as weight 1 in every mode; auto concludes kernel', () => {
  const { bin, json } = load('static-inline-nexthops');
  for (const weights of ['auto', 'kernel', 'legacy'] as const) {
    assert.deepEqual(decodeAll(bin, { weights }).events.map((e, i) => comparable(e, json[i]!)), json, weights);
  }
  assert.equal(decodeAll(bin, { weights: 'auto' }).decoder.weightConvention, 'kernel');
});

test('reconnect-replay: every route that names a group gets the same next hops as in the first connection', () => {
  const first = decodeAll(load('reconnect-first').bin).events.filter((e) => e.kind === 'route').map(plain);
  const replay = decodeAll(load('reconnect-replay').bin).events.filter((e) => e.kind === 'route').map(plain) as Entry[];
  for (const r of replay) {
    const f = (first as Entry[]).find((e) => e.prefix === r.prefix)!;
    assert.deepEqual(r.nexthops, f.nexthops, r.prefix as string);
  }
});
