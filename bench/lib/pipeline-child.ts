// A freshly started fibmgr pipeline in its own process (as after `systemctl restart fibmgr`),
// for bench:sync's restart phase: it connects to the simulator, which holds a full table of its
// FIB source, listens for zebra while it adopts those routes, and reports over IPC when it
// listens ({listening}), when VPP's routes are adopted ({adopted}) and when the resync after
// zebra's replay is done ({done}), with its peak RSS over its own base.
import { createLogger } from '../../src/log.js';
import { FpmServer } from '../../src/fpm/server.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import { VppClient } from '../../src/vpp/index.js';
import { messages } from '../../src/vpp/gen/index.js';
import { Reconciler } from '../../src/sync/reconciler.js';
import { VppAdapter, REQUIRED, OPTIONAL } from '../../src/sync/vpp-adapter.js';

const t0 = performance.now();
const sockPath = process.argv[2]!;
const graceMs = Number(process.argv[3] ?? 1000);
const rssBase = process.memoryUsage().rss;
const log = createLogger(process.env.SYNC_BENCH_LOG ?? 'warn');
const client = new VppClient({
  socketPath: sockPath, messages: messages as any,
  required: REQUIRED.map((n) => (messages as any)[n]), optional: OPTIONAL.map((n) => (messages as any)[n]).filter(Boolean),
  window: Number(process.env.SYNC_BENCH_WINDOW ?? 1024), reconnect: { minMs: 50, maxMs: 1000 }, logger: log,
});
await client.connect();
const port = new VppAdapter({ client, messages: messages as any, logger: log });
const rec = new Reconciler(port, { tableMap: new Map(), installConnected: false, resyncGraceMs: graceMs, maxBacklog: 200_000, logger: log });
const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder({ weights: 'auto' }), sink: rec, logger: log, notify: (process.env.SYNC_BENCH_NOTIFY ?? 'auto') as 'auto' | 'on' | 'off' });
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
        process.send!({ done: (performance.now() - t0) / 1000, lastResync: s.lastResync, peakRss: process.resourceUsage().maxRSS * 1024, rssBase, installed: s.installed });
      }
    }, 20);
  }
  if (m === 'exit') {
    void rec.stop({ flush: false }).then(() => server.close()).then(() => client.close()).then(() => process.exit(0));
  }
});
