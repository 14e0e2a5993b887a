// fibmgr as a user installs it: `npm pack` (its prepack builds a clean dist), then
// `npm install -g` of the tarball into a scratch prefix, and the installed command run.
// The tarball must hold what runs and nothing of the development tree. Its VPP client,
// vpp-binapi-ts, is a package of its own (packages/vpp-binapi-ts): packed too and installed
// beside it, as npm would fetch it from the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from '../helpers/fibmgr-child.js';
import { freePort, sendFpm, until } from '../helpers/daemon.js';

const npm = (args: string[], cwd: string) =>
  spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, timeout: 600_000 });

/** The installed fibmgr in --dry-run, fed a recorded zebra stream: the route writes it logs. */
async function dryRunReplay(fibmgr: string, stream: string, scratch: string): Promise<string[]> {
  const port = await freePort();
  const proc = spawn(fibmgr, ['--dry-run', '--fpm-port', String(port), '--metrics-addr', 'off', '--ops-socket', join(scratch, 'ops', 'ops.sock')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const msgs: string[] = [];
  let exited: number | null | undefined;
  proc.once('exit', (c) => { exited = c; });
  createInterface({ input: proc.stderr! }).on('line', (l) => {
    try { msgs.push(String((JSON.parse(l) as { msg: unknown }).msg)); } catch { msgs.push(l); }
  });
  try {
    await until('fibmgr listening', () => exited !== undefined || msgs.includes('listening for zebra FPM'));
    assert.equal(exited, undefined, `fibmgr exited (${exited}): ${msgs.join('\n')}`);
    const zebra = await sendFpm(port, stream);
    try {
      await until('the replay\'s route writes', () => msgs.some((m) => m.startsWith('would add 0 8.8.8.8/32')), 20_000, () => msgs.slice(-10));
    } finally {
      zebra.destroy();
    }
    return msgs.filter((m) => m.startsWith('would '));
  } finally {
    proc.kill('SIGTERM');
    if (exited === undefined) await new Promise((r) => proc.once('exit', r));
  }
}

test('npm pack holds what runs; npm install -g of it needs no scripts; fibmgr --version, -V, --help and a --dry-run replay work', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-pack-'));
  try {
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    const packed = npm(['pack', '--json', '--pack-destination', dir], REPO);
    assert.equal(packed.status, 0, packed.stderr);
    // npm prints the prepack's output before the JSON
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as [{ filename: string; files: { path: string }[] }];
    const paths = info[0].files.map((f) => f.path);
    for (const must of ['dist/src/cli.js', 'dist/src/daemon.js', 'proto/fpm.proto', 'README.md', 'LICENSE', 'deploy/fibmgr.service', 'deploy/compose.yaml', 'deploy/60-fibmgr-sysctl.conf', 'package.json']) {
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
    const help = spawnSync(fibmgr, ['--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--dry-run/);
    // the daemon itself, its VPP client (vpp-binapi-ts) loaded: a recorded zebra stream replayed in --dry-run
    const writes = await dryRunReplay(fibmgr, join(fixtures, 'static-nhg.bin'), dir);
    assert.ok(writes.some((m) => m.startsWith('would add 0 192.0.2.0/24')), writes.join('\n'));
    assert.ok(readdirSync(join(prefix, 'lib', 'node_modules', 'fibmgr', 'node_modules')).includes('pino'), 'runtime dependencies installed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
