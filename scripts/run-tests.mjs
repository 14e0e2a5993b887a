#!/usr/bin/env node
// Runs the test files under test/ with Node's own runner and tsx as the TypeScript loader.
// Node 20's runner takes no globs, so the files are listed here.
//   --skip-live      leave out *.live.test.ts (they need root and Debian's frr)
//   --only-live      only those
//   --only WORD      only files whose path contains WORD
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const skipLive = args.includes('--skip-live');
const onlyLive = args.includes('--only-live');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = walk('test');
if (skipLive) files = files.filter((f) => !f.endsWith('.live.test.ts'));
if (onlyLive) files = files.filter((f) => f.endsWith('.live.test.ts'));
if (only) files = files.filter((f) => f.includes(only));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Live tests start zebra in namespaces and share the machine's two cores: run files one at a time.
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
