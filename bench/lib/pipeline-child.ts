// A freshly started fibmgr pipeline in its own process (as after `systemctl restart fibmgr`),
// for bench:sync's restart phase: it connects to the simulator, which holds a full table of its
// FIB source, listens for zebra while it adopts those routes, and reports over IPC when it
// listens ({listening}), when VPP's routes are adopted ({adopted}) and when the resync after
// zebra's replay is done ({done}), with its peak RSS over its own base.
import { connectPipeline, peakRss } from './pipeline.js';

const t0 = performance.now();
const sockPath = process.argv[2]!;
const graceMs = Number(process.argv[3] ?? 1000);
const rssBase = process.memoryUsage().rss;
const pipeline = await connectPipeline({
  socketPath: sockPath, resyncGraceMs: graceMs, window: Number(process.env.SYNC_BENCH_WINDOW ?? 1024),
  notify: (process.env.SYNC_BENCH_NOTIFY ?? 'auto') as 'auto' | 'on' | 'off', logLevel: process.env.SYNC_BENCH_LOG ?? 'warn', auditClient: false,
});
const { rec, server } = pipeline;
const started = rec.start();
const { port: fpmPort } = await server.listen();
process.send!({ listening: (performance.now() - t0) / 1000, port: fpmPort });
void started.then(() => process.send!({ adopted: (performance.now() - t0) / 1000, routes: rec.state().installed }));

process.on('message', (m: any) => {
  if (m === 'wait-done') {
    const poll = setInterval(() => {
      const s = rec.state();
      if (s.lastResync && !s.resyncing && s.vppReady && s.backlog === 0) {
        clearInterval(poll);
        process.send!({ done: (performance.now() - t0) / 1000, lastResync: s.lastResync, peakRss: peakRss(), rssBase, installed: s.installed });
      }
    }, 20);
  }
  if (m === 'exit') {
    void pipeline.stop().then(() => process.exit(0));
  }
});
