// fibmgr as a user installs it: `npm pack` (its prepack builds a clean dist), then
// `npm install -g` of the tarball into a scratch prefix, and the installed command run.
// The tarball must hold what runs and nothing of the development tree. Its VPP client,
// vpp-binapi-ts, is a package of its own (packages/vpp-binapi-ts): packed too and installed
// beside it, as npm would fetch it from the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/fibmgr-child.js';

const npm = (args: string[], cwd: string) =>
  spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, timeout: 600_000 });

test('npm pack holds what runs; npm install -g of it needs no scripts; fibmgr --version and -V answer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-pack-'));
  try {
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    const packed = npm(['pack', '--json', '--pack-destination', dir], REPO);
    assert.equal(packed.status, 0, packed.stderr);
    // npm prints the prepack's output before the JSON
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as [{ filename: string; files: { path: string }[] }];
    const paths = info[0].files.map((f) => f.path);
    for (const must of ['dist/src/cli.js', 'dist/src/daemon.js', 'proto/fpm.proto', 'README.md', 'LICENSE', 'deploy/fibmgr.service', 'deploy/compose.yaml', 'package.json']) {
      assert.ok(paths.includes(must), `the tarball lacks ${must}`);
    }
    const dev = paths.filter((p) => /^(test|bench|scripts|src|packages|dist\/(test|bench|scripts|packages|node_modules))\/|\.map$|tsbuildinfo/.test(p));
    assert.deepEqual(dev, [], 'the tarball holds development files');
    assert.ok(paths.length < 300, `${paths.length} files packed`);

    const client = npm(['pack', '--json', '--pack-destination', dir, '-w', 'vpp-binapi-ts'], REPO);
    assert.equal(client.status, 0, client.stderr);
    const clientTarball = (JSON.parse(client.stdout.slice(client.stdout.indexOf('[\n'))) as [{ filename: string }])[0].filename;

    const prefix = join(dir, 'global');
    const installed = npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, clientTarball), join(dir, info[0].filename)], dir);
    assert.equal(installed.status, 0, installed.stderr);
    assert.doesNotMatch(installed.stderr, /install-scripts|prepare/, 'the install asks to allow a script');

    const fibmgr = join(prefix, 'bin', 'fibmgr');
    for (const flag of ['--version', '-V']) {
      const r = spawnSync(fibmgr, [flag], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
    }
    // the installed daemon's decoders run, protobuf schema (proto/) included
    const fixtures = join(REPO, 'test', 'fixtures', 'fpm');
    for (const f of ['static-changes.bin', 'pb-replay.bin']) {
      const r = spawnSync(fibmgr, ['decode', join(fixtures, f)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      assert.ok(r.stdout.split('\n').filter(Boolean).length > 0, `${f}: nothing decoded`);
    }
    assert.ok(readdirSync(join(prefix, 'lib', 'node_modules', 'fibmgr', 'node_modules')).includes('pino'), 'runtime dependencies installed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
