// Translation of zebra's next hops into VPP paths: pure, with the interface map passed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translatePaths } from '../../src/sync/translate.js';
import type { Nexthop } from '../../src/route/types.js';

const nh = (gateway: string | null, ifindex: number | null, weight = 1): Nexthop => ({ gateway, ifindex, weight, labels: [] });
const map = (m: Record<number, number>) => ({ interfaceFor: (i: number) => m[i] });

test('weights past VPP\'s byte (zebra\'s 16-bit group weights) keep their ratios; weights within it are kept as they are', () => {
  const wide = translatePaths(4, 'unicast', [nh('10.0.2.2', null, 65535), nh('10.0.2.3', null, 21845), nh('10.0.2.4', null, 256)], map({}));
  assert.ok(wide.ok);
  assert.deepEqual(wide.paths.map((p) => p.weight), [255, 85, 1]);
  const narrow = translatePaths(4, 'unicast', [nh('10.0.2.2', null, 3), nh('10.0.2.3', null, 1), nh('10.0.2.4', null, 255)], map({}));
  assert.ok(narrow.ok);
  assert.deepEqual(narrow.paths.map((p) => p.weight), [3, 1, 255]);
});
