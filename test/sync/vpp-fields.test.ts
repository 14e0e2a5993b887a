// Route specs → VPP route fields: the same values vpp_papi sent in the recorded transcripts, and
// back again from a dump without loss, so that an unchanged route compares equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathFields, pathsKey, specFromDetails } from '../../src/sync/vpp/vpp-fields.js';
import { parsePrefix, prefixText } from '../../src/route/prefix.js';
import type { FibPath, IpRouteV2 } from 'vpp-binapi-ts/gen';
import { SW_IF_INDEX_NONE, type VppPath, type VppRouteSpec } from '../../src/sync/vpp/vpp-port.js';

const transcript = JSON.parse(readFileSync(new URL('../../packages/vpp-binapi-ts/test/fixtures/transcripts/routes.json', import.meta.url), 'utf8'));

/** vpp_papi's decoded form → plain values; label_stack trimmed to n_labels. */
function plainPath(p: any) {
  const val = (x: any) => (x && typeof x === 'object' && 'value' in x ? x.value : x);
  const n = p.n_labels ?? 0;
  return {
    sw_if_index: p.sw_if_index, weight: p.weight, type: val(p.type), proto: val(p.proto),
    nh: p.nh?.address ?? {}, labels: (p.label_stack ?? []).slice(0, n).map((l: any) => [l.label, l.ttl]),
  };
}
function plainOurs(p: FibPath) {
  return {
    sw_if_index: p.sw_if_index, weight: p.weight, type: p.type, proto: p.proto,
    nh: p.nh.address, labels: p.label_stack.map((l) => [l.label, l.ttl]),
  };
}
/** The `route` fibmgr sends for `spec` (as the generated decoder gives it back). */
function routeFields(spec: { table: number; prefix: string; paths: VppPath[] }, src = 0): IpRouteV2 {
  const paths = spec.paths.map(pathFields) as unknown as FibPath[];
  return { table_id: spec.table, stats_index: 0, prefix: prefixText(parsePrefix(spec.prefix)), n_paths: paths.length, src, paths };
}

const recorded = (prefix: string) => transcript.steps.find((s: any) => s.args?.route?.prefix === prefix && s.args.is_add).args.route;

const nh = (gateway: string | null, over: Partial<VppPath> = {}): VppPath => ({
  kind: 'normal', proto: gateway?.includes(':') ? 6 : 4, gateway, swIfIndex: 1, weight: 1, labels: [], ...over,
});

test('paths encode as the recorded VPP client sent them', () => {
  const cases: [string, VppPath[]][] = [
    ['8.8.8.8/32', [nh('192.0.2.2'), nh('192.0.2.3'), nh('192.0.2.4')]],
    ['203.0.113.0/24', [{ kind: 'drop', proto: 4, gateway: null, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [] }]],
    ['2001:db8:dead::/48', [{ kind: 'drop', proto: 6, gateway: null, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [] }]],
    ['198.18.0.0/24', [{ kind: 'icmp-unreach', proto: 4, gateway: null, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [] }]],
    ['198.18.1.0/24', [{ kind: 'icmp-prohibit', proto: 4, gateway: null, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [] }]],
    ['100.64.0.0/24', [nh('192.0.2.2', { labels: [100, 200] })]],
  ];
  for (const [prefix, paths] of cases) {
    const rec = recorded(prefix);
    const ours = routeFields({ table: 0, prefix, paths });
    assert.equal(ours.n_paths, rec.n_paths, prefix);
    assert.equal(ours.prefix, rec.prefix);
    const recPaths = rec.paths.map(plainPath);
    // vpp_papi shows no nh for special paths: compare only the arm that is set.
    const oursPaths = ours.paths.map(plainOurs).map((p, i) => ({ ...p, nh: Object.keys(recPaths[i].nh).length ? p.nh : {} }));
    assert.deepEqual(oursPaths, recPaths, prefix);
  }
});

test('a route read back from a dump equals what was installed, in any path order', () => {
  const spec: VppRouteSpec = {
    family: 4, table: 100, prefix: parsePrefix('10.0.0.0/8'),
    paths: [nh('192.0.2.2', { weight: 3 }), nh('10.1.1.1', { swIfIndex: SW_IF_INDEX_NONE, labels: [16, 17] })],
  };
  const f = routeFields({ ...spec, prefix: '10.0.0.0/8' }, 23);
  assert.equal(f.src, 23);
  // A dump gives every union arm and the full 16-entry label stack.
  const dumped = {
    ...f,
    paths: [...f.paths].reverse().map((p) => ({
      ...p, nh: { ...p.nh, address: { ip4: p.nh.address.ip4 ?? '0.0.0.0', ip6: '::' } },
      label_stack: [...p.label_stack, ...Array.from({ length: 16 - p.label_stack.length }, () => ({ is_uniform: 0, label: 0, ttl: 0, exp: 0 }))],
    })),
  };
  const back = specFromDetails(dumped)!;
  assert.equal(pathsKey(back.paths), pathsKey(spec.paths));
  assert.deepEqual({ ...back, prefix: String(back.prefix), paths: [] }, { ...spec, prefix: '10.0.0.0/8', paths: [] });
  const drop = specFromDetails(routeFields({ table: 0, prefix: '2001:db8::/32', paths: [{ kind: 'drop', proto: 6, gateway: null, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [] }] }))!;
  assert.equal(drop.paths[0]!.kind, 'drop');
  assert.equal(drop.paths[0]!.gateway, null);
});

test('a dumped path of a kind fibmgr never installs makes the route not ours to judge', () => {
  const f = routeFields({ table: 0, prefix: '10.0.0.0/8', paths: [nh('192.0.2.2')] });
  assert.equal(specFromDetails({ ...f, paths: [{ ...f.paths[0]!, type: 3 }] }), null);
  assert.equal(specFromDetails({ ...f, paths: [{ ...f.paths[0]!, type: 1 }] }), null);
});

test('pathsKey tells different path sets apart', () => {
  const a = [nh('192.0.2.2')];
  assert.notEqual(pathsKey(a), pathsKey([nh('192.0.2.2', { weight: 2 })]));
  assert.notEqual(pathsKey(a), pathsKey([nh('192.0.2.2', { swIfIndex: SW_IF_INDEX_NONE })]));
  assert.notEqual(pathsKey(a), pathsKey([nh('192.0.2.2', { labels: [5] })]));
  assert.notEqual(pathsKey(a), pathsKey([...a, nh('192.0.2.3')]));
});
