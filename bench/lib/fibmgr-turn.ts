// bench:real's fibmgr for one turn against the raw client, in a process of its own: as the daemon
// runs (its own process, warmed up, then zebra's replay) and as the raw client's passes do (a
// process forked right before its pass). In the bench's process, fibmgr shared its heap, its
// compiled code and its event loop with the bench's own work (dumps of VPP, /proc readings, the
// earlier turns' fibmgrs and the code V8 compiled for them): not what a daemon is run with.
// Forked with forkFibmgr (the fibmgr command's node flags). Arg: JSON {opts: PipelineOptions, warmUpRoutes, warmUpPasses, total, nearEnd}. IPC: {listening:
// port} once warmed up, connected and listening for zebra; {done: {s, reads, short}} once its
// first sync has converged (s: from zebra's FPM session starting to the last route acknowledged);
// on 'stop' it stops (VPP keeps the routes) and exits; {problem} and exit status 1 when it cannot.
// As in the daemon (no --expose-gc), no GC is forced between the warm-up and zebra's session: the
// warm-up's garbage is collected during the sync, as the daemon's is.
import { listeningPipeline, syncConverged, until, warmUpAsDaemon, type PipelineOptions } from './pipeline.js';

interface TurnArgs { opts: PipelineOptions; warmUpRoutes: number; warmUpPasses: number; total: number; nearEnd: number }
const { opts, warmUpRoutes, warmUpPasses, total, nearEnd } = JSON.parse(process.argv[2]!) as TurnArgs;

const send = (m: unknown): void => {
  process.send!(m);
};
/** Says why, then exits once the message is on its way (an exit at once could drop it). */
const fail = (err: unknown): void => {
  process.send!({ problem: (err as Error).message ?? String(err) }, () => process.exit(1));
};
// the bench gone (crashed, or killed): nothing will tell this process to stop
process.on('disconnect', () => process.exit(1));
try {
  // the routes and passes the bench says (by default the daemon's), before this fibmgr's VPP session
  await warmUpAsDaemon(opts, warmUpRoutes, warmUpPasses);
  const { pipeline, port } = await listeningPipeline(opts);
  process.on('message', (m) => {
    if (m === 'stop') pipeline.stop().then(() => process.exit(0), fail);
  });
  send({ listening: port });
  const acked = (): number => pipeline.rec.state().counters.acked;
  const reads0 = pipeline.client.socketReads();
  // polled every 20 ms until near the end (the poll runs on fibmgr's own thread), then every 1 ms
  await until('fibmgr\'s first sync to near its end', () => acked() >= total - nearEnd, Infinity);
  await until('fibmgr\'s first sync', () => syncConverged(pipeline.rec, total), Infinity, 1);
  const endMs = Date.now();
  const since = pipeline.server.stats.session?.since;
  if (!since) throw new Error('fibmgr\'s FPM session ended before its first sync converged');
  send({ done: { s: (endMs - since.getTime()) / 1000, reads: pipeline.client.socketReads() - reads0, short: pipeline.sendBufferShort() } });
} catch (err) {
  fail(err);
}
