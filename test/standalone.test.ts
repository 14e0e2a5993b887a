// The repository stands alone: a clone without the project's shared folder beside it runs every
// test, bench and script. Recorded data lives in test/fixtures (with its provenance); only
// scripts/ensure-vpp.sh may look at ../shared, for the optional VPP source it builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from './helpers/fibmgr-child.js';

const ALLOWED = new Set(['scripts/ensure-vpp.sh']);
const ROOTS = ['src', 'test', 'bench', 'scripts', 'package.json', '.ci', 'Dockerfile'];
// a path into a sibling "shared" folder, written as text or as path parts
const OUTSIDE = /\.\.\/(?:\.\.\/)*shared\b|['"]\.\.['"],\s*['"]shared['"]/;

function files(p: string): string[] {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return [];
  if (!st.isDirectory()) return [p];
  return readdirSync(p).flatMap((n) => (n === 'node_modules' || n === 'fixtures' ? [] : files(join(p, n))));
}

test('no test, bench or script reads ../shared (but ensure-vpp.sh, for the VPP source)', () => {
  const offenders = ROOTS.flatMap((r) => files(join(REPO, r)))
    .map((f) => relative(REPO, f))
    .filter((f) => !ALLOWED.has(f) && f !== 'test/standalone.test.ts' && /\.(ts|mjs|js|sh|json|py)$|^Dockerfile$|^\.ci\//.test(f))
    .filter((f) => OUTSIDE.test(readFileSync(join(REPO, f), 'utf8')));
  assert.deepEqual(offenders, []);
});
