import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, chmodSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../src/config/load.js';
import { DEFAULTS, OPTIONS } from '../src/config/options.js';
import { REPO } from './helpers/fibmgr-child.js';

const dir = mkdtempSync(join(tmpdir(), 'fibmgr-config-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function throwsConfig(fn: () => unknown, where: RegExp, value: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
    assert.match(e.key, where);
    assert.match(e.message, value);
    return true;
  });
}

test('flags beat environment, environment beats defaults', () => {
  const c = loadConfig({ fpmPort: '31337' }, { FIBMGR_FPM_PORT: '4000', FIBMGR_VPP_SOCK: '/tmp/x.sock' });
  assert.equal(c.fpmPort, 31337);
  assert.equal(c.vppSock, '/tmp/x.sock');
  assert.equal(c.fpmHost, '127.0.0.1');
});

test('flag > env > file > default, for every kind of setting, from YAML and from JSON', () => {
  const yaml = file('c.yaml', [
    'fpm-port: 5000', 'fpmHost: 127.0.0.2', 'dry-run: true', 'resync-grace: 7.5', 'metrics-addr: off',
    'table-map: ["100=10", "200=20"]', 'interface-map:', '  - eth0=GigabitEthernet0/8/0', 'log-level: warn',
  ].join('\n'));
  const c = loadConfig({ fpmPort: '6000' }, { FIBMGR_RESYNC_GRACE: '2', FIBMGR_LOG_LEVEL: 'debug' }, yaml);
  assert.equal(c.fpmPort, 6000, 'flag over file');
  assert.equal(c.resyncGrace, 2, 'env over file');
  assert.equal(c.logLevel, 'debug', 'env over file');
  assert.equal(c.fpmHost, '127.0.0.2', 'file over default');
  assert.equal(c.dryRun, true);
  assert.equal(c.metricsAddr, 'off');
  assert.deepEqual(c.tableMap, ['100=10', '200=20']);
  assert.deepEqual(c.interfaceMap, ['eth0=GigabitEthernet0/8/0']);
  assert.equal(c.vppWindow, DEFAULTS.vppWindow, 'default when nobody says');

  const json = file('c.json', JSON.stringify({ fpmPort: 7000, installConnected: true, tableMap: '5=6' }));
  const j = loadConfig({}, {}, json);
  assert.equal(j.fpmPort, 7000);
  assert.equal(j.installConnected, true);
  assert.deepEqual(j.tableMap, ['5=6']);

  // the file can come from FIBMGR_CONFIG too, and --config wins over it
  assert.equal(loadConfig({}, { FIBMGR_CONFIG: json }).fpmPort, 7000);
  assert.equal(loadConfig({}, { FIBMGR_CONFIG: json }, yaml).fpmPort, 5000);
});

test('every setting has an environment variable and a file key', () => {
  for (const o of OPTIONS) {
    const value = o.kind === 'bool' ? 'true' : o.kind === 'list' ? [] : o.default;
    const env = { [`FIBMGR_${o.flag.toUpperCase().replace(/-/g, '_')}`]: Array.isArray(value) ? '' : String(value) };
    assert.doesNotThrow(() => loadConfig({}, env), o.flag);
    const f = file(`one-${o.flag}.json`, JSON.stringify({ [o.flag]: value }));
    assert.doesNotThrow(() => loadConfig({}, {}, f), o.flag);
  }
});

test('invalid values: a clear error naming the setting, where it came from, and the value', () => {
  throwsConfig(() => loadConfig({ fpmPort: '70000' }, {}), /^--fpm-port$/, /70000.*port number 1-65535/);
  throwsConfig(() => loadConfig({}, { FIBMGR_FPM_PORT: '0' }), /^FIBMGR_FPM_PORT$/, /"0".*port/);
  throwsConfig(() => loadConfig({}, { FIBMGR_FPM_PORT: 'http' }), /FIBMGR_FPM_PORT/, /whole number/);
  throwsConfig(() => loadConfig({}, { FIBMGR_DRY_RUN: 'maybe' }), /FIBMGR_DRY_RUN/, /maybe.*true or false/);
  throwsConfig(() => loadConfig({ logLevel: 'loud' }, {}), /--log-level/, /loud.*one of/);
  throwsConfig(() => loadConfig({ resyncGrace: '-1' }, {}), /--resync-grace/, /positive/);
  throwsConfig(() => loadConfig({ vppWindow: '1.5' }, {}), /--vpp-window/, /whole number/);
  // a send buffer below the system's default, or past what the kernel takes (it would wrap)
  for (const bad of ['4096', '4294967296', '1e21', '-1']) throwsConfig(() => loadConfig({ vppSendBuffer: bad }, {}), /--vpp-send-buffer/, /0 or a size in bytes from 65536 to 1073741824/);
  assert.equal(loadConfig({ vppSendBuffer: '0' }, {}).vppSendBuffer, 0);
  throwsConfig(() => loadConfig({ tableMap: ['100:10'] }, {}), /--table-map/, /100:10.*ZEBRA=VPP/);
  throwsConfig(() => loadConfig({ tableMap: ['100=10', '100=11'] }, {}), /--table-map/, /mapped twice/);
  throwsConfig(() => loadConfig({ interfaceMap: ['eth0'] }, {}), /--interface-map/, /eth0.*LINUXNAME=VPPNAME/);
  throwsConfig(() => loadConfig({ metricsAddr: '9469' }, {}), /--metrics-addr/, /HOST:PORT/);
  throwsConfig(() => loadConfig({ metricsAddr: 'localhost:99999' }, {}), /--metrics-addr/, /port/);
  assert.equal(loadConfig({ metricsAddr: '[::1]:9469' }, {}).metricsAddr, '[::1]:9469');
  throwsConfig(() => loadConfig({ fpmWeights: 'heavy' }, {}), /--fpm-weights/, /auto, kernel, legacy/);
  // the warm-up's simulator holds its routes: bounded
  for (const bad of ['-1', '200001']) throwsConfig(() => loadConfig({ warmUpRoutes: bad }, {}), /--warm-up-routes/, /whole number from 0 to 200000/);
  throwsConfig(() => loadConfig({ warmUpRoutes: '1.5' }, {}), /--warm-up-routes/, /whole number/);
  assert.equal(loadConfig({}, { FIBMGR_WARM_UP_ROUTES: '0' }).warmUpRoutes, 0);
});

