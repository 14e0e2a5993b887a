// `npm start` builds only when a source changed since the last build (scripts/build-if-stale.mjs),
// checked in a scratch project whose "build" leaves a mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/fibmgr-child.js';

test('build-if-stale: builds the first time and after a source changes, not when nothing changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-stale-'));
  try {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.ts'), 'export {};\n');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    writeFileSync(join(dir, 'package-lock.json'), '{}\n');
    // the "build": count runs, and make dist/src/cli.js
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', scripts: { build: 'node -e "const fs=require(\'fs\');fs.mkdirSync(\'dist/src\',{recursive:true});fs.writeFileSync(\'dist/src/cli.js\',\'\');fs.appendFileSync(\'builds\',\'x\')"' } }));
    const run = () => spawnSync(process.execPath, [join(REPO, 'scripts', 'build-if-stale.mjs')], { cwd: dir, encoding: 'utf8' });
    const builds = () => (existsSync(join(dir, 'builds')) ? readFileSync(join(dir, 'builds'), 'utf8').length : 0);
    let r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(builds(), 1, 'first start builds');
    assert.match(r.stderr, /built in/);
    r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(builds(), 1, 'nothing changed: no build');
    assert.equal(r.stderr, '');
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'src', 'a.ts'), later, later);
    r = run();
    assert.equal(builds(), 2, 'a changed source: built again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
