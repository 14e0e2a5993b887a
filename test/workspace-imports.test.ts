// fibmgr uses its workspace packages (packages/*, e.g. vpp-binapi-ts) by package name only, as any
// other user of them would: no file of the daemon, its tests, benches or scripts reaches into
// packages/ by a relative path (that would tie the daemon to a package's insides and break the
// day the package comes from the registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO } from './helpers/fibmgr-child.js';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"`])([^'"`]+)\1/g;

/** The specifiers in `text` (a file at `file`) that are relative and land under `packagesDir`. */
export function relativePackageImports(file: string, text: string, packagesDir: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[2]!;
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (target === packagesDir || target.startsWith(packagesDir + sep)) out.push(spec);
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name)) out.push(p);
  }
  return out;
}

test('the check sees a relative import into packages/ in each form, and lets names and local paths be', () => {
  const packagesDir = resolve('/repo/packages');
  const file = '/repo/src/sync/x.ts';
  const text = [
    "import { VppClient } from '../../packages/vpp-binapi-ts/src/index.js';",
    "import type { X } from \"../../packages/vpp-binapi-ts/src/gen/types.js\";",
    "const sim = await import('../../packages/vpp-binapi-ts/src/sim/index.js');",
    "import '../../packages/vpp-binapi-ts/src/side-effect.js';",
    "export { Fifo } from '../../packages/vpp-binapi-ts/src/fifo.js';",
    "import { VppClient as C } from 'vpp-binapi-ts';",
    "import { messages } from 'vpp-binapi-ts/gen';",
    "import { parsePrefix } from '../route/prefix.js';",
  ].join('\n');
  assert.deepEqual(relativePackageImports(file, text, packagesDir), [
    '../../packages/vpp-binapi-ts/src/index.js',
    '../../packages/vpp-binapi-ts/src/gen/types.js',
    '../../packages/vpp-binapi-ts/src/sim/index.js',
    '../../packages/vpp-binapi-ts/src/side-effect.js',
    '../../packages/vpp-binapi-ts/src/fifo.js',
  ]);
});

test('no file under src/, bench/, scripts/ or test/ imports packages/ by relative path', () => {
  const packagesDir = join(REPO, 'packages');
  const offenders: string[] = [];
  for (const top of ['src', 'bench', 'scripts', 'test']) {
    for (const file of walk(join(REPO, top))) {
      for (const spec of relativePackageImports(file, readFileSync(file, 'utf8'), packagesDir)) offenders.push(`${relative(REPO, file)}: ${spec}`);
    }
  }
  assert.deepEqual(offenders, [], 'import these by package name (vpp-binapi-ts, vpp-binapi-ts/gen, …)');
});
