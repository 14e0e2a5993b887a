// Real zebra → fibmgr → a real VPP, when things go wrong: VPP frozen (SIGSTOP) for 15 s or more (until fibmgr, its --vpp-timeout 15, resets its session) and killed
// (SIGKILL, then started again empty) while fibmgr's writes are in flight; fibmgr restarted over
// 100k routes it adopts without one write (VPP's API trace); a route removed and a foreign one added
// behind its back, found by `fibmgr audit` and repaired by `audit --repair`; a route of VPP's CLI on
// a prefix fibmgr also programs, left alone; `fibmgr show route` telling what VPP answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRealVpp, type RealVpp } from '../helpers/real-vpp.js';
import { cliFibEntry, countOf, openVpp, routesOf, sourceId } from '../helpers/vpp-fib.js';
import { traceFromNow, tracedRouteWrites } from '../helpers/vpp-api-trace.js';
import { startLab, labUnavailable, skipLive, FRRS, type Lab } from '../helpers/zebra-lab.js';
import { REPO, startFibmgr, type FibmgrChild } from '../helpers/fibmgr-child.js';
import { ip_route_add_del_v2 } from 'vpp-binapi-ts/gen';
import type { VppClient } from 'vpp-binapi-ts';

// Debian 12's FRR 8.4: its zebra forwards kernel routes' adds and deletes over FPM (the 100k routes
// here are the namespace's kernel routes); 10.3's forwards a kernel route only while a route of its
// own shares the next hops, and never its delete (seen here). zebra-routes runs 8.4 and 10.3 both.
const FRR = FRRS[0];
const OPS = '127.0.0.1:9469'; // inside the lab's namespace
const N = 100_000;
const FIRST = 10_000;
const STATICS = ['conf t', 'ip route 8.8.8.8/32 10.0.2.2', 'ip route 8.8.8.8/32 10.0.2.3', 'ip route 192.0.2.0/24 blackhole'];
// next hops of its own: FRR 10.3's zebra did not forward a kernel route whose next hops equal a
// static's but for their weights
const WEIGHTED = 'ip route add 20.0.0.0/24 nexthop via 10.0.2.4 weight 3 nexthop via 10.0.2.5 weight 1';
const BASE = 3; // routes besides the kernel's host routes
/** How long VPP stays frozen at least (the 15 s): fibmgr's --vpp-timeout here, after which it resets its session. */
const FREEZE_MS = 15_000;
/** Host routes withdrawn while VPP is frozen, [from, to): written into the frozen VPP's socket just before. */
const WITHDRAWN = [FIRST + 28_000, FIRST + 29_000] as const;

/** Host routes 21.0.0.0 + i for i in [from, to), as an `ip -batch` file in the lab. */
function hostRoutes(lab: Lab, name: string, op: 'add' | 'del', from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) lines.push(`route ${op} 21.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 via 10.0.2.2`);
  const file = join(lab.dir, `${name}.batch`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** "0|21.a.b.c/32" names a host route of WITHDRAWN. */
function inWithdrawn(key: string): boolean {
  const m = /^0\|21\.(\d+)\.(\d+)\.(\d+)\/32$/.exec(key);
  if (!m) return false;
  const i = (Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3]);
  return i >= WITHDRAWN[0] && i < WITHDRAWN[1];
}

/** Route deletes fibmgr has decoded from zebra (its /state, read inside the lab's namespace). */
function routeDeletes(lab: Lab): number {
  const text = lab.exec(`'${process.execPath}' -e "fetch('http://${OPS}/state', { signal: AbortSignal.timeout(10000) }).then((r) => r.text()).then((t) => process.stdout.write(t))"`);
  return Number(JSON.parse(text).fpm.events.routeDel);
}

/** `fibmgr ARGS` run in the lab's namespace against the daemon there (never blocking this process). */
function fibmgrCli(lab: Lab, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', lab.ns, process.execPath, '--import', 'tsx', join(REPO, 'src', 'cli.ts'), ...args, '--metrics-addr', OPS],
      { cwd: REPO, encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });
}

