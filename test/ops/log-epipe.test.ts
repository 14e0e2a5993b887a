// A log destination that fails must never hold up or crash fibmgr: with its stderr piped into a
// process that has gone (`fibmgr ... 2>&1 | head -1`), every write fails with EPIPE. The stop
// still ends the VPP session with its goodbye and exits 0 — it used to hang for good: pino's
// exit-time flushSync retries a failed write forever (sonic-boom sleeps and retries on any error
// but EAGAIN), blocking the event loop, so no later SIGTERM could end it either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, get, startDaemon, startSimDaemon, until, type Daemon } from '../helpers/daemon.js';
import { VppSim } from 'vpp-binapi-ts/sim';

async function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | 'hung'> {
  let deadline: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'hung'>((r) => { deadline = setTimeout(() => r('hung'), ms); })]);
  clearTimeout(deadline);
  return code;
}

/** SIGTERM: fibmgr exits 0 within 20 s, its one VPP session ended with the goodbye (sockclnt_delete). */
async function goodbyeOnSigterm(d: Daemon, sim: VppSim): Promise<void> {
  d.proc.kill('SIGTERM');
  assert.equal(await exitWithin(d.exited, 20_000), 0, 'fibmgr did not exit within 20 s of SIGTERM (or not with status 0)');
  assert.equal(sim.sessions.length, 1, JSON.stringify(sim.sessions));
  assert.deepEqual({ deleted: sim.sessions[0]!.deleted, closed: sim.sessions[0]!.closed }, { deleted: true, closed: true });
}

test('stderr into a closed pipe: SIGTERM still ends the VPP session with its goodbye and exits 0', { timeout: 90_000 }, async () => {
  const { sim, d, httpPort } = await startSimDaemon('log-epipe', ['--log-level', 'info', '--resync-grace', '1', '--audit-interval', '0', '--progress-interval', '0']);
  try {
    // The reader goes away after the first line, as `head -1` does.
    await new Promise<void>((resolve) => d.proc.stderr!.once('data', () => resolve()));
    d.proc.stderr!.destroy();
    await until('ready', async () => (await get(httpPort, '/readyz')).status === 200, 30_000);
    await goodbyeOnSigterm(d, sim);
  } finally {
    await d.stop('SIGKILL');
    await sim.stop();
  }
});

test('stderr open read-only (every write fails with EBADF): fibmgr runs, and SIGTERM ends it with the goodbye, exit 0', { timeout: 90_000 }, async () => {
  const socketPath = join(tmpdir(), `fibmgr-log-ebadf-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath }).start();
  const readOnly = join(tmpdir(), `fibmgr-log-ebadf-${process.pid}.log`);
  writeFileSync(readOnly, '');
  const fd = openSync(readOnly, 'r');
  const [fpmPort, httpPort] = [await freePort(), await freePort()];
  const d = startDaemon(['--log-level', 'info', '--vpp-sock', socketPath, '--fpm-port', String(fpmPort), '--metrics-addr', `127.0.0.1:${httpPort}`,
    '--resync-grace', '1', '--audit-interval', '0'], {}, fd);
  closeSync(fd);
  try {
    await until('ready', async () => (await get(httpPort, '/readyz').catch(() => ({ status: 0 }))).status === 200, 30_000);
    await goodbyeOnSigterm(d, sim);
  } finally {
    await d.stop('SIGKILL');
    await sim.stop();
    rmSync(readOnly, { force: true });
  }
});
