// The warm-up (src/warm-up): fibmgr's own route path runs synthetic routes against a private
// simulator before zebra's first session, and never reaches the VPP fibmgr serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppSim } from 'vpp-binapi-ts/sim';
import { VppClient } from 'vpp-binapi-ts';
import { messages } from 'vpp-binapi-ts/gen';
import { createLogger } from '../src/log.js';
import { warmUp, warmUpWindow, type WarmPath } from '../src/warm-up/warm-up.js';
import { Reconciler } from '../src/sync/reconciler.js';
import { VppAdapter, REQUIRED } from '../src/sync/vpp/vpp-adapter.js';
import { FpmServer } from '../src/fpm/server.js';
import { FpmSessionDecoder } from '../src/fpm/session-decoder.js';
import { freePort, startDaemon, until } from './helpers/daemon.js';
import { simRoutes, simSource } from './helpers/sim-fib.js';
import { netlinkFrame, routeMsg } from './fpm/build.js';
import { FakeClock } from './helpers/fake-clock.js';

const log = createLogger('silent');
/** The warm-up directories of process `pid` still in the temporary directory. */
const leftovers = (pid: number) => readdirSync(tmpdir()).filter((n) => n.startsWith(`fibmgr-warm-up-${pid}-`));

test('a warm-up runs its routes through two route paths in turn, each against its own simulator, and leaves nothing behind', async () => {
  const paths: string[] = [];
  const windows: number[] = [];
  const events: string[] = [];
  const r = await warmUp({
    routes: 2000,
    window: 32_768,
    logger: log,
    deadlineMs: 120_000,
    async build(socketPath, window) {
      paths.push(socketPath);
      windows.push(window);
      const n = paths.length;
      events.push(`build ${n}`);
      const client = new VppClient({ socketPath, window, messages: messages as any, required: REQUIRED.map((n) => (messages as any)[n]) });
      await client.connect();
      const sync = new Reconciler(new VppAdapter({ client, messages: messages as any, logger: log }), { tableMap: new Map(), installConnected: false, resyncGraceMs: 100, maxBacklog: 10_000, window, logger: log });
      const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder({ weights: 'auto' }), sink: sync, logger: log });
      return {
        sync, server,
        async stop() {
          events.push(`stop ${n} after ${sync.state().installed} installed`);
          await server.close(); await sync.stop({ flush: false }); await client.close();
        },
      };
    },
  });
  assert.deepEqual(r.problem, null);
  assert.equal(r.passes, 2);
  assert.equal(r.installed, 2000, 'every route acknowledged by the last pass\'s simulator');
  // the second path is built once the first has run the whole stream and stopped (what the
  // second pass is for: V8 recompiling, before zebra's path, what it compiled for the first one)
  assert.deepEqual(events, ['build 1', 'stop 1 after 2000 installed', 'build 2', 'stop 2 after 2000 installed']);
  assert.equal(paths.length, 2);
  assert.deepEqual(windows, [500, 500], 'a window its stream fills (a quarter of it), not the route path\'s 32,768');
  assert.notEqual(paths[0], paths[1], 'a simulator of its own each');
  for (const p of paths) assert.ok(p.startsWith(join(tmpdir(), `fibmgr-warm-up-${process.pid}-`)), p);
  assert.deepEqual(leftovers(process.pid), [], 'their socket directories removed');
});

test('the warm-up\'s window is the route path\'s, or a quarter of its stream when that is less', () => {
  assert.equal(warmUpWindow(32_768, 62_500), 15_625, 'the default window is more than a quarter of the default stream: a quarter of the stream');
  assert.equal(warmUpWindow(1_024, 62_500), 1_024, 'a smaller window as it is');
  assert.equal(warmUpWindow(32_768, 3), 1, 'never 0');
});

test('a warm-up that fails says why and throws nothing: it only costs speed', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (l: string) => { lines.push(JSON.parse(l)); return true; } } as unknown as NodeJS.WritableStream);
  const r = await warmUp({ routes: 100, window: 32_768, logger, async build() { throw new Error('no route path today'); } });
  assert.equal(r.problem, 'no route path today');
  assert.equal(r.installed, 0);
  assert.equal(r.passes, 0, 'no second pass after a failed one');
  assert.ok(lines.some((l) => l.msg === 'warm-up stopped short: the first sync starts on code less compiled' && l.problem === 'no route path today'), JSON.stringify(lines));
  assert.deepEqual(leftovers(process.pid), []);
});

