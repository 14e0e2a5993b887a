// The daemon's operator surface against the VPP simulator: a recorded zebra stream goes in, and
// /metrics, /state, /readyz and `fibmgr status` must tell what happened, through a resync and a
// VPP loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { REPO } from '../helpers/fibmgr-child.js';
import { get, parseMetrics, sendFpm, startSimDaemon, until } from '../helpers/daemon.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');

function expectedCounts(file: string) {
  const evs = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { kind: string; op?: string }[];
  const c = (kind: string, op: string) => evs.filter((e) => e.kind === kind && e.op === op).length;
  return { routeAdd: c('route', 'add'), routeDel: c('route', 'del'), nhgAdd: c('nexthop-group', 'add') };
}

const sum = (m: Map<string, number>, prefix: string) =>
  [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

test('metrics, /state, /readyz and fibmgr status follow a sync, a resync and a VPP loss', { timeout: 90_000 }, async () => {
  // A quiet period long enough that the 503 during the replay below cannot race its end on a loaded machine.
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('ops', ['--resync-grace', '5']);
  try {
    await d.waitLog('listening for zebra FPM');
    assert.equal((await get(httpPort, '/healthz')).status, 200);
    // fibmgr listens while it reads VPP's routes; ready once they are read (nothing to resync)
    await until('ready with VPP read', async () => (await get(httpPort, '/readyz')).status === 200);
    assert.equal((await get(httpPort, '/nope')).status, 404);

    // A zebra session: not ready until its replay has ended and VPP has everything.
    const want = expectedCounts('kernel-1k.json');
    let zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('the session to be seen', async () => parseMetrics((await get(httpPort, '/metrics')).body).get('fibmgr_fpm_sessions_accepted_total') === 1);
    const r1 = await get(httpPort, '/readyz');
    assert.equal(r1.status, 503);
    assert.match(r1.body, /resync/);
    await until('ready after the replay', async () => (await get(httpPort, '/readyz')).status === 200, 20_000);

    const src = simSource(sim, 'fibmgr');
    assert.ok(src !== undefined, 'fibmgr added its FIB source');
    const inSim = simRoutes(sim, src!).size;
    // what the simulator holds from fibmgr, per family and table, as /state should report it
    const byTable = new Map<string, { family: number; table: number; desired: number; installed: number }>();
    for (const k of simRoutes(sim, src!).keys()) {
      const [table, prefix] = k.split('|') as [string, string];
      const family = prefix.includes(':') ? 6 : 4;
      const row = byTable.get(`${family}|${table}`) ?? { family, table: Number(table), desired: 0, installed: 0 };
      row.desired++;
      row.installed++;
      byTable.set(`${family}|${table}`, row);
    }
    const perTable = [...byTable.values()].sort((a, b) => a.family - b.family || a.table - b.table);
    assert.ok(inSim > 900, `routes in the simulator: ${inSim}`);

    const m = (await get(httpPort, '/metrics'));
    assert.match(m.type, /text\/plain/);
    const mm = parseMetrics(m.body);
    assert.equal(mm.get('fibmgr_fpm_session_up'), 1);
    assert.equal(mm.get('fibmgr_fpm_events_total{kind="route",op="add"}'), want.routeAdd);
    assert.equal(mm.get('fibmgr_fpm_events_total{kind="route",op="del"}'), want.routeDel);
    assert.equal(mm.get('fibmgr_fpm_events_total{kind="nexthop-group",op="add"}'), want.nhgAdd);
    assert.ok(mm.get('fibmgr_fpm_frames_total')! >= want.routeAdd);
    assert.equal(mm.get('fibmgr_fpm_decode_errors_total'), 0);
    assert.equal(sum(mm, 'fibmgr_routes_desired{'), inSim);
    assert.equal(sum(mm, 'fibmgr_routes_installed{'), inSim);
    for (const t of perTable) assert.equal(mm.get(`fibmgr_routes_installed{family="ipv${t.family}",table="${t.table}"}`), t.installed);
    assert.equal(mm.get('fibmgr_backlog'), 0);
    assert.equal(mm.get('fibmgr_resyncs_total'), 1);
    assert.equal(mm.get('fibmgr_resync_duration_seconds_count'), 1);
    // every route write of the replay, counted: the routes held, and the stream's 11.0.5.0/24 (added
    // near its start, removed at its end) written and removed once the add went out before the
    // delete was decoded (a read is decoded a few pieces a turn, the writer runs in between)
    const firstWrites = mm.get('fibmgr_resync_writes_total')!;
    assert.equal(firstWrites, sim.count('ip_route_add_del_v2'));
    assert.ok(firstWrites === inSim || firstWrites === inSim + 2, `${firstWrites} writes for ${inSim} routes`);
    const okWrites = mm.get('fibmgr_vpp_requests_total{message="ip_route_add_del_v2",result="ok"}');
    assert.equal(okWrites, sim.count('ip_route_add_del_v2'));
    assert.equal(mm.get('fibmgr_vpp_request_duration_seconds_count{message="ip_route_add_del_v2"}'), okWrites);
    assert.equal(mm.get('fibmgr_vpp_request_duration_seconds_bucket{le="+Inf",message="ip_route_add_del_v2"}'), okWrites);
    assert.equal(mm.get('fibmgr_vpp_connected'), 1);
    assert.equal(mm.get('fibmgr_vpp_reconnects_total'), 0);
    // (11.0.5.0/24's add and delete, when both went out: one replace and one remove more)
    const addedAndRemoved = (firstWrites - inSim) / 2;
    assert.equal(mm.get('fibmgr_route_writes_total{op="replace"}'), inSim + addedAndRemoved);
    assert.equal(mm.get('fibmgr_route_writes_total{op="remove"}') ?? 0, addedAndRemoved);
    // zebra's interface subnets are connected routes: counted, not installed
    assert.ok(mm.get('fibmgr_routes_skipped_total{reason="connected"}')! > 0);
    assert.ok(mm.has('process_resident_memory_bytes'), 'Node process metrics are there');
    // a dplane_fpm_nl session is told what VPP holds: every installed route, and the connected ones left to VPP
    const told = mm.get('fibmgr_route_notifications_total{kind="offload"}')!;
    assert.ok(told >= inSim + mm.get('fibmgr_routes_skipped_total{reason="connected"}')!, `offload notifications: ${told}`);
    assert.equal(mm.get('fibmgr_route_notifications_total{kind="offload-failed"}'), 0);

    const st = JSON.parse((await get(httpPort, '/state')).body);
    assert.equal(st.readiness.ready, true);
    assert.equal(st.fpm.state, 'up');
    assert.equal(st.fpm.events.routeAdd, want.routeAdd);
    assert.equal(st.vpp.connected, true);
    assert.match(st.vpp.ownership, /FIB source fibmgr/);
    assert.deepEqual(st.tables, perTable);
    assert.equal(st.sync.backlog, 0);
    assert.equal(st.sync.lastResync.writes, firstWrites);
    assert.deepEqual(st.sync.counters.notified, { offload: told, failed: 0 });

    const status = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'status', '--metrics-addr', `127.0.0.1:${httpPort}`], { cwd: REPO, encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /: ready/);
    assert.match(status.stdout, new RegExp(`${inSim.toLocaleString('en-US')} desired, ${inSim.toLocaleString('en-US')} installed`));
    assert.match(status.stdout, /ipv4\s+0\s+[\d,]+\s+[\d,]+/);
    assert.match(status.stdout, new RegExp(`zebra told: ${told.toLocaleString('en-US')} routes offloaded, 0 offload failed`));

    // zebra reconnects and replays the same table: a resync with no writes.
    zebra.destroy();
    zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('the second resync to end', async () => parseMetrics((await get(httpPort, '/metrics')).body).get('fibmgr_resyncs_total') === 2
      && (await get(httpPort, '/readyz')).status === 200);
    const mm2 = parseMetrics((await get(httpPort, '/metrics')).body);
    // nothing VPP holds is written again; only the replay's own 11.0.5.0/24, added and removed within it, may be
    const again = mm2.get('fibmgr_resync_writes_total')! - firstWrites;
    assert.ok(again === 0 || again === 2, `the unchanged replay wrote ${again} routes`);
    assert.equal(mm2.get('fibmgr_resync_duration_seconds_count'), 2);
    assert.equal(mm2.get('fibmgr_fpm_sessions_accepted_total'), 2);

    // VPP goes away: not ready, with the reason; it comes back empty: replayed, ready again.
    await sim.stop();
    sim.restartEmpty();
    await until('not ready without VPP', async () => {
      const r = await get(httpPort, '/readyz');
      return r.status === 503 && /VPP is not connected/.test(r.body);
    });
    const down = parseMetrics((await get(httpPort, '/metrics')).body);
    assert.equal(down.get('fibmgr_vpp_connected'), 0);
    const notReady = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'status', '--metrics-addr', `127.0.0.1:${httpPort}`], { cwd: REPO, encoding: 'utf8' });
    assert.equal(notReady.status, 3);
    assert.match(notReady.stdout, /NOT READY \(VPP is not connected\)/);
    await sim.start();
    await until('ready after the VPP replay', async () => (await get(httpPort, '/readyz')).status === 200, 30_000);
    const srcAfter = simSource(sim, 'fibmgr')!;
    assert.equal(simRoutes(sim, srcAfter).size, inSim, 'everything was replayed into the restarted VPP');
    const up = parseMetrics((await get(httpPort, '/metrics')).body);
    assert.equal(up.get('fibmgr_vpp_connected'), 1);
    assert.equal(up.get('fibmgr_vpp_reconnects_total'), 1);
    assert.equal(sum(up, 'fibmgr_routes_installed{'), inSim);
    assert.ok((up.get('fibmgr_vpp_requests_total{message="ip_route_add_del_v2",result="ok"}') ?? 0) >= okWrites! + inSim);
    zebra.destroy();
  } finally {
    assert.equal(await d.stop(), 0);
    await sim.stop();
  }
});

test('fibmgr status says clearly when nothing answers', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'status', '--metrics-addr', '127.0.0.1:1'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot reach fibmgr at 127\.0\.0\.1:1/);
});
