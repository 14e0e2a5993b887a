#!/usr/bin/env node
// Runs the test files under test/ and those of the workspace packages (packages/*/test) with
// Node's own runner and tsx as the TypeScript loader.
// Node 20's runner takes no globs, so the files are listed here.
//   --skip-live      leave out *.live.test.ts (they need root and Debian's frr)
//   --only-live      only those
//   --only WORD      only files whose path contains WORD
// Live tests that cannot run (no root, no FRR, no FRR root tree, no VPP) are named in a summary at
// the end; with FIBMGR_REQUIRE_LIVE=1 (CI sets it) the run fails when any did not run. The real-VPP
// tier (test/vpp-real, live tests too) gets its own line: which VPP, how many tests ran on it.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

const packages = existsSync('packages') ? readdirSync('packages').sort().map((p) => join('packages', p, 'test')).filter((d) => existsSync(d)) : [];
let files = [...walk('test'), ...packages.flatMap(walk)];
if (skipLive) files = files.filter((f) => !f.endsWith('.live.test.ts'));
if (onlyLive) files = files.filter((f) => f.endsWith('.live.test.ts'));
if (only) files = files.filter((f) => f.includes(only));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Live tests start zebra in namespaces and share the machine's two cores: run files one at a time.
const skipsDir = mkdtempSync(join(tmpdir(), 'fibmgr-live-skips-'));
const skipsFile = join(skipsDir, 'skips');
const realVppFile = join(skipsDir, 'real-vpp');
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, FIBMGR_LIVE_SKIPS: skipsFile, FIBMGR_REAL_VPP_LOG: realVppFile } },
);
const lines = (f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
const skipped = lines(skipsFile);
const realVpp = lines(realVppFile).map((l) => l.split('\t'));
rmSync(skipsDir, { recursive: true, force: true });
console.error(`\n${realVppSummary(realVpp, files.some((f) => f.startsWith(join('test', 'vpp-real'))))}`);
const liveFiles = files.filter((f) => f.endsWith('.live.test.ts')).length;
if (skipped.length > 0) {
  console.error(`\n*** ${skipped.length} LIVE TEST(S) DID NOT RUN (real zebra, real VPP):`);
  for (const s of skipped) console.error(`***   ${s}`);
  if (process.env.FIBMGR_REQUIRE_LIVE === '1') {
    console.error('*** FIBMGR_REQUIRE_LIVE=1: failing the run');
    process.exit(1);
  }
} else if (liveFiles > 0) console.error(`\nlive tests: all ran (${liveFiles} files, real zebra 8.4 and 10.x in namespaces)`);
else console.error('\nlive tests: not selected (--skip-live)');
process.exit(r.status ?? 1);

/** The tier's one line. A test ran on the real VPP when it started one or was a scenario on one (leaves only: a scenario's parent is not counted again). */
function realVppSummary(records, selected) {
  const ran = records.filter((x) => x[0] === 'ran');
  const names = ran.map((x) => x[2]);
  const leaves = new Set(names.filter((n) => !names.some((m) => m.startsWith(`${n} > `))));
  if (leaves.size > 0) return `real VPP ${[...new Set(ran.map((x) => x[1]))].join(', ')}: ${leaves.size} tests ran`;
  const why = records.find((x) => x[0] === 'skip');
  if (why) return `real VPP: NO TESTS RAN (${why[1]})`;
  return selected ? 'real VPP: no tests ran' : 'real VPP: not selected';
}
