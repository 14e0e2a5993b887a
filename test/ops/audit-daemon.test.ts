// The audit through the daemon and the simulator: a route of fibmgr's source deleted behind its
// back and a foreign one added under its source are named by `fibmgr audit` (exit 1), repaired
// (`--repair`, and the periodic audit by itself), and the audit then exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO } from '../helpers/fibmgr-child.js';
import { get, parseMetrics, runCli, sendFpm, startSimDaemon, until } from '../helpers/daemon.js';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { makePath } from 'vpp-binapi-ts/sim';
import type { VppSim } from 'vpp-binapi-ts/sim';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');
const view = (sim: VppSim) => JSON.stringify([...simRoutes(sim, simSource(sim, 'fibmgr')!)].sort());
const cli = (httpPort: number, ...args: string[]) => runCli('audit', '--metrics-addr', `127.0.0.1:${httpPort}`, ...args);

/** Deletes one of fibmgr's routes and adds a foreign one under its source, as another API client could. */
function tamper(sim: VppSim): { gone: string; foreign: string } {
  const src = simSource(sim, 'fibmgr')!;
  const [gone] = [...simRoutes(sim, src).keys()].filter((k) => k.startsWith('0|11.')).sort();
  const prefix = gone!.split('|')[1]!;
  assert.ok(sim.fib.get(0, prefix)!.sources.delete(src));
  sim.fib.add(0, '198.18.0.0/15', [makePath({ swIfIndex: 1, nh: '192.0.2.77' })], src);
  return { gone: prefix, foreign: '198.18.0.0/15' };
}

test('fibmgr audit names drift (exit 1), --repair repairs it, then exit 0; status shows the last audit', { timeout: 90_000 }, async () => {
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('audit', ['--resync-grace', '1', '--audit-interval', '0']);
  try {
    await d.waitLog('listening for zebra FPM');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('ready after the replay', async () => (await get(httpPort, '/readyz')).status === 200, 30_000);
    const clean = await cli(httpPort);
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /VPP holds exactly what fibmgr installed/);
    const before = view(sim);
    const { gone, foreign } = tamper(sim);

    const found = await cli(httpPort);
    assert.equal(found.status, 1, found.stdout + found.stderr);
    assert.match(found.stdout, /1 missing in VPP, 1 extra in VPP, 0 with different paths/);
    assert.match(found.stdout, new RegExp(`missing\\s+ipv4 table 0 ${gone.replace(/\./g, '\\.')}`));
    assert.match(found.stdout, new RegExp(`extra\\s+ipv4 table 0 ${foreign.replace(/\./g, '\\.')}`));
    const json = await cli(httpPort, '--json');
    assert.equal(json.status, 1);
    const r = JSON.parse(json.stdout);
    assert.deepEqual(r.drift.map((x: { kind: string; prefix: string }) => `${x.kind} ${x.prefix}`).sort(), [`extra ${foreign}`, `missing ${gone}`]);
    assert.notEqual(view(sim), before, 'a plain audit repairs nothing');

    const fixed = await cli(httpPort, '--repair', '--ops-socket', d.opsSocket);
    assert.equal(fixed.status, 1, 'it found drift');
    assert.match(fixed.stdout, /2 repaired/);
    await until('VPP repaired', () => view(sim) === before, 20_000, () => view(sim));
    const after = await cli(httpPort);
    assert.equal(after.status, 0, after.stdout);
    const m = parseMetrics((await get(httpPort, '/metrics')).body);
    assert.equal(m.get('fibmgr_audit_runs_total'), 5);
    assert.equal(m.get('fibmgr_audit_drift_total{kind="missing"}'), 3, 'found by three audits');
    assert.equal(m.get('fibmgr_audit_drift_total{kind="extra"}'), 3);
    const status = await runCli('status', '--metrics-addr', `127.0.0.1:${httpPort}`);
    assert.match(status.stdout, /audit: {3}last at .*routes checked .* 0 missing, 0 extra, 0 different/);
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});

test('the periodic audit repairs drift by itself, and logs it', { timeout: 90_000 }, async () => {
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('audit-periodic', ['--resync-grace', '1', '--audit-interval', '1']);
  try {
    await d.waitLog('listening for zebra FPM');
    const zebra = await sendFpm(fpmPort, join(FIXTURES, 'kernel-1k.bin'));
    await until('ready after the replay', async () => (await get(httpPort, '/readyz')).status === 200, 30_000);
    await until('a clean periodic audit', () => d.lines.some((l) => l.msg === 'audit: VPP holds exactly what fibmgr installed'), 30_000);
    const before = view(sim);
    tamper(sim);
    await until('the periodic audit to repair VPP', () => view(sim) === before && d.lines.some((l) => /VPP differed from what fibmgr installed; repaired/.test(String(l.msg))), 30_000, () => view(sim));
    const line = d.lines.find((l) => /VPP differed/.test(String(l.msg)))!;
    assert.equal(line.missing, 1);
    assert.equal(line.extra, 1);
    assert.equal(line.repaired, 2);
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});

test('an audit asked for during a 100k-route replay finishes and repairs nothing wrongly', { timeout: 120_000 }, async () => {
  const { netlinkNhg } = await import('../../src/warm-up/stream.js');
  const { connect } = await import('node:net');
  const { sim, d, fpmPort, httpPort } = await startSimDaemon('audit-replay', ['--resync-grace', '1', '--audit-interval', '0']);
  try {
    await d.waitLog('listening for zebra FPM');
    await until('VPP ready', () => d.lines.some((l) => /VPP ready/.test(String(l.msg))), 20_000);
    const stream = netlinkNhg(100_000, 4);
    const zebra = connect(fpmPort, '127.0.0.1');
    await new Promise<void>((r) => zebra.once('connect', () => r()));
    zebra.on('data', () => undefined); // notifications come back
    zebra.write(stream);
    // as soon as the replay is under way
    await until('the replay to begin', () => sim.routeOps.add > 0, 30_000);
    const during = await cli(httpPort, '--json');
    const r = JSON.parse(during.stdout);
    assert.equal(r.ok, true, during.stdout);
    assert.deepEqual([r.missing, r.extra, r.different, r.repaired], [0, 0, 0, 0]);
    await until('all 100k routes in VPP', () => sim.fib.countBySource().get(simSource(sim, 'fibmgr')!) === 100_000, 60_000);
    const after = await cli(httpPort);
    assert.equal(after.status, 0, after.stdout);
    assert.match(after.stdout, /100,000 routes of fibmgr's source in VPP checked/);
    zebra.destroy();
  } finally {
    await d.stop();
    await sim.stop();
  }
});