test('VPP socket path: absent is fine (VPP may start later), anything that cannot be a socket is not', async () => {
  assert.equal(loadConfig({ vppSock: join(dir, 'not-yet.sock') }, {}).vppSock, join(dir, 'not-yet.sock'));
  throwsConfig(() => loadConfig({ vppSock: 'api.sock' }, {}), /--vpp-sock/, /absolute path/);
  const regular = file('regular', 'x');
  throwsConfig(() => loadConfig({ vppSock: regular }, {}), /--vpp-sock/, /not a unix socket/);
  throwsConfig(() => loadConfig({ vppSock: join(regular, 'api.sock') }, {}), /--vpp-sock/, /not a directory/);
  const sockPath = join(dir, 'real.sock');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(sockPath, () => r()));
  try {
    assert.equal(loadConfig({ vppSock: sockPath }, {}).vppSock, sockPath);
    if (process.getuid?.() !== 0) {
      chmodSync(sockPath, 0o000);
      throwsConfig(() => loadConfig({ vppSock: sockPath }, {}), /--vpp-sock/, /not readable/);
    }
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('config file problems: unknown key, wrong type, unreadable, not a mapping, bad syntax', () => {
  throwsConfig(() => loadConfig({}, {}, file('u.yaml', 'fpm-prot: 1\n')), /u\.yaml: key fpm-prot/, /unknown setting/);
  throwsConfig(() => loadConfig({}, {}, file('t.yaml', 'fpm-port: [1, 2]\n')), /t\.yaml: fpm-port/, /must be a number/);
  throwsConfig(() => loadConfig({}, {}, file('m.yaml', 'table-map: {100: 10}\n')), /m\.yaml: table-map/, /list of strings/);
  throwsConfig(() => loadConfig({}, {}, file('v.json', '{"fpmPort": 1, "fpm-port": 2}')), /v\.json: key fpm-port/, /set twice/);
  throwsConfig(() => loadConfig({}, {}, join(dir, 'missing.yaml')), /^--config$/, /missing\.yaml.*cannot read it: ENOENT/);
  throwsConfig(() => loadConfig({}, {}, file('l.yaml', '- a\n- b\n')), /^--config$/, /mapping/);
  throwsConfig(() => loadConfig({}, {}, file('s.json', '{"fpmPort": ')), /^--config$/, /not valid YAML or JSON/);
  // an empty file is no settings, not an error
  assert.equal(loadConfig({}, {}, file('e.yaml', '')).fpmPort, DEFAULTS.fpmPort);
});

test('fibmgr refuses a bad setting before starting anything: exit 2 and the message on stderr', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  const a = run(['--dry-run', '--fpm-port', '0']);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /^fibmgr: invalid --fpm-port "0": must be a port number/m);
  const b = run(['--dry-run'], { FIBMGR_TABLE_MAP: 'main=0' });
  assert.equal(b.status, 2);
  assert.match(b.stderr, /invalid FIBMGR_TABLE_MAP "main=0"/);
  const c = run(['--dry-run', '--config', file('bad.yaml', 'vpp-socket: /run/vpp/api.sock\n')]);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /bad\.yaml: key vpp-socket.*unknown setting/);
});

test('the README documents every setting with its flag and environment variable', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  for (const o of OPTIONS) {
    assert.ok(readme.includes(`\`--${o.flag}`), `README lacks --${o.flag}`);
    assert.ok(readme.includes(`\`FIBMGR_${o.flag.toUpperCase().replace(/-/g, '_')}\``), `README lacks the env var of --${o.flag}`);
  }
});
