// The deployment files: the systemd unit passes systemd-analyze and says what the service needs;
// the Dockerfile and compose file have the shape operators rely on. (No docker daemon here, so
// the image is not built by the tests.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO } from '../helpers/fibmgr-child.js';
import { STOP_BUDGET_MS } from '../../src/daemon.js';
import { GOODBYE_DEADLINE_MS } from '../../src/exit.js';
import { FIBMGR_NODE_FLAGS } from '../../bench/lib/pipeline.js';

/** The longest a stop takes: the stop's own budget, then the VPP goodbyes (seconds). */
const STOP_SECONDS = (STOP_BUDGET_MS + GOODBYE_DEADLINE_MS) / 1000;

const unitText = readFileSync(join(REPO, 'deploy', 'fibmgr.service'), 'utf8');

/** section → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let sec = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) { sec = m[1]!; out.set(sec, new Map()); continue; }
    const i = line.indexOf('=');
    const k = line.slice(0, i);
    const s = out.get(sec)!;
    s.set(k, [...(s.get(k) ?? []), line.slice(i + 1)]);
  }
  return out;
}

function verify(text: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-unit-'));
  try {
    // verify wants ExecStart to exist: point it at this checkout instead of the installed path
    const path = join(dir, 'fibmgr.service');
    writeFileSync(path, text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${join(REPO, 'src', 'cli.ts')}`));
    const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    return { status: r.status, out: (r.stdout + r.stderr).trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('systemd unit: systemd-analyze verify finds nothing to say', (t) => {
  if (spawnSync('systemd-analyze', ['--version']).status !== 0) { t.skip('no systemd-analyze on this host'); return; }
  const r = verify(unitText);
  assert.equal(r.status, 0);
  assert.equal(r.out, '', r.out);
  // and it would notice a mistake
  const bad = verify(unitText.replace('Restart=on-failure', 'Restart=sometimes').replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes'));
  assert.match(bad.out, /restart specifier/);
  assert.match(bad.out, /Unknown key 'NoNewPrivilege'/);
});

test('systemd unit: after and wanting zebra and VPP, notify with watchdog, restart on failure, hardened', () => {
  const u = parseUnit(unitText);
  const unit = u.get('Unit')!;
  const svc = u.get('Service')!;
  const words = (m: Map<string, string[]>, k: string) => (m.get(k) ?? []).join(' ').split(/\s+/).filter(Boolean);
  for (const dep of ['frr.service', 'vpp.service']) {
    assert.ok(words(unit, 'After').includes(dep), `After= ${dep}`);
    assert.ok(words(unit, 'Wants').includes(dep), `Wants= ${dep}`);
  }
  assert.deepEqual(svc.get('Type'), ['notify']);
  assert.deepEqual(svc.get('Restart'), ['on-failure']);
  assert.ok(Number(svc.get('WatchdogSec')?.[0]) > 0);
  assert.deepEqual(svc.get('NoNewPrivileges'), ['yes']);
  assert.deepEqual(svc.get('ProtectSystem'), ['strict']);
  assert.deepEqual(words(svc, 'RestrictAddressFamilies').sort(), ['AF_INET', 'AF_INET6', 'AF_UNIX']);
  assert.deepEqual(svc.get('CapabilityBoundingSet'), ['']);
  // the operator socket's directory (--ops-socket /run/fibmgr/ops.sock), private to the service
  assert.deepEqual(svc.get('RuntimeDirectory'), ['fibmgr']);
  assert.deepEqual(svc.get('RuntimeDirectoryMode'), ['0700']);
  assert.ok(u.get('Install')!.get('WantedBy')!.includes('multi-user.target'));
});

test('systemd unit: stopped with SIGTERM, and waited for longer than a stop and its VPP goodbyes take', () => {
  const svc = parseUnit(unitText).get('Service')!;
  assert.deepEqual(svc.get('KillSignal'), ['SIGTERM']);
  const timeout = Number(svc.get('TimeoutStopSec')?.[0]);
  assert.ok(timeout > STOP_SECONDS, `TimeoutStopSec=${timeout} must exceed ${STOP_SECONDS} s`);
  assert.match(unitText, /sockclnt_delete/, 'the unit says why it waits');
});

test('Dockerfile: multi-stage, slim Node LTS, production dependencies only, non-root, fibmgr entrypoint', () => {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const arg = /^ARG NODE_IMAGE=(\S+)/.exec(lines.find((l) => l.startsWith('ARG NODE_IMAGE='))!)![1]!;
  assert.match(arg, /^node:(20|22)-[a-z]+-slim$/, 'an LTS slim image');
  const froms = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('FROM '));
  assert.ok(froms.length >= 2, 'multi-stage');
  const runtime = lines.slice(froms.at(-1)![1]);
  assert.ok(runtime.some((l) => /npm ci\b.*--omit=dev/.test(l)), 'runtime installs production dependencies only');
  assert.ok(!runtime.some((l) => /COPY .*node_modules/.test(l)), 'no dev node_modules copied in');
  const user = runtime.filter((l) => l.startsWith('USER ')).at(-1);
  assert.ok(user && !/^USER (root|0)(:|$)/.test(user), `runs as non-root: ${user}`);
  assert.deepEqual(JSON.parse(runtime.find((l) => l.startsWith('ENTRYPOINT '))!.slice(11)), ['fibmgr']);
  assert.ok(runtime.some((l) => /^EXPOSE .*\b2620\b/.test(l)), 'FPM port exposed');
  assert.ok(runtime.some((l) => /^VOLUME .*\/run\/vpp/.test(l)), 'VPP API socket directory is a volume');
  // the VPP client is a workspace package: each stage has its manifest before npm ci (which links
  // it), the build its sources, the runtime its compiled dist
  const build = lines.slice(froms[0]![1], froms.at(-1)![1]);
  for (const [name, stage] of [['build', build], ['runtime', runtime]] as const) {
    const manifest = stage.findIndex((l) => /^COPY .*packages\/vpp-binapi-ts\/package\.json/.test(l));
    const ci = stage.findIndex((l) => /npm ci\b/.test(l));
    assert.ok(manifest >= 0 && manifest < ci, `${name}: packages/vpp-binapi-ts/package.json is copied before npm ci`);
  }
  assert.ok(build.some((l) => /^COPY .*packages\/vpp-binapi-ts\/src\b/.test(l)), 'the build has the package\'s sources');
  assert.ok(runtime.some((l) => /^COPY --from=build .*packages\/vpp-binapi-ts\/dist/.test(l)), 'the runtime has the package\'s dist');
});

test('compose: zebra, VPP and fibmgr, with VPP\'s API socket shared', () => {
  const c = parseYaml(readFileSync(join(REPO, 'deploy', 'compose.yaml'), 'utf8')) as {
    services: Record<string, { volumes?: string[]; environment?: Record<string, string>; build?: unknown }>;
    volumes: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(c.services).sort(), ['fibmgr', 'vpp', 'zebra']);
  const mount = (svc: string) => c.services[svc]!.volumes!.find((v) => v.split(':')[1] === '/run/vpp')?.split(':')[0];
  assert.ok(mount('vpp') && mount('vpp') === mount('fibmgr'), 'same volume at /run/vpp in VPP and fibmgr');
  assert.ok(mount('vpp')! in c.volumes);
  assert.equal(c.services.fibmgr!.environment!.FIBMGR_VPP_SOCK, '/run/vpp/api.sock');
  assert.ok(c.services.fibmgr!.build, 'fibmgr built from the Dockerfile');
});

test('compose: fibmgr is stopped with SIGTERM and waited for longer than a stop and its VPP goodbyes take', () => {
  const text = readFileSync(join(REPO, 'deploy', 'compose.yaml'), 'utf8');
  const svc = (parseYaml(text) as { services: Record<string, { stop_signal?: string; stop_grace_period?: string }> }).services.fibmgr!;
  assert.equal(svc.stop_signal, 'SIGTERM');
  const m = /^(\d+)s$/.exec(svc.stop_grace_period ?? '');
  assert.ok(m && Number(m[1]) > STOP_SECONDS, `stop_grace_period ${svc.stop_grace_period} must exceed ${STOP_SECONDS} s`);
  assert.match(text, /sockclnt_delete/, 'the file says why it waits');
});

test('npm start, the benches and the bgp-in-vpp example run node with the fibmgr command\'s flags (what they measure is what ships)', () => {
  const flags = readFileSync(join(REPO, 'src', 'cli.ts'), 'utf8').split('\n')[0]!.split(' ').slice(3);
  assert.ok(flags.length >= 2, `shebang flags: ${flags.join(' ')}`);
  const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const runs: [string, string][] = [
    ...['start', 'bench:decode', 'bench:sync', 'bench:table', 'bench:real'].map((k): [string, string] => [`npm run ${k}`, scripts[k] ?? '']),
    ['examples/bgp-in-vpp/lib.sh FIBMGR_CMD', /^FIBMGR_CMD=.*$/m.exec(readFileSync(join(REPO, 'examples', 'bgp-in-vpp', 'lib.sh'), 'utf8'))?.[0] ?? ''],
  ];
  // the benches' fibmgr children (bench:sync's restarted one, bench:real's turns) are forked with
  // the flags bench/lib/pipeline.ts reads from the shebang itself
  assert.deepEqual(FIBMGR_NODE_FLAGS, flags, 'forkFibmgr\'s flags are the shebang\'s');
  for (const [bench, child] of [['sync.bench.ts', 'pipeline-child'], ['real.bench.ts', 'fibmgr-turn']]) {
    assert.match(readFileSync(join(REPO, 'bench', bench!), 'utf8'), new RegExp(`forkFibmgr\\('lib/${child}'`), `bench/${bench} forks its fibmgr (lib/${child}) with forkFibmgr`);
  }
  for (const [what, line] of runs) {
    assert.ok(line, `${what}: not found`);
    // a node flag counts only as its own word, between node and the script it runs (after the
    // script, node hands it to the script)
    const words = line.split(/\s+/);
    const script = words.findIndex((w) => /dist\/\S*\.js/.test(w));
    const node = words.slice(0, script).map((w) => w === 'node' || w.endsWith('$NODE')).lastIndexOf(true);
    assert.ok(script > 0 && node >= 0, `${what}: no node command running a script of dist/ in ${line}`);
    const given = words.slice(node + 1, script);
    for (const f of flags) assert.ok(given.includes(f), `${what} runs node without ${f} before its script: ${line}`);
  }
});

test('the fibmgr command starts node with the flags its shebang names (env -S works here)', () => {
  const line = readFileSync(join(REPO, 'src', 'cli.ts'), 'utf8').split('\n')[0]!;
  assert.match(line, /^#!\/usr\/bin\/env -S node --/);
  // A script with the same first line, run as the installed bin is: by the kernel, through it.
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-shebang-'));
  try {
    const script = join(dir, 'probe.mjs');
    writeFileSync(script, `${line}\nconsole.log(JSON.stringify(process.execArgv));\n`, { mode: 0o755 });
    const r = spawnSync(script, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), line.split(' ').slice(3), 'node received the shebang flags');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
