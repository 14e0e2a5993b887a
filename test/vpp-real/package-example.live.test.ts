// vpp-binapi-ts as a user gets it: `npm pack` of the workspace package (its prepack builds a
// clean dist), the tarball installed into an empty directory, and the ten-line example of its
// README — the very block between its example markers — run from there against a real VPP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRealVpp } from '../helpers/real-vpp.js';
import { REPO } from '../helpers/fibmgr-child.js';

const PACKAGE = join(REPO, 'packages', 'vpp-binapi-ts');
const npm = (args: string[], cwd: string) =>
  spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, timeout: 300_000 });

/** The README's example: the one ```js block between <!-- example:start --> and <!-- example:end -->. */
function readmeExample(): string {
  const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
  const m = /<!-- example:start -->\s*```js\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
  assert.ok(m, 'the README has its example between the markers');
  return m[1]!;
}

test('real VPP: the packed vpp-binapi-ts, installed into an empty directory, runs its README example', { timeout: 300_000 }, async (t) => {
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  const dir = mkdtempSync(join(tmpdir(), 'vpp-binapi-ts-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const packed = npm(['pack', '--json', '--pack-destination', dir, '-w', 'vpp-binapi-ts'], REPO);
  assert.equal(packed.status, 0, packed.stderr);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as [{ filename: string; files: { path: string }[] }];
  const paths = info[0].files.map((f) => f.path);
  for (const must of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/gen/index.js',
    'dist/sim/index.js', 'dist/sim/message-table.json', 'dist/bin/vpp-binapi-gen.js', 'api/ip.api.json']) {
    assert.ok(paths.includes(must), `the tarball lacks ${must}`);
  }
  assert.deepEqual(paths.filter((p) => /^(src|test|scripts)\/|\.map$|tsbuildinfo/.test(p)), [], 'the tarball holds development files');

  // no dependencies: the install needs no registry
  const app = join(dir, 'app');
  const installed = npm(['install', '--offline', '--no-audit', '--no-fund', '--prefix', app, join(dir, info[0].filename)], dir);
  assert.equal(installed.status, 0, installed.stderr);

  writeFileSync(join(app, 'example.mjs'), readmeExample());
  const { stdout } = await promisify(execFile)(process.execPath, [join(app, 'example.mjs'), vpp.apiSock], { cwd: app, encoding: 'utf8', timeout: 60_000 });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 2, stdout);
  assert.ok(lines[0]!.startsWith('VPP ') && lines[0]!.includes(vpp.version), `show_version: ${lines[0]}`);
  assert.equal(lines[1], 'route 198.51.100.0/24');
  // and VPP itself holds the route the example added
  assert.match(await vpp.cli('show ip fib 198.51.100.0/24'), /198\.51\.100\.0\/24[\s\S]*192\.0\.2\.1/);
});