test('the daemon warms up before it listens for zebra, and its VPP sees none of it', { timeout: 90_000 }, async () => {
  const socketPath = join(tmpdir(), `fibmgr-warm-up-daemon-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath, interfaces: [] }).start();
  const fpmPort = await freePort();
  const d = startDaemon(['--vpp-sock', socketPath, '--fpm-port', String(fpmPort), '--metrics-addr', 'off', '--resync-grace', '0.2', '--warm-up-routes', '5000']);
  try {
    const done = await d.waitLog('warm-up done: the route path ran on synthetic routes against a private simulator', 60_000);
    assert.equal(done.routes, 5000);
    assert.equal(done.passes, 2, 'two paths in turn');
    assert.equal(done.window, 1250, 'the daemon\'s window (32,768 by default) cut to what the stream fills');
    await d.waitLog('listening for zebra FPM', 30_000);
    const at = (msg: string) => d.lines.findIndex((l) => l.msg === msg);
    assert.ok(at('warm-up done: the route path ran on synthetic routes against a private simulator') < at('listening for zebra FPM'));
    assert.deepEqual(sim.routeOps, { add: 0, del: 0 }, 'no route request of the warm-up reached the VPP fibmgr serves');
    assert.deepEqual(sim.sessions.map((s) => s.name).filter((n) => n.includes('warm')), [], 'nor any session of it');
    assert.deepEqual(leftovers(d.proc.pid!), []);
    // then zebra's routes go where they always went
    const zebra = connect(fpmPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { zebra.once('connect', () => resolve()); zebra.once('error', reject); });
    zebra.write(netlinkFrame(routeMsg({ prefix: '10.50.0.0/16', gateway: '10.0.0.1', protocol: 186 })));
    const fib = () => {
      const src = simSource(sim, 'fibmgr');
      return src === undefined ? [] : [...simRoutes(sim, src)].map(([k]) => k);
    };
    await until('zebra\'s route in VPP', () => fib().length === 1, 30_000, fib);
    assert.deepEqual(fib(), ['0|10.50.0.0/16']);
    assert.equal(sim.routeOps.add, 1, 'zebra\'s one route, and nothing of the warm-up\'s 5,000');
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});

/** A route path against the warm-up's simulator, as the daemon builds one; `stopped` counts its stops. */
async function simplePath(socketPath: string, stopped: { n: number }) {
  const client = new VppClient({ socketPath, messages: messages as any, required: REQUIRED.map((n) => (messages as any)[n]), reconnect: false });
  await client.connect();
  const sync = new Reconciler(new VppAdapter({ client, messages: messages as any, logger: log }), { tableMap: new Map(), installConnected: false, resyncGraceMs: 100, maxBacklog: 10_000, logger: log });
  const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder({ weights: 'auto' }), sink: sync, logger: log });
  return { sync, server, async stop() { stopped.n++; await server.close(); await sync.stop({ flush: false }); await client.close(); } };
}

test('a stop in the middle of the stream ends the warm-up: its path stopped, its directory gone', async () => {
  const stop = new AbortController();
  const stopped = { n: 0 };
  let sync: Reconciler | null = null;
  const r = await warmUp({
    routes: 200_000,
    window: 32_768,
    logger: log,
    deadlineMs: 120_000,
    signal: stop.signal,
    async build(socketPath) {
      const p = await simplePath(socketPath, stopped);
      sync = p.sync;
      // stopped once the first routes are acknowledged
      const poll = setInterval(() => { if (p.sync.state().installed > 0) { clearInterval(poll); stop.abort(); } }, 1);
      return p;
    },
  });
  assert.equal(r.problem, 'fibmgr is stopping');
  assert.ok(r.installed > 0 && r.installed < 200_000, `stopped mid-stream at ${r.installed}`);
  assert.ok(sync, 'built');
  assert.equal(stopped.n, 1, 'its path stopped once, and no second one built');
  assert.equal(r.passes, 0);
  assert.deepEqual(leftovers(process.pid), []);
});

test('a path built only after its pass\'s deadline is stopped as soon as it is built; the pass before it counts', async () => {
  const stopped = { n: 0 };
  let release!: () => void;
  const late = new Promise<void>((r) => { release = r; });
  let built: Promise<WarmPath> | null = null;
  let builds = 0;
  // the deadlines run on a clock moved here: the first pass's never fires (however slow the
  // machine), the second's once its path is asked for
  const clock = new FakeClock();
  const armed: { disarmed: boolean }[] = [];
  const after = clock.after.bind(clock);
  clock.after = (ms, fn) => {
    const d = { disarmed: false };
    armed.push(d);
    const timer = after(ms, fn);
    return { cancel: () => { d.disarmed = true; timer.cancel(); } };
  };
  const r = await warmUp({
    routes: 100,
    window: 32_768,
    logger: log,
    deadlineMs: 2_000,
    clock,
    build(socketPath) {
      if (++builds === 1) return simplePath(socketPath, stopped);
      built = late.then(() => ({ sync: {} as Reconciler, server: {} as FpmServer, async stop() { stopped.n++; } }));
      setImmediate(() => clock.advance(2_000));
      return built;
    },
  });
  assert.deepEqual(armed.map((d) => d.disarmed), [true, true], 'each pass\'s deadline disarmed when it ended');
  assert.equal(r.problem, 'a pass not done within 2000 ms');
  assert.equal(r.passes, 1, 'the first pass ran to its end');
  assert.equal(builds, 2);
  assert.ok(built, 'the second pass asked for its path');
  assert.equal(stopped.n, 1, 'the first pass\'s path stopped; the second not built yet');
  assert.deepEqual(leftovers(process.pid), [], 'their directories gone without waiting for the late path');
  release();
  await built;
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped.n, 2, 'the late path stopped once it was built');
});

test('a stop while a pass is being taken down starts no other pass', async () => {
  const stop = new AbortController();
  const stopped = { n: 0 };
  let builds = 0;
  const r = await warmUp({
    routes: 100,
    window: 32_768,
    logger: log,
    deadlineMs: 120_000,
    signal: stop.signal,
    async build(socketPath) {
      builds++;
      const p = await simplePath(socketPath, stopped);
      return { ...p, async stop() { stop.abort(); await p.stop(); } };
    },
  });
  assert.equal(r.problem, 'fibmgr is stopping');
  assert.equal(r.passes, 1, 'the first pass ran to its end');
  assert.equal(builds, 1, 'no second path built');
  assert.equal(stopped.n, 1);
  assert.deepEqual(leftovers(process.pid), []);
});

test('no warm-up at 0 routes: nothing is built', async () => {
  const r = await warmUp({ routes: 0, window: 32_768, logger: log, async build() { throw new Error('built'); } });
  assert.deepEqual(r, { installed: 0, passes: 0, ms: 0, problem: null });
});

test('a stop during the warm-up ends it and fibmgr: zebra is never let in', { timeout: 90_000 }, async () => {
  const socketPath = join(tmpdir(), `fibmgr-warm-up-stop-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath, interfaces: [] }).start();
  const fpmPort = await freePort();
  // the most routes it takes: still warming up when the signal comes
  const d = startDaemon(['--vpp-sock', socketPath, '--fpm-port', String(fpmPort), '--metrics-addr', 'off', '--warm-up-routes', '200000']);
  try {
    await d.waitLog('warming up: the route path runs synthetic routes against a private simulator before zebra is let in', 60_000);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    assert.ok(d.lines.some((l) => l.msg === 'stopped during the warm-up: zebra was never let in'), d.raw.slice(-10).join('\n'));
    assert.ok(d.lines.some((l) => l.msg === 'warm-up stopped short: the first sync starts on code less compiled' && l.problem === 'fibmgr is stopping'));
    assert.equal(d.lines.some((l) => l.msg === 'listening for zebra FPM'), false, 'zebra\'s port opened');
    assert.deepEqual(sim.routeOps, { add: 0, del: 0 });
    assert.deepEqual(leftovers(d.proc.pid!), [], 'its socket directory removed');
  } finally {
    await d.stop();
    await sim.stop();
  }
});
