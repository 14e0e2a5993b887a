// systemd's notify protocol: the notifier's messages and timing in isolation, then the real
// daemon against a datagram socket that stands in for systemd (READY only after VPP's
// handshake, watchdog pings, STOPPING on SIGTERM).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import pino from 'pino';
import { SystemdNotifier } from '../../src/ops/systemd-notify.js';
import { VppSim } from 'vpp-binapi-ts/sim';
import { REPO } from '../helpers/fibmgr-child.js';
import { freePort, startDaemon, until } from '../helpers/daemon.js';

const log = pino({ level: 'silent' });

/**
 * The notifier's interval timer and performance.now on one scripted clock: `advance` moves both
 * (the loop keeps up), `stall` moves performance.now only (the loop was stuck meanwhile).
 */
function scriptedTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let now = performance.now();
  t.mock.method(performance, 'now', () => now);
  const posted = () => new Promise((r) => setImmediate(r)); // the notifier's sends are chained promises
  return {
    async advance(ms: number, step: number) {
      for (let done = 0; done < ms; done += step) {
        now += step;
        t.mock.timers.tick(step);
        await posted();
      }
    },
    stall(ms: number) { now += ms; },
    posted,
  };
}

test('no NOTIFY_SOCKET: no notifier (not run by systemd, or not Type=notify)', () => {
  assert.equal(SystemdNotifier.fromEnv({ env: {}, logger: log }), null);
});

test('watchdog interval is half of WATCHDOG_USEC, and only for our pid', () => {
  const n = SystemdNotifier.fromEnv({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '30000000' }, logger: log, send: async () => {} });
  assert.equal(n?.watchdogIntervalMs, 15_000);
  const other = SystemdNotifier.fromEnv({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, logger: log, send: async () => {} });
  assert.equal(other?.watchdogIntervalMs, null);
  const none = SystemdNotifier.fromEnv({ env: { NOTIFY_SOCKET: '/x' }, logger: log, send: async () => {} });
  assert.equal(none?.watchdogIntervalMs, null);
});

test('messages go out in order; an unchanged status is not resent; a failing sender never throws', async () => {
  const sent: string[][] = [];
  let fail = false;
  const n = SystemdNotifier.fromEnv({
    env: { NOTIFY_SOCKET: '/x' }, logger: log,
    send: async (a) => {
      for (let turns = Math.random() * 5; turns > 0; turns--) await new Promise((r) => setImmediate(r)); // a sender of uneven speed
      if (fail) throw new Error('no systemd-notify');
      sent.push(a);
    },
  })!;
  void n.ready('up');
  void n.status('up');
  void n.status('10 routes');
  await n.stopping('bye');
  assert.deepEqual(sent, [['READY=1', 'STATUS=up'], ['STATUS=10 routes'], ['STOPPING=1', 'STATUS=bye']]);
  fail = true;
  await n.status('unreachable');
});

/** A notifier whose watchdog (every 100 ms) runs on scripted time, recording what it sends. */
function watchdogOn(t: TestContext) {
  const time = scriptedTime(t);
  const sent: string[] = [];
  const n = SystemdNotifier.fromEnv({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '200000' }, logger: log, send: async (a) => void sent.push(a.join(',')) })!;
  n.startWatchdog();
  return { time, sent, n };
}

test('watchdog pings while the loop is healthy, and stop when told', async (t) => {
  const { time, sent, n } = watchdogOn(t);
  await time.advance(300, 100); // three intervals of 100 ms, the loop keeping up
  n.stopWatchdog();
  const pings = sent.filter((s) => s === 'WATCHDOG=1').length;
  assert.ok(pings >= 4, `pings: ${pings}`);
  const before = sent.length;
  await time.advance(250, 50);
  assert.equal(sent.length, before);
});

test('a stalled event loop gets no watchdog ping', async (t) => {
  const { time, sent, n } = watchdogOn(t);
  await time.posted();
  const before = sent.length;
  time.stall(400); // the loop stuck for four intervals
  await time.advance(100, 100); // the late tick
  n.stopWatchdog();
  assert.equal(sent.length, before, 'the late tick withheld its ping');
});

test('the daemon under a stand-in systemd: the warm-up in STATUS, READY after the VPP handshake, WATCHDOG, STOPPING', { timeout: 60_000 }, async (t) => {
  if (spawnSync('systemd-notify', ['--version']).status !== 0) { t.skip('no systemd-notify on this host'); return; }
  if (spawnSync('perl', ['-e', '1']).status !== 0) { t.skip('no perl to stand in for systemd'); return; }
  const notifyPath = join(tmpdir(), `fibmgr-notify-${process.pid}.sock`);
  const vppPath = join(tmpdir(), `fibmgr-notify-vpp-${process.pid}.sock`);
  const listener = spawn('perl', [join(REPO, 'test', 'helpers', 'notify-listener.pl'), notifyPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const got: string[] = [];
  createInterface({ input: listener.stdout! }).on('line', (l) => got.push(l));
  const sim = new VppSim({ socketPath: vppPath });
  const d = startDaemon(
    ['--vpp-sock', vppPath, '--fpm-port', String(await freePort()), '--metrics-addr', 'off'],
    { NOTIFY_SOCKET: notifyPath, WATCHDOG_USEC: '400000' },
  );
  try {
    await until('the stand-in systemd', () => got.includes('LISTENING'));
    // the third attempt comes 750 ms after the first (250 ms doubling): the watchdog (200 ms) would have pinged
    await until('the third attempt to reach VPP', () => d.lines.some((l) => l.msg === 'VPP not reachable yet' && l.attempt === 3), 20_000);
    const messages = () => got.filter((l) => l !== 'LISTENING' && l !== 'BARRIER=1');
    assert.deepEqual(messages(), [], 'nothing before VPP answers: no READY, no pings');
    await sim.start();
    await until('READY=1', () => messages().some((m) => m.startsWith('READY=1')), 20_000, messages);
    // the warm-up (the default 62,500 routes) says so before READY, then READY says what it waits for
    assert.match(messages()[0]!, /^STATUS=warming up: 62500 synthetic routes through the route path, 2 times, against a private simulator, before zebra is let in$/);
    assert.match(messages()[1]!, /^READY=1\|STATUS=waiting for zebra; VPP connected; 0 routes, 0 installed; in sync$/);
    await until('watchdog pings', () => messages().filter((m) => m === 'WATCHDOG=1').length >= 3, 10_000, messages);
    assert.equal(await d.stop('SIGTERM'), 0);
    await until('STOPPING=1', () => messages().some((m) => m.startsWith('STOPPING=1')), 5_000, messages);
    assert.match(messages().find((m) => m.startsWith('STOPPING=1'))!, /STATUS=stopping: VPP keeps its routes/);
  } finally {
    await d.stop('SIGKILL');
    listener.kill();
    await sim.stop();
    if (existsSync(notifyPath)) spawnSync('rm', ['-f', notifyPath]);
  }
});
