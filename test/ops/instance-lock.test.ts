// One fibmgr per VPP: the lock keyed by the VPP socket's real path (an abstract unix socket the
// kernel releases when its holder dies), and through the daemon: a second fibmgr on the same VPP
// exits non-zero within seconds naming the first, before it touches VPP; the first keeps its routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { acquireInstanceLock, InstanceLockedError, lockKey, lockName } from '../../src/ops/instance-lock.js';
import { REPO } from '../helpers/fibmgr-child.js';
import { freePort, get, sendFpm, startDaemon, startSimDaemon, until } from '../helpers/daemon.js';
import { simRoutes, simSource } from '../helpers/sim-fib.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');

test('the lock: one holder per VPP socket (by real path), the second told who holds it; released, it can be taken again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-lock-'));
  try {
    const sock = join(dir, 'api.sock');
    writeFileSync(sock, ''); // a stand-in: the key is the path, the file's kind does not matter
    symlinkSync(sock, join(dir, 'link.sock'));
    const first = await acquireInstanceLock(sock, { version: '9.9.9' });
    assert.equal(first.key, sock);
    for (const other of [sock, join(dir, 'link.sock'), join(dir, '.', 'api.sock')]) {
      await assert.rejects(acquireInstanceLock(other), (e: unknown) => {
        assert.ok(e instanceof InstanceLockedError, String(e));
        assert.equal(e.holder?.pid, process.pid);
        assert.equal(e.holder?.version, '9.9.9');
        assert.equal(e.holder?.verified, true, 'the pid was checked to hold the lock (/proc)');
        assert.match(e.message, new RegExp(`another fibmgr \\(pid ${process.pid}, uid \\d+, version 9\\.9\\.9, started .*\\) already runs on this VPP \\(${sock.replace(/[.]/g, '\\.')}\\)`));
        return true;
      }, other);
    }
    // a VPP socket that does not exist yet: keyed by its directory's real path
    const later = await acquireInstanceLock(join(dir, 'link-dir', '..', 'not-yet.sock')).catch((e: Error) => e);
    assert.ok(!(later instanceof Error) || !(later instanceof InstanceLockedError), 'another VPP socket is another lock');
    if (!(later instanceof Error)) await later.release();
    const two = await acquireInstanceLock(join(dir, 'other.sock'));
    await two.release();
    await first.release();
    const again = await acquireInstanceLock(sock);
    await again.release();
    assert.ok(lockName('/x'.repeat(100)).startsWith('fibmgr:sha256:'), 'a long path is hashed into the name');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a VPP socket whose directory does not exist yet has one key however it is named (a second fibmgr started once VPP is up finds the first)', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'fibmgr-lock-')));
  try {
    mkdirSync(join(dir, 'run'));
    symlinkSync(join(dir, 'run'), join(dir, 'var-run')); // as /var/run -> /run
    // the first fibmgr starts before VPP made its directory
    const early = lockKey(join(dir, 'var-run', 'vpp', 'api.sock'));
    mkdirSync(join(dir, 'run', 'vpp'));
    writeFileSync(join(dir, 'run', 'vpp', 'api.sock'), '');
    assert.equal(early, join(dir, 'run', 'vpp', 'api.sock'));
    assert.equal(lockKey(join(dir, 'run', 'vpp', 'api.sock')), early);
    assert.equal(lockKey(join(dir, 'var-run', 'vpp', 'api.sock')), early);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lock goes with its holder, however it dies (kill -9): no stale lock to clear', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-lock-'));
  try {
    const sock = join(dir, 'api.sock');
    const child = spawn(process.execPath, ['--import', 'tsx', '-e',
      `import('${join(REPO, 'src', 'ops', 'instance-lock.ts')}').then(async (m) => { await m.acquireInstanceLock(${JSON.stringify(sock)}); console.log('held'); setInterval(() => {}, 1000); })`],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('held')) r(); }));
    await assert.rejects(acquireInstanceLock(sock), (e: InstanceLockedError) => e.holder?.pid === child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const mine = await acquireInstanceLock(sock);
    await mine.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second fibmgr on the same VPP exits non-zero within seconds naming the first, without touching VPP; the first keeps its routes', { timeout: 90_000 }, async () => {
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('lock', ['--resync-grace', '1']);
  const vppSock = d.proc.spawnargs[d.proc.spawnargs.indexOf('--vpp-sock') + 1]!;
  let second: ReturnType<typeof startDaemon> | undefined;
  try {
    await d.waitLog('listening for zebra FPM');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    // zebra's session first (its replay judged), then ready: before the session, nothing is pending either
    await until('the first ready with its routes', async () => d.lines.some((l) => /resync done/.test(String(l.msg))) && (await get(httpPort, '/readyz')).status === 200, 30_000);
    const routes = () => JSON.stringify([...simRoutes(sim, simSource(sim, 'fibmgr')!)].sort());
    const before = routes();
    assert.equal(simRoutes(sim, simSource(sim, 'fibmgr')!).size, 1000);
    const clients = sim.count('sockclnt_create');
    const deletes = sim.routeOps.del;

    second = startDaemon(['--vpp-sock', vppSock, '--fpm-port', String(await freePort()), '--metrics-addr', `127.0.0.1:${await freePort()}`]);
    const t0 = Date.now();
    const code = await Promise.race([second.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000).unref())]);
    assert.notEqual(code, 'running', `the second fibmgr still runs after 20 s:\n${second.raw.slice(-5).join('\n')}`);
    assert.notEqual(code, 0);
    const fatal = second.lines.find((l) => l.level === 60);
    assert.ok(fatal, second.raw.join('\n'));
    assert.match(String(fatal.err), new RegExp(`another fibmgr \\(pid ${d.proc.pid}\\b`), 'the error names the first by its pid');
    assert.equal((fatal.holder as { pid: number }).pid, d.proc.pid);
    assert.ok(Date.now() - t0 < 20_000);
    assert.equal(sim.count('sockclnt_create'), clients, 'the second never connected to VPP');
    assert.equal(sim.routeOps.del, deletes);
    assert.equal(routes(), before, 'the first\'s routes are all there');
    assert.equal((await get(httpPort, '/readyz')).status, 200, 'the first is still ready');
    zebra.destroy();
  } finally {
    await second?.stop();
    await d.stop();
    await sim.stop();
  }
});
