// End to end: a synthetic 1,000,000 IPv4 + 200,000 IPv6 FPM stream from a local sender (its own
// process, standing in for zebra) → fibmgr's pipeline in this process (FPM server, decoder,
// reconciler, VPP client) → the VPP simulator (its own process). Three phases: the first sync,
// an unchanged resync (the sender reconnects and replays the same table: zero route writes
// expected), and a VPP restart (the simulator restarts empty: everything is replayed).
// Run: npm run bench:sync   (SYNC_BENCH_V4 / SYNC_BENCH_V6 change the counts), or compiled:
// node dist/bench/sync.bench.js. The pipeline runs in this process, so node flags for it go on
// this command line (node --cpu-prof dist/bench/sync.bench.js); SYNC_BENCH_SIM_ARGS for the sim.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIM_MAIN } from 'vpp-binapi-ts/sim';
import { forkFibmgr, forkFile, forkSender, listeningPipeline, measure, peakRss, until } from './lib/pipeline.js';

const V4 = Number(process.env.SYNC_BENCH_V4 ?? 1_000_000);
const V6 = Number(process.env.SYNC_BENCH_V6 ?? 200_000);
const TOTAL = V4 + V6;
const GRACE_MS = Number(process.env.SYNC_BENCH_GRACE_MS ?? 1000);
/** Route notifications back to the sender (--offload-notify; the sender's stream is dplane_fpm_nl's: auto answers it). */
const NOTIFY = (process.env.SYNC_BENCH_NOTIFY ?? 'auto') as 'auto' | 'on' | 'off';
/** VPP client window: 1,024, the window bench:sync's numbers in the README were measured at (the daemon's default is now 32,768, sized for a real VPP: bench:real). */
const WINDOW = Number(process.env.SYNC_BENCH_WINDOW ?? 1024);

const sockPath = join(tmpdir(), `fibmgr-sync-bench-${process.pid}.sock`);
// SYNC_BENCH_SIM_ARGS: extra node flags for the simulator (e.g. --cpu-prof)
const sim = forkFile(SIM_MAIN, [sockPath], process.env.SYNC_BENCH_SIM_ARGS?.split(' ').filter(Boolean));

function ask<T>(child: ChildProcess, msg: unknown, match: (m: any) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: any) => {
      if (!match(m)) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    if (msg !== undefined) child.send(msg as any);
  });
}
const simOps = () => ask<{ ops: { add: number; del: number }; routes: number }>(sim, 'ops', (m) => m && typeof m === 'object' && 'ops' in m);
const notified = () => ask<{ notified: number }>(sender, 'notified', (m) => m && typeof m === 'object' && 'notified' in m).then((m) => m.notified);
const simUsage = () => ask<{ cpu: NodeJS.CpuUsage; rss: number }>(sim, 'usage', (m) => m && typeof m === 'object' && 'cpu' in m);

const [sender] = await Promise.all([forkSender(V4, V6), ask(sim, undefined, (m) => m === 'ready')]);

const rssBase = process.memoryUsage().rss;
const { pipeline, port: fpmPort } = await listeningPipeline({
  socketPath: sockPath, resyncGraceMs: GRACE_MS, window: WINDOW, notify: NOTIFY, logLevel: process.env.SYNC_BENCH_LOG ?? 'warn',
  auditClient: process.env.SYNC_BENCH_AUDIT_CONN !== 'main',
});
const { client, rec } = pipeline;

