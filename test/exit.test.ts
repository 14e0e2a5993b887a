// Every way out of the daemon that fibmgr controls ends its VPP sessions with sockclnt_delete
// (issue 27: a VPP that only sees a session's socket drop can spin its main thread on it): a stop
// (SIGTERM, SIGINT), a second signal that cuts a slow stop short, a fatal error after VPP was
// reached, the last-resort guard — on the main session and on an audit's own (an audit that is
// still dumping when fibmgr exits). The simulator
// records for each session whether it ended with sockclnt_delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { REPO } from './helpers/fibmgr-child.js';
import { get, sendFpm, startSimDaemon, until, type Daemon } from './helpers/daemon.js';
import type { VppSim } from 'vpp-binapi-ts/sim';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');
const PRELOAD = join(REPO, 'test', 'helpers', 'throw-on-sigusr2.mjs');

function assertAllSaidGoodbye(sim: VppSim, sessions: number): void {
  assert.equal(sim.sessions.length, sessions, JSON.stringify(sim.sessions));
  for (const s of sim.sessions) assert.deepEqual({ deleted: s.deleted, closed: s.closed }, { deleted: true, closed: true }, `session ${s.index.toString(16)} (${s.name})`);
}

/**
 * fibmgr on the simulator, ready after zebra's replay of kernel-1k; `body` gets the running pair
 * and zebra's socket. fibmgr and the simulator are stopped afterwards, pass or fail.
 */
async function afterReplay(
  name: string,
  env: NodeJS.ProcessEnv,
  body: (s: { sim: VppSim; d: Daemon; zebra: Socket; httpPort: number }) => Promise<void>,
): Promise<void> {
  const { sim, d, fpmPort, httpPort } = await startSimDaemon(name, ['--resync-grace', '1', '--audit-interval', '0'], env);
  try {
    await d.waitLog('listening for zebra FPM');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('ready after the replay', async () => (await get(httpPort, '/readyz')).status === 200, 30_000);
    await body({ sim, d, zebra, httpPort });
  } finally {
    await d.stop('SIGKILL');
    await sim.stop();
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: the stop ends the VPP session with sockclnt_delete, exit 0`, { timeout: 60_000 }, async () => {
    await afterReplay(`exit-${signal}`, {}, async ({ sim, d, zebra }) => {
      assert.equal(await d.stop(signal), 0);
      zebra.destroy();
      assertAllSaidGoodbye(sim, 1);
      assert.ok(d.lines.some((l) => l.msg === 'VPP sessions ended (sockclnt_delete)'));
    });
  });
}

test('a second signal during a stop that waits for VPP ends it at once, still with the goodbye', { timeout: 60_000 }, async () => {
  // VPP answers no route write and fibmgr would wait 10 minutes for each: the stop waits for them
  const { sim, d, fpmPort } = await startSimDaemon('exit-twice', ['--resync-grace', '1', '--audit-interval', '0', '--vpp-timeout', '600']);
  try {
    await d.waitLog('listening for zebra FPM');
    await until('adopted', () => sim.count('ip_route_v2_dump') > 0);
    sim.silent.add('ip_route_add_del_v2');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('writes in flight', () => sim.count('ip_route_add_del_v2') > 0);
    d.proc.kill('SIGTERM');
    await d.waitLog('stopping: no new FPM sessions, finishing requests in flight');
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 1);
    zebra.destroy();
    assertAllSaidGoodbye(sim, 1);
    assert.ok(d.lines.some((l) => l.msg === 'second signal: ending the VPP sessions and exiting now'));
  } finally {
    await d.stop('SIGKILL');
    await sim.stop();
  }
});

test('a fatal error after VPP was reached (the FPM port is taken) ends the VPP session, exit 1', { timeout: 60_000 }, async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as { port: number }).port;
  // startSimDaemon's own --fpm-port comes first; the later one wins
  const { sim, d } = await startSimDaemon('exit-fatal', ['--fpm-port', String(port)]);
  try {
    assert.equal(await d.exited, 1);
    assert.ok(d.lines.some((l) => l.msg === 'cannot listen for zebra\'s FPM connection'));
    assertAllSaidGoodbye(sim, 1);
  } finally {
    taken.close();
    await sim.stop();
  }
});

test('the last-resort guard (an exception nothing caught) ends the VPP sessions, exit 70', { timeout: 60_000 }, async () => {
  await afterReplay('exit-guard', { NODE_OPTIONS: `--import ${PRELOAD}` }, async ({ sim, d, zebra }) => {
    d.proc.kill('SIGUSR2');
    assert.equal(await d.exited, 70);
    zebra.destroy();
    assert.ok(d.lines.some((l) => l.level === 60 && /boom/.test(String(l.err))));
    assertAllSaidGoodbye(sim, 1);
  });
});

test('the guard during an audit ends the audit\'s own VPP session too', { timeout: 60_000 }, async () => {
  await afterReplay('exit-audit', { NODE_OPTIONS: `--import ${PRELOAD}` }, async ({ sim, d, zebra, httpPort }) => {
    // the audit's dump gets no answer: its session stays open until fibmgr exits
    sim.silent.add('ip_route_v2_dump');
    const audit = fetch(`http://127.0.0.1:${httpPort}/audit`, { method: 'POST' }).catch(() => null);
    await until('the audit has its own session', () => sim.sessions.length === 2 && sim.count('ip_route_v2_dump') >= 2);
    d.proc.kill('SIGUSR2');
    assert.equal(await d.exited, 70);
    await audit;
    zebra.destroy();
    assertAllSaidGoodbye(sim, 2);
  });
});
