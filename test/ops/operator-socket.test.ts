// The actions that change what VPP forwards (sweep, audit --repair) only through the operator's
// unix socket, which only root and fibmgr's own user can open (0600, in a directory private to
// that user); the TCP ops port keeps every query and refuses the actions with 403. Other users
// are made with setpriv (as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { REPO } from '../helpers/fibmgr-child.js';
import { get, runCli, sendFpm, startSimDaemon, until } from '../helpers/daemon.js';
import { OpsServer } from '../../src/ops/http-server.js';
import { prepareOperatorSocket, restrictOperatorSocket } from '../../src/ops/operator-socket.js';
import { createLogger } from '../../src/log.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');

function needRootAndSetpriv(): void {
  // CI runs as root with util-linux: this must not pass silently elsewhere
  if (process.getuid!() !== 0 || spawnSync('setpriv', ['--version']).status !== 0) assert.fail('needs root and setpriv (util-linux) to act as another user');
}

/** POST `path` on the unix socket as user `uid` (a plain node process: no access to the repository needed). */
async function postAs(uid: string, socketPath: string, path: string): Promise<{ status?: number; body?: string; error?: string }> {
  const script = `const r=require('http').request({socketPath:${JSON.stringify(socketPath)},path:${JSON.stringify(path)},method:'POST'},(res)=>{let b='';res.on('data',(d)=>b+=d);res.on('end',()=>{console.log(JSON.stringify({status:res.statusCode,body:b}))})});` +
    `r.on('error',(e)=>console.log(JSON.stringify({error:e.code})));r.end();`;
  const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid === 'nobody' ? 'nogroup' : uid}`, '--clear-groups', process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out) as { status?: number; body?: string; error?: string };
}

function postTcp(port: number, path: string, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('the TCP ops port refuses sweep and audit --repair (403) and keeps every query; the operator socket takes them, from root; nobody is refused', { timeout: 90_000 }, async () => {
  needRootAndSetpriv();
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('opsock', ['--resync-grace', '1', '--audit-interval', '0']);
  try {
    await d.waitLog('operator socket: /sweep /audit?repair=1 and every query');
    await d.waitLog('listening for zebra FPM');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('ready', async () => (await get(httpPort, '/readyz')).status === 200, 30_000);
    // the TCP port: actions refused whatever the method, with the way to do them
    for (const [path, method] of [['/sweep', 'POST'], ['/sweep', 'GET'], ['/audit?repair=1', 'POST'], ['/audit?all=1&repair=1', 'POST']] as const) {
      const r = await postTcp(httpPort, path, method);
      assert.equal(r.status, 403, `${method} ${path}: ${r.body}`);
      assert.match(r.body, /only root and fibmgr's user may do it, through the operator socket \(--ops-socket/);
    }
    // the log line comes on fibmgr's stderr, which may be read after the answers: waited for, then counted
    await d.waitLog('operator action refused on the TCP port (only on the operator socket)');
    const refusedLines = d.lines.filter((l) => l.msg === 'operator action refused on the TCP port (only on the operator socket)');
    assert.equal(refusedLines.length, 1, 'logged once per client and minute');
    // queries stay open there
    for (const path of ['/metrics', '/healthz', '/readyz', '/state', '/route?prefix=11.0.0.0/24']) assert.equal((await get(httpPort, path)).status, 200, path);
    const audit = await postTcp(httpPort, '/audit');
    assert.equal(audit.status, 200, 'a read-only audit is a query');
    assert.equal(JSON.parse(audit.body).repaired ?? 0, 0);

    // the operator socket: private to the daemon's user (root here)
    const dirMode = statSync(dirname(d.opsSocket));
    assert.equal(dirMode.mode & 0o777, 0o700);
    assert.equal(statSync(d.opsSocket).mode & 0o777, 0o600);
    const byNobody = await postAs('nobody', d.opsSocket, '/sweep');
    assert.deepEqual(byNobody, { error: 'EACCES' }, 'nobody cannot open it');
    const byRoot = await runCli('sweep', '--ops-socket', d.opsSocket);
    assert.equal(byRoot.status, 0, byRoot.stderr);
    assert.match(byRoot.stdout, /nothing to sweep|swept \d+ stale routes/);
    const repair = await runCli('audit', '--repair', '--ops-socket', d.opsSocket, '--metrics-addr', `127.0.0.1:${httpPort}`);
    assert.equal(repair.status, 0, repair.stdout + repair.stderr);
    assert.match(repair.stdout, /VPP holds exactly what fibmgr installed/);
    const gone = await runCli('sweep', '--ops-socket', join(dirname(d.opsSocket), 'nope.sock'));
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /no fibmgr at the operator socket/);
    assert.deepEqual(sim.errors, []);
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});

test('the daemon\'s own user may use the operator socket, another user may not (the socket and its directory are that user\'s)', async () => {
  needRootAndSetpriv();
  const base = mkdtempSync(join(tmpdir(), 'fibmgr-opsock-'));
  chmodSync(base, 0o755);
  const path = join(base, 'run', 'ops.sock');
  let sweeps = 0;
  const sources = { sync: { sweep: () => { sweeps++; return { swept: 0, kept: 0 }; } } };
  const server = new OpsServer({ at: { path }, actions: true, sources: sources as never, metrics: {} as never, logger: createLogger('silent') });
  try {
    await prepareOperatorSocket(path);
    await server.listen();
    restrictOperatorSocket(path);
    // as a fibmgr run as user nobody would have them
    const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dirname(path), nobody, -1);
    chownSync(path, nobody, -1);
    assert.deepEqual(await postAs('nobody', path, '/sweep'), { status: 200, body: '{"swept":0,"kept":0}\n' }, 'the daemon\'s user may');
    assert.equal(sweeps, 1);
    assert.deepEqual(await postAs('12345', path, '/sweep'), { error: 'EACCES' }, 'another user may not');
    assert.equal(sweeps, 1);
  } finally {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('the operator socket\'s directory cannot be swapped by another user: every directory above it (and every link on the way) belongs to root or fibmgr\'s user and is open to others only with the sticky bit', async () => {
  const base = mkdtempSync(join(tmpdir(), 'fibmgr-opsock-'));
  try {
    // private itself, but anyone may rename it away and put their own in its place
    const loose = join(base, 'loose');
    mkdirSync(loose, { mode: 0o777 });
    chmodSync(loose, 0o777);
    mkdirSync(join(loose, 'priv'), { mode: 0o700 });
    await assert.rejects(prepareOperatorSocket(join(loose, 'priv', 'ops.sock')), /loose is writable by others .*: another user could replace/);
    if (process.getuid!() === 0) {
      // another user's link in a sticky directory, to a private directory: they could point it elsewhere
      const sticky = join(base, 'sticky');
      mkdirSync(sticky, { mode: 0o777 });
      chmodSync(sticky, 0o1777);
      mkdirSync(join(base, 'mine'), { mode: 0o700 });
      symlinkSync(join(base, 'mine'), join(sticky, 'link'));
      lchownSync(join(sticky, 'link'), 12345, 12345);
      await assert.rejects(prepareOperatorSocket(join(sticky, 'link', 'ops.sock')), /link belongs to uid 12345/);
      // the same link owned by root: fine
      lchownSync(join(sticky, 'link'), 0, 0);
      await prepareOperatorSocket(join(sticky, 'link', 'ops.sock'));
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('the operator socket\'s directory must be private to fibmgr\'s user; a socket left by a dead fibmgr is replaced, a live one is not', async () => {
  const base = mkdtempSync(join(tmpdir(), 'fibmgr-opsock-'));
  try {
    const open = join(base, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o1777);
    await assert.rejects(prepareOperatorSocket(join(open, 'ops.sock')), /is open to others \(mode 1777\): give the socket a directory of its own, mode 700/);
    if (process.getuid!() === 0) {
      const theirs = join(base, 'theirs');
      mkdirSync(theirs, { mode: 0o700 });
      chownSync(theirs, 12345, -1);
      await assert.rejects(prepareOperatorSocket(join(theirs, 'ops.sock')), /belongs to uid 12345, not to fibmgr's user/);
    }
    const mine = join(base, 'mine', 'deeper', 'ops.sock');
    await prepareOperatorSocket(mine);
    assert.equal(statSync(dirname(mine)).mode & 0o777, 0o700, 'created private');
    writeFileSync(mine, 'x');
    await assert.rejects(prepareOperatorSocket(mine), /exists and is not a socket/);
    rmSync(mine);
    // a live listener there: not taken over
    const live = createServer();
    await new Promise<void>((r) => live.listen(mine, () => r()));
    await assert.rejects(prepareOperatorSocket(mine), /another process answers there/);
    // a dead one (the file stays, nobody listens): removed
    const dead = join(dirname(mine), 'dead.sock');
    const child = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(dead)},()=>process.kill(process.pid,'SIGKILL'))`]);
    assert.equal(child.signal, 'SIGKILL');
    assert.ok(statSync(dead).isSocket(), 'the dead listener left its file');
    await prepareOperatorSocket(dead);
    assert.throws(() => statSync(dead), /ENOENT/);
    await new Promise<void>((r) => live.close(() => r()));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