interface Row { phase: string; routes: number; seconds: number; 'routes/s': number; 'fibmgr CPU s': number; 'routes per fibmgr CPU s': number; 'route writes': number; 'route deletes': number; 'peak RSS MB': number; 'B/route (RSS growth)': number; 'sim CPU s': number; notifications: number }
const rows: Row[] = [];
async function phase(name: string, start: () => void, done: () => Promise<boolean>): Promise<void> {
  const before = (await simOps()).ops;
  const cpu0 = (await simUsage()).cpu;
  const n0 = await notified();
  const m = measure();
  start();
  await until(name, done);
  const s = m.seconds();
  // the notifications of this phase: wait (outside the clock) for the ones still on their way
  const want = NOTIFY === 'off' ? 0 : rec.state().counters.notified.offload + rec.state().counters.notified.failed;
  let sent = 0;
  await until('notifications', async () => (sent = await notified()) >= want, 60_000).catch(() => undefined);
  const ownS = m.cpuS();
  const after = (await simOps()).ops;
  const cpu1 = (await simUsage()).cpu;
  const writes = after.add - before.add + after.del - before.del;
  const peak = peakRss();
  rows.push({
    phase: name, routes: TOTAL, seconds: +s.toFixed(2), 'routes/s': Math.round(TOTAL / s),
    'fibmgr CPU s': +ownS.toFixed(2), 'routes per fibmgr CPU s': Math.round(TOTAL / ownS), 'route writes': writes,
    'route deletes': after.del - before.del, 'peak RSS MB': Math.round(peak / 1e6),
    'B/route (RSS growth)': Math.round((peak - rssBase) / TOTAL),
    'sim CPU s': +((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1e6).toFixed(2),
    notifications: sent - n0,
  });
}

const allInstalled = async () => (await simOps()).routes >= TOTAL;

await phase('first sync (connect + full table)', () => sender.send({ send: fpmPort }), async () => (await allInstalled()) && rec.state().backlog === 0);
await rec.idle();

// zebra reconnects and replays the same table: the time until the stale sweep is decided,
// which includes the quiet period that marks the end of the replay.
await phase(`unchanged resync (incl. ${GRACE_MS} ms grace)`, () => {
  sender.send('close');
  sender.send({ send: fpmPort });
}, async () => { await new Promise((r) => setTimeout(r, 200)); await rec.idle(); return true; });

await phase('VPP restart (replay everything)', () => sim.send('restart'), async () => (await allInstalled()) && rec.state().backlog === 0);
await rec.idle();

// An audit of the full table: VPP's routes of our source dumped (streamed) and compared.
const requests = () => [...client.requestStats()].reduce((a, [, st]) => a + st.count, 0);
const audits: Record<string, number | string>[] = [];
{
  const req0 = requests();
  const t0 = performance.now();
  const a = await rec.audit({ repair: true });
  audits.push({
    audit: 'full table, idle', seconds: +((performance.now() - t0) / 1000).toFixed(2), 'routes checked': a.checked, drift: a.missing + a.extra + a.different,
    'VPP requests': requests() - req0, 'VPP details read': a.checked, 'peak RSS MB': Math.round(peakRss() / 1e6),
  });
}
// The same replay into a restarted VPP with an audit asked for half way: it waits until the replay
// is written, so the replay should take as long as without it; the audit then repairs nothing.
{
  let audit: Promise<import('../src/sync/reconciler.js').AuditResult> | null = null;
  await phase('VPP restart with an audit under way', () => {
    sim.send('restart');
    // once half the table is back in VPP: the audit dumps those while the rest is written
    // fibmgr learns of the restart a moment after the simulator's: until it saw VPP go, its state
    // is the old session's (ready, everything installed) and must not arm the audit
    let lost = false;
    const start = setInterval(() => {
      if (!rec.state().vppReady || rec.state().installed < TOTAL) lost = true;
      if (lost && rec.state().vppReady && rec.state().installed >= TOTAL / 2) {
        clearInterval(start);
        audit = rec.audit({ repair: true });
      }
    }, 5);
    // fibmgr's own count: asking the simulator would wait behind the audit's dump it is serving
  }, async () => rec.state().installed >= TOTAL && rec.state().backlog === 0 && audit !== null);
  const a = await audit!;
  audits.push({ audit: 'asked for during the replay (incl. its wait)', seconds: +(a.durationMs / 1000).toFixed(2), 'routes checked': a.checked, drift: a.missing + a.extra + a.different, 'VPP requests': '', 'VPP details read': a.checked, 'peak RSS MB': Math.round(peakRss() / 1e6) });
  await rec.idle();
}

// fibmgr restarts under the full table: a fresh pipeline process adopts the 1.2M routes VPP
// holds from its source while it already listens for zebra, whose replay starts as soon as it
// listens (they overlap, as with a real restart).
await pipeline.stop();
sender.send('close');
const restart: Record<string, number | string> = {};
{
  const before = (await simOps()).ops;
  const child = forkFibmgr('lib/pipeline-child', [sockPath, String(GRACE_MS)], process.env.SYNC_BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? []);
  const listening = await ask<{ listening: number; port: number }>(child, undefined, (m) => m && 'listening' in m);
  sender.send({ send: listening.port });
  const adopted = ask<{ adopted: number; routes: number }>(child, undefined, (m) => m && 'adopted' in m);
  const done = await ask<{ done: number; peakRss: number; rssBase: number; installed: number; lastResync: { writes: number; swept: number } }>(child, 'wait-done', (m) => m && 'done' in m);
  const a = await adopted;
  const after = (await simOps()).ops;
  restart['seconds until listening'] = +listening.listening.toFixed(2);
  restart['seconds until VPP routes adopted'] = +a.adopted.toFixed(2);
  restart['routes adopted'] = a.routes;
  // zebra's replay starts as soon as the child listens
  restart[`seconds from replay start to resync done (incl. ${GRACE_MS} ms grace)`] = +(done.done - listening.listening).toFixed(2);
  restart['route writes'] = after.add - before.add + after.del - before.del;
  restart['peak RSS MB'] = Math.round(done.peakRss / 1e6);
  restart['B/route (RSS growth)'] = Math.round((done.peakRss - done.rssBase) / TOTAL);
  child.send('exit');
  await once(child, 'exit');
}

console.table(rows);
console.log('audits (drift must be 0: nothing repaired wrongly):');
console.table(audits);
console.log('fibmgr restart with the full table in VPP (targets: listening ≤ 2 s, resync done ≤ 10 s after the replay begins, 0 writes, ≤ 300 B/route):');
console.table([restart]);
console.log(`route notifications: ${NOTIFY} (SYNC_BENCH_NOTIFY=auto|on|off)`);
console.log(`routes: ${V4} IPv4 + ${V6} IPv6; RSS before the pipeline ${Math.round(rssBase / 1e6)} MB; targets: ≥300,000 routes/s, ≤300 B/route (≤360 MB at 1.2M), unchanged resync 0 writes`);
sender.send('exit');
sim.send('stop');
await once(sim, 'exit');
process.exit(0);
