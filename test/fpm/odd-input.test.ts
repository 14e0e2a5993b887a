// The daemon against the simulator, fed every odd input kept in test/fpm/corpus that zebra could
// send in a live session (an encapsulation VPP is not given, nested or oversized groups, too many
// next hops): the session stays up, a route sent after it arrives in VPP, the skip counter moves,
// and a route whose newest message is unusable leaves VPP (its older version is not zebra's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { get, parseMetrics, startSimDaemon, until } from '../helpers/daemon.js';
import { netlinkFrame, routeMsg } from './build.js';

const CORPUS = new URL('./corpus/', import.meta.url);
const CASES: { file: string; reason: string; prefix: string }[] = [
  { file: 'vxlan-encap-route.bin', reason: 'unsupported-encap', prefix: '10.77.0.0/24' },
  { file: 'nexthop-vxlan-group.bin', reason: 'group-unusable', prefix: '10.81.0.0/24' },
  { file: 'nested-groups-7x8.bin', reason: 'group-unusable', prefix: '10.78.0.0/24' },
  { file: 'group-too-large.bin', reason: 'group-too-large', prefix: '10.79.0.0/24' },
  { file: 'multipath-300.bin', reason: 'too-many-nexthops', prefix: '10.80.0.0/24' },
];

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', () => r()));
  return s;
}
const send = (s: Socket, b: Buffer) => new Promise<void>((r) => s.write(b, () => r()));

test('odd input costs one message: the session stays, later routes arrive, the counter moves', { timeout: 120_000 }, async () => {
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('odd', ['--resync-grace', '1']);
  try {
    await d.waitLog('listening for zebra FPM');
    const zebra = await dial(fpmPort);
    const metrics = async () => parseMetrics((await get(httpPort, '/metrics')).body);
    const inVpp = () => simRoutes(sim, simSource(sim, 'fibmgr') ?? -1);
    for (const [i, c] of CASES.entries()) {
      // a good version first, so that the unusable one must take it out of VPP
      await send(zebra, netlinkFrame(routeMsg({ prefix: c.prefix, gateway: '192.0.2.1' })));
      await until(`${c.prefix} installed`, () => inVpp().has(`0|${c.prefix}`));
      const before = (await metrics()).get(`fibmgr_fpm_skipped_total{reason="${c.reason}"}`) ?? 0;
      const sentinel = `10.200.${i}.0/24`;
      await send(zebra, readFileSync(new URL(c.file, CORPUS)));
      await send(zebra, netlinkFrame(routeMsg({ prefix: sentinel, gateway: '192.0.2.1' })));
      await until(`${sentinel} after ${c.file}`, () => inVpp().has(`0|${sentinel}`));
      await until(`${c.prefix} removed after ${c.file}`, () => !inVpp().has(`0|${c.prefix}`));
      const m = await metrics();
      assert.ok((m.get(`fibmgr_fpm_skipped_total{reason="${c.reason}"}`) ?? 0) > before, `${c.file}: skip counter ${c.reason}`);
      assert.equal(m.get('fibmgr_fpm_sessions_failed_total'), 0, `${c.file} closed the session`);
      assert.equal(m.get('fibmgr_fpm_sessions_accepted_total'), 1);
      assert.equal(m.get('fibmgr_fpm_session_up'), 1);
    }
    const state = JSON.parse((await get(httpPort, '/state')).body);
    assert.ok(state.fpm.lastUnusable.some((u: { route: string | null; what: string }) => u.route === '254 10.77.0.0/24' && u.what === 'unsupported-encap'), JSON.stringify(state.fpm.lastUnusable));
    // logged once per kind at warn, naming the route
    const warned = d.lines.filter((l) => l.msg?.toString().startsWith('FPM message not usable') && l.level === 40);
    assert.ok(warned.some((l) => l.route === '254 10.77.0.0/24'), JSON.stringify(warned));
    assert.equal(new Set(warned.map((l) => l.what)).size, warned.length, 'one warning per kind');
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});
