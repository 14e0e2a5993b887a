// The client measures request timeouts on a monotonic clock (issue 26, item 11): a forward step
// of the system clock does not time every request out, a backward one does not keep a wedged
// VPP's requests waiting. The monotonic clock is injected; Date.now is stepped for code that
// would still read it; the timeout sweep's interval runs on mocked timers.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { VppClient, VppDisconnectedError, VppTimeoutError, type VppClientOptions } from '../src/index.js';
import { VppSim } from '../src/sim/index.js';
import * as d from './client-defs.js';
import { sockPath } from './helpers/sim-per-test.js';

const HOUR = 3_600_000;

/**
 * A client of a simulator of its own that times requests out after 1 s on the injected clock
 * (`advance` moves it), its timeout sweep on mocked intervals (`sweep` runs them); `extra` options
 * over those (no reconnecting unless said).
 */
async function clocked(t: TestContext, extra: Partial<VppClientOptions> = {}) {
  const path = sockPath('client-clock');
  const sim = await new VppSim({ socketPath: path }).start();
  let mono = 1000;
  t.mock.timers.enable({ apis: ['setInterval'] });
  const c = new VppClient({ socketPath: path, messages: d.messages, required: [d.ip_route_add_del], timeoutMs: 1000, handshakeTimeoutMs: 60_000, reconnect: false, now: () => mono, ...extra });
  await c.connect();
  t.after(async () => {
    await c.close();
    await sim.stop();
  });
  const sweep = async (ms: number) => {
    t.mock.timers.tick(ms);
    await new Promise((res) => setImmediate(res));
  };
  /** `count` requests VPP never answers, once they are on the wire and recorded in flight. */
  const unanswered = async (count = 1, onOutcome: (o: Error | 'ok') => void = () => {}) => {
    sim.silent.add('ip_route_add_del');
    const before = sim.count('ip_route_add_del');
    for (let i = 0; i < count; i++) c.request(d.ip_route_add_del, d.route(`10.${i + 1}.0.0/24`)).then(() => onOutcome('ok'), (err: Error) => onOutcome(err));
    while (sim.count('ip_route_add_del') < before + count) await new Promise((res) => setImmediate(res));
  };
  return { c, sim, advance: (ms: number) => (mono += ms), sweep, unanswered };
}

/** A request VPP never answers, on a clocked client: what became of it so far (null: still waiting). */
async function setup(t: TestContext) {
  const s = await clocked(t);
  let outcome: Error | 'ok' | null = null;
  await s.unanswered(1, (o) => (outcome = o));
  return { ...s, outcome: () => outcome };
}

function stepSystemClock(t: TestContext, ms: number): void {
  const real = Date.now.bind(Date);
  t.mock.method(Date, 'now', () => real() + ms);
}

test('a forward step of the system clock does not time requests out; the monotonic time does', async (t) => {
  const s = await setup(t);
  stepSystemClock(t, HOUR);
  await s.sweep(2000);
  assert.equal(s.outcome(), null, 'still waiting for VPP');
  assert.equal(s.c.pending.inflight, 1);
  s.advance(1000);
  await s.sweep(2000);
  assert.ok(s.outcome() instanceof VppTimeoutError, `timed out after the timeout on the monotonic clock: ${String(s.outcome())}`);
  assert.equal((s.outcome() as VppTimeoutError).code, 'VPP_TIMEOUT', 'told apart by its code as well as its class');
});

test('a backward step of the system clock does not keep a request waiting past its timeout', async (t) => {
  const s = await setup(t);
  stepSystemClock(t, -HOUR);
  s.advance(1000);
  await s.sweep(2000);
  assert.ok(s.outcome() instanceof VppTimeoutError, `timed out: ${String(s.outcome())}`);
});

test('a stalled VPP timing a window of requests out logs one line for them all, not one per request', async (t) => {
  const warned: { obj: any; msg?: string }[] = [];
  const logger = { debug() {}, info() {}, warn: (obj: object, msg?: string) => warned.push({ obj, msg }), error() {} };
  const s = await clocked(t, { logger, maxTimeouts: 1000 });
  let failed = 0;
  await s.unanswered(200, (o) => { if (o !== 'ok') failed++; });
  s.advance(1000);
  await s.sweep(2000);
  assert.equal(failed, 200, 'every request timed out');
  const lines = warned.filter((w) => w.msg === 'vpp request timed out');
  assert.equal(lines.length, 1, `${lines.length} log lines`);
  assert.equal(lines[0]!.obj.requests, 200);
  assert.equal(lines[0]!.obj.message, 'ip_route_add_del');
});

/** A clocked client reconnecting within 10–50 ms; `timedOut()` sends a request VPP never answers and tells what became of it once its timeout has passed (null: still waiting). */
async function reconnecting(t: TestContext) {
  const s = await clocked(t, { reconnect: { minMs: 10, maxMs: 50 } });
  const timedOut = async (): Promise<Error | 'ok' | null> => {
    let outcome = null as Error | 'ok' | null;
    await s.unanswered(1, (o) => (outcome = o));
    s.advance(1000);
    await s.sweep(2000);
    return outcome;
  };
  return { ...s, timedOut };
}

test('a pause ends with its session: requests on the next session time out again', async (t) => {
  // the owner paused its reading (a dump read at its own pace) and VPP went away meanwhile: a
  // paused socket reads no end, so the loss shows at the next write. Nothing of the pause may
  // outlive that session: timeouts do not count while paused.
  const { c, sim, timedOut } = await reconnecting(t);
  c.pause();
  sim.dropConnections();
  const back = new Promise((res) => c.once('connected', res));
  const lost = await c.request(d.ip_route_add_del, d.route('10.0.0.0/24')).then(() => null, (err: Error) => err);
  assert.ok(lost instanceof VppDisconnectedError, `the write finds the session gone: ${String(lost)}`);
  await back;
  const outcome = await timedOut();
  assert.ok(outcome instanceof VppTimeoutError, `timed out on the new session: ${String(outcome)}`);
});

test('a pause asked for between sessions does nothing: the next session times out as any', async (t) => {
  const { c, sim, timedOut } = await reconnecting(t);
  const gone = new Promise((res) => c.once('disconnected', res));
  const back = new Promise((res) => c.once('connected', res));
  sim.dropConnections();
  await gone;
  c.pause();
  await back;
  const outcome = await timedOut();
  assert.ok(outcome instanceof VppTimeoutError, `timed out on the new session: ${String(outcome)}`);
});