/** How many routes fibmgr's FIB source holds in VPP. */
async function ours(c: VppClient): Promise<number> {
  const src = await sourceId(c, 'fibmgr');
  return src === undefined ? 0 : countOf(c, src);
}

/** One route in fibmgr's FIB source written by the test itself: what a stray client or operator would do. */
async function behindItsBack(c: VppClient, isAdd: boolean, prefix: string): Promise<void> {
  const src = await sourceId(c, 'fibmgr');
  const paths = isAdd ? [{ sw_if_index: 0xffffffff, type: 2 /* drop */, proto: 0, weight: 1 }] : [];
  await c.request(ip_route_add_del_v2, { is_add: isAdd, route: { table_id: 0, prefix, src, n_paths: paths.length, paths } });
}

/**
 * Polls `cond` every `everyMs` until it holds. A dump of 100k routes keeps VPP's main thread busy:
 * the polls that dump are spaced a second apart (they would slow the very writes they wait for).
 */
async function poll(what: string, cond: () => Promise<boolean>, ms: number, detail: () => unknown = () => '', everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(await detail())}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function scenario(t: { diagnostic(msg: string): void }, vpp: RealVpp): Promise<void> {
  let lab: Lab | undefined;
  const children: FibmgrChild[] = [];
  let c = await openVpp(vpp.apiSock);
  // --vpp-timeout 15: the freeze below lasts until fibmgr gives up on the frozen VPP, which is then
  // the 15 s at least (its session reset needs requests written after the freeze to time out)
  const args = ['--vpp-sock', vpp.apiSock, '--vpp-timeout', String(FREEZE_MS / 1000), '--resync-grace', '1', '--audit-interval', '0', '--metrics-addr', OPS, '--log-level', 'info'];
  let t0 = Date.now();
  const lap = (what: string) => { t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`); t0 = Date.now(); };
  try {
    lab = await startLab({ module: 'dplane_fpm_nl', fpmPort: 2620, root: FRR.root });
    const l = lab;
    // VPP's CLI holds 8.8.8.8/32 before fibmgr writes it
    await vpp.cli('ip route add 8.8.8.8/32 via 10.9.9.9');
    let fib = await startFibmgr(l, args, { dryRun: false });
    children.push(fib);
    await fib.waitFor('zebra to connect and VPP to be read', () => fib.sessions().length > 0 && fib.lines.some((x) => x.msg === 'VPP ready: adopted our routes'));
    l.vtysh(...STATICS);
    l.exec(WEIGHTED);

    // the first 10k routes in; then VPP freezes while zebra sends the other 90k, until fibmgr's
    // writes time out (15 s) and it resets its session; zebra then withdraws routes whose adds sit
    // unread in VPP's side of the old socket (near the end of the window written into it), which
    // VPP applies once it thaws: fibmgr's next session must read VPP only after that, or those
    // routes stay in VPP. VPP thaws once that next session waits.
    l.exec(`ip -batch ${hostRoutes(l, 'first', 'add', 0, FIRST)}`);
    await poll('the first routes in VPP', async () => (await ours(c)) === BASE + FIRST, 60_000, () => ours(c), 1000);
    lap(`${FIRST} routes in`);
    vpp.kill('SIGSTOP');
    const frozenAt = Date.now();
    l.exec(`ip -batch ${hostRoutes(l, 'rest', 'add', FIRST, N)}`);
    const reset = fib.lines.length;
    await fib.waitFor('fibmgr to reset its session with the frozen VPP', () => fib.lines.slice(reset).some((x) => x.msg === 'vpp stopped answering: resetting the session'), 60_000);
    const sendBuffer = fib.lines.find((x) => x.msg === 'vpp socket: send buffer set');
    assert.ok(Number(sendBuffer?.bytes) >= 32_768 * 390, `the frozen socket holds a default window of writes: ${JSON.stringify(sendBuffer)}`);
    const deletesBefore = routeDeletes(l);
    l.exec(`ip -batch ${hostRoutes(l, 'withdrawn', 'del', WITHDRAWN[0], WITHDRAWN[1])}`);
    await poll('zebra\'s withdrawals to reach fibmgr while VPP is frozen', async () => routeDeletes(l) - deletesBefore >= WITHDRAWN[1] - WITHDRAWN[0], 60_000, () => routeDeletes(l) - deletesBefore, 500);
    await fib.waitFor('fibmgr\'s next session to wait for VPP to read the old one', () => fib.lines.slice(reset).some((x) => x.msg === 'vpp session waits for VPP to read the dropped one to its goodbye'), 60_000);
    const frozenMs = Date.now() - frozenAt;
    assert.ok(frozenMs >= FREEZE_MS, `VPP frozen ${frozenMs} ms, at least the issue's ${FREEZE_MS}`);
    vpp.kill('SIGCONT');
    await c.close(); // VPP may have dropped this idle client meanwhile
    c = await openVpp(vpp.apiSock);
    const withdrawn = WITHDRAWN[1] - WITHDRAWN[0];
    await poll('every route in VPP after the freeze, the withdrawn ones gone', async () => (await ours(c)) === BASE + N - withdrawn, 120_000, () => ours(c), 1000);
    const back = [...(await routesOf(c, (await sourceId(c, 'fibmgr'))!)).keys()].filter((k) => k.startsWith('0|21.') && inWithdrawn(k));
    assert.deepEqual(back, [], 'routes zebra withdrew while VPP was frozen (their adds unread in the old session) are not in VPP');
    assert.ok(fib.lines.slice(reset).some((x) => x.msg === 'vpp session waits for VPP to read the dropped one to its goodbye'), 'the next session waited for VPP to read the old one');
    lap(`frozen ${(frozenMs / 1000).toFixed(1)} s while the rest came and ${withdrawn} were withdrawn: VPP holds zebra's table`);
    t.diagnostic(`while VPP was frozen fibmgr logged: ${[...new Set(fib.lines.filter((x) => Number(x.level) >= 40).map((x) => x.msg))].join(' | ')}`);

    // VPP dies (zebra deletes routes meanwhile) and comes back empty; fibmgr's replay into it is
    // killed as it starts; the VPP after that gets everything, the deletes honoured
    const BACK = 'VPP back: diffing zebra\'s table against VPP\'s';
    vpp.kill('SIGKILL');
    await c.close();
    l.exec(`ip -batch ${hostRoutes(l, 'gone', 'del', 0, 1000)}`);
    l.vtysh('conf t', 'no ip route 192.0.2.0/24 blackhole');
    const seen = fib.lines.length;
    await vpp.restart();
    await fib.waitFor('fibmgr\'s replay into the restarted VPP to start', () => fib.lines.slice(seen).some((x) => x.msg === BACK), 60_000);
    vpp.kill('SIGKILL');
    t.diagnostic(`killed mid-replay: ${fib.lines.slice(seen).find((x) => x.msg === BACK)!.toWrite} routes to write`);
    await vpp.restart();
    c = await openVpp(vpp.apiSock);
    await poll('the replay into the VPP started again', async () => (await ours(c)) === BASE - 1 + N - 1000 - (WITHDRAWN[1] - WITHDRAWN[0]), 120_000, () => ours(c), 1000);
    lap('killed, restarted, killed mid-replay, restarted, replayed');
    const entry = (prefix: string) => cliFibEntry(vpp.cli.bind(vpp), prefix);
    assert.deepEqual(await entry('21.0.0.0/32'), {}, 'a route deleted while VPP was frozen stays deleted');
    assert.deepEqual(await entry('192.0.2.0/24'), {});
    assert.deepEqual(await entry('21.0.3.232/32'), { fibmgr: ['10.0.2.2 w1'] });
    assert.deepEqual(await entry('20.0.0.0/24'), { fibmgr: ['10.0.2.4 w3', '10.0.2.5 w1'] });

    // the CLI's route on the prefix fibmgr also programs: fibmgr's changes leave it alone
    await vpp.cli('ip route add 8.8.8.8/32 via 10.9.9.9');
    l.vtysh('conf t', 'no ip route 8.8.8.8/32 10.0.2.3');
    const changed = JSON.stringify({ fibmgr: ['10.0.2.2 w1'], CLI: ['10.9.9.9 w1'] });
    await poll('the change of 8.8.8.8/32', async () => JSON.stringify(await entry('8.8.8.8/32')) === changed, 20_000, () => entry('8.8.8.8/32'));

    // fibmgr restarts over 100k routes: adopts them all, and VPP receives no route write at all —
    // so no route was ever missing
    await traceFromNow(vpp.cli.bind(vpp));
    const before = await ours(c);
    assert.equal(await fib.stop(), 0);
    fib = await startFibmgr(l, args, { dryRun: false });
    children.push(fib);
    await fib.waitFor('VPP read', () => fib.lines.some((x) => x.msg === 'VPP ready: adopted our routes'), 60_000);
    assert.equal(fib.lines.find((x) => x.msg === 'VPP ready: adopted our routes')!.installed, before, 'every route of fibmgr\'s source read back from VPP');
    await fib.waitFor('zebra to reconnect', () => fib.sessions().length > 0, 30_000);
    await fib.waitFor('the resync to end', () => fib.lines.some((x) => x.msg === 'resync done'), 60_000);
    assert.deepEqual(await tracedRouteWrites(vpp.cli.bind(vpp)), [], 'a restart over an unchanged table writes nothing');
    assert.equal(await ours(c), before);
    lap(`fibmgr restarted over ${before} routes`);

    // behind fibmgr's back: one of its routes removed, a foreign one added to its source
    await behindItsBack(c, false, '21.0.39.16/32');
    await behindItsBack(c, true, '198.18.99.0/24');
    const repair = await fibmgrCli(l, 'audit', '--repair', '--ops-socket', fib.opsSocket);
    assert.equal(repair.status, 1, `the audit found drift: ${repair.stdout}${repair.stderr}`);
    assert.match(repair.stdout, /1 missing in VPP, 1 extra in VPP, 0 with different paths; 2 repaired/, repair.stdout);
    assert.match(repair.stdout, /missing +ipv4 table 0 21\.0\.39\.16\/32/);
    assert.match(repair.stdout, /extra +ipv4 table 0 198\.18\.99\.0\/24/);
    await poll('the repair in VPP', async () => JSON.stringify(await entry('21.0.39.16/32')) === JSON.stringify({ fibmgr: ['10.0.2.2 w1'] }) && JSON.stringify(await entry('198.18.99.0/24')) === '{}', 20_000);
    assert.equal(await ours(c), before);
    assert.equal(JSON.stringify(await entry('8.8.8.8/32')), changed, 'the audit leaves the CLI\'s route alone');
    lap('audit, repair');

    // show route: fibmgr's view and VPP's answer
    const shown = await fibmgrCli(l, 'show', 'route', '20.0.0.0/24');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /^vpp: .*10\.0\.2\.4.*10\.0\.2\.5.*fibmgr's\)$/m, shown.stdout);
    assert.match(shown.stdout, /state: +in sync/, shown.stdout);
    // zebra drops 8.8.8.8/32: fibmgr's path goes, the CLI's stays, and show route says whose VPP's answer is
    l.vtysh('conf t', 'no ip route 8.8.8.8/32 10.0.2.2');
    await poll('8.8.8.8/32 gone from fibmgr\'s source, the CLI\'s left', async () => JSON.stringify(await entry('8.8.8.8/32')) === JSON.stringify({ CLI: ['10.9.9.9 w1'] }), 20_000, () => entry('8.8.8.8/32'));
    const cliOnly = await fibmgrCli(l, 'show', 'route', '8.8.8.8/32');
    assert.match(cliOnly.stdout, /^vpp: .*10\.9\.9\.9.*not fibmgr's\)$/m, cliOnly.stdout);
    lap('show route');
  } finally {
    if (process.env.DBG) writeFileSync(process.env.DBG, children.map((f) => f.lines.map((x) => JSON.stringify(x)).join('\n')).join('\n=====\n'));
    for (const f of children) await f.stop().catch(() => undefined);
    await lab?.stop();
    await c.close();
  }
}

test('real VPP, real zebra: VPP frozen and killed mid-replay, fibmgr restarted over 100k routes, audit --repair, a CLI route, show route', { timeout: 400_000 }, async (t) => {
  const why = labUnavailable(FRR.root);
  if (why) { skipLive(t, why); return; }
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  await scenario(t, vpp);
});
