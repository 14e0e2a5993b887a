// The daemon: zebra's FPM session → reconciler → VPP (or, with --dry-run, a port that logs what
// it would send), until SIGTERM/SIGINT. Every way out ends fibmgr's VPP sessions first (exit.ts).
import type { Config } from './config/options.js';
import { Exit } from './exit.js';
import { reapVppLeftovers } from './vpp-leftovers.js';
import { connectVpp } from './vpp-connect.js';
import { createLogger, type Logger } from './log.js';
import { FpmServer } from './fpm/server.js';
import { FpmRecorder } from './fpm/recorder.js';
import { PeerCheck } from './fpm/peer-check.js';
import { socketOwner } from './fpm/socket-owner.js';
import { Auditor } from './sync/audit/auditor.js';
import { Progress } from './ops/progress.js';
import { DryRunPort } from './sync/dry-run/dry-run-port.js';
import { DryRunSink } from './sync/dry-run/dry-run-sink.js';
import { teeSink } from './sync/tee-sink.js';
import { VppAdapter, sysIfindex } from './sync/vpp/vpp-adapter.js';
import { parseInterfaceMap, parseTableMap, parsedList } from './config/lists.js';
import type { VppPort } from './sync/vpp/vpp-port.js';
import { parseListenAddr } from './config/options.js';
import { countingSink, newEventCounts } from './ops/event-counts.js';
import { VppLink } from './ops/vpp-link.js';
import { createMetrics } from './ops/metrics.js';
import { OpsServer } from './ops/http-server.js';
import { SystemdNotifier } from './ops/systemd-notify.js';
import { buildState } from './ops/state.js';
import { statusLine } from './cli/status.js';
import type { OpsSources } from './ops/sources.js';
import type { Reconciler as ReconcilerT } from './sync/reconciler.js';
import type { FpmServerStats } from './fpm/server.js';
import { OperatorSocketError, prepareOperatorSocket, restrictOperatorSocket } from './ops/operator-socket.js';
import { acquireInstanceLock, InstanceLockedError, type InstanceLock } from './ops/instance-lock.js';
import { WARM_UP_PASSES, warmUp } from './warm-up/warm-up.js';
import { auditClient, defs, fpmServer, routeClient, routeSync, vppClientOptions, warmPath } from './route-path.js';
import type { VppClient } from 'vpp-binapi-ts';

/**
 * The last resort: an exception nothing caught means state fibmgr can no longer trust. Log it
 * and exit non-zero — systemd restarts fibmgr, which adopts VPP's routes (no forwarding gap) —
 * rather than die with a stack trace on stderr or limp on. The VPP sessions still end with
 * their goodbye (`exit`, bounded even if that path is what broke).
 */
export function installLastResortGuard(log: Logger, exit = new Exit(log)): void {
  const die = (kind: string) => (err: unknown) => {
    log.fatal({ kind, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'unexpected exception: exiting so that the service manager restarts fibmgr');
    void exit.now(70);
  };
  process.on('uncaughtException', die('uncaughtException'));
  process.on('unhandledRejection', die('unhandledRejection'));
}

/**
 * How long a stop (SIGTERM, SIGINT) may take before fibmgr gives up on finishing its work and
 * exits (still saying goodbye to VPP): the writer's own wait for requests in flight is 30 s. The
 * service manager's stop timeout (deploy/: 45 s) is longer than this plus GOODBYE_DEADLINE_MS.
 */
export const STOP_BUDGET_MS = 35_000;

export async function runDaemon(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, 2, config.logFormat);
  const exit = new Exit(log);
  installLastResortGuard(log, exit);
  try {
    await run(config, log, exit);
  } catch (err) {
    log.fatal({ err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'fibmgr failed');
    await exit.now(1);
  }
}

/**
 * SIGTERM or SIGINT starts a stop; a second one (an impatient operator) ends it at once, still
 * with the VPP goodbyes — as does a stop that outlasts STOP_BUDGET_MS.
 */
function stopSignals(log: Logger, exit: Exit): { signal: Promise<string>; stopping: () => boolean; aborted: AbortSignal } {
  // aborted at the first signal: for what takes a signal (the warm-up) and what polls (stopping)
  const stop = new AbortController();
  let resolve!: (s: string) => void;
  const signal = new Promise<string>((r) => { resolve = r; });
  const on = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      stop.abort();
      setTimeout(() => {
        log.error({ budgetMs: STOP_BUDGET_MS }, 'stop took too long: ending the VPP sessions and exiting');
        void exit.now(1);
      }, STOP_BUDGET_MS).unref();
      resolve(sig);
      return;
    }
    log.warn({ signal: sig }, 'second signal: ending the VPP sessions and exiting now');
    void exit.now(1);
  };
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  return { signal, stopping: () => stop.signal.aborted, aborted: stop.signal };
}

/**
 * The warm-up (src/warm-up): the route path built as below (src/route-path.ts), on a private
 * simulator, after VPP's leftovers are reaped and before VPP's state is read or zebra let in.
 */
async function warmUpRoutePath(config: Config, tableMap: Map<number, number>, log: Logger, signal: AbortSignal): Promise<void> {
  // its pipeline's own lines (a session, its end mid-replay when the warm-up is over) are not news
  const quiet = log.child({ warmUp: true }, { level: log.levelVal > 50 ? log.level : 'error' });
  await warmUp({
    routes: config.warmUpRoutes,
    window: config.vppWindow,
    logger: log.child({ component: 'warm-up' }),
    signal,
    build: (socketPath, window) => warmPath(config, socketPath, window, tableMap, quiet),
  });
}

async function run(config: Config, log: Logger, exit: Exit): Promise<void> {
  const ifmap = parsedList(config.interfaceMap, parseInterfaceMap);
  const tableMap = parsedList(config.tableMap, parseTableMap);
  const { signal: stopSignal, stopping, aborted } = stopSignals(log, exit);

  // One fibmgr per VPP, decided before anything touches VPP (or listens): a second one exits here.
  let instanceLock: InstanceLock | null = null;
  if (!config.dryRun) {
    try {
      instanceLock = await acquireInstanceLock(config.vppSock);
    } catch (err) {
      const holder = err instanceof InstanceLockedError ? err.holder : undefined;
      log.fatal({ vppSock: config.vppSock, holder, err: (err as Error).message }, holder !== undefined ? 'cannot start: another fibmgr runs on this VPP' : 'cannot take the one-fibmgr-per-VPP lock');
      await exit.now(1);
    }
  }

  let client: VppClient | null = null;
  let port: VppPort;
  if (config.dryRun) {
    log.info({}, 'dry run: no VPP; every request that would be sent is logged');
    port = new DryRunPort(log, defs.ip_route_add_del_v2!, ifmap, sysIfindex, defs);
  } else {
    const clientOpts = vppClientOptions(config, config.vppSock, 'fibmgr');
    // the route stream's connection only: the audits' dumps need no queue of requests
    client = exit.track(routeClient(config, clientOpts, log.child({ component: 'vpp-client' })));
    // audits dump on a connection of their own (see VppAdapterOptions.auditClient)
    const audits = () => exit.track(auditClient(clientOpts, log.child({ component: 'vpp-audit-client' })));
    port = new VppAdapter({ client, messages: defs, interfaceMap: ifmap, logger: log, auditClient: audits });
  }
  const vppLink = new VppLink(client, config.dryRun ? null : config.vppSock);
  const events = newEventCounts();

  // The ops surface comes up first, so that /healthz and /readyz answer while VPP is awaited.
  let sync: ReconcilerT | null = null;
  let server: FpmServer | null = null;
  const sources: OpsSources = {
    startedAt: new Date(),
    fpm: { get stats(): FpmServerStats { return server ? server.stats : NO_FPM; } },
    events,
    sync: {
      state: () => sync!.state(),
      sweep: () => sync!.sweepNow(),
      audit: (o) => sync!.audit(o),
      showRoute: (prefix, table) => sync!.showRoute(prefix, table),
      showLabel: (label) => sync!.showLabel(label),
      perTable: () => sync!.perTable(),
    },
    vpp: vppLink,
  };
  const metrics = createMetrics(sources);
  sync = routeSync(config, port, tableMap, log, (r) => metrics.resyncDone(r));
  let ops: OpsServer | null = null;
  const listenAt = parseListenAddr(config.metricsAddr);
  if (listenAt) {
    ops = new OpsServer({ at: listenAt, actions: false, sources, metrics, logger: log });
    try {
      await ops.listen();
    } catch (err) {
      log.fatal({ metricsAddr: config.metricsAddr, err: (err as Error).message }, 'cannot listen for metrics and health (--metrics-addr; "off" disables it)');
      await exit.now(1);
    }
  }
  const operator = config.opsSocket === 'off' ? null : await startOperatorSocket(config.opsSocket, sources, metrics, log);
  const notifier = SystemdNotifier.fromEnv({ logger: log });
  /** The end of every stop: VPP's sessions end before the one-fibmgr-per-VPP lock goes. */
  const release = async (): Promise<void> => {
    await exit.endVppSessions();
    await ops?.close();
    await operator?.close();
    await instanceLock?.release();
  };

  if (client) {
    try {
      const retried = (err: Error, attempt: number, retryInMs: number) => log.warn({ vppSock: config.vppSock, err: err.message, attempt, retryInMs }, 'VPP not reachable yet');
      await Promise.race([connectVpp(client, stopping, retried), stopSignal.then(() => { throw new Error('stopped before VPP was reachable'); })]);
    } catch (err) {
      log.fatal({ vppSock: config.vppSock, err: (err as Error).message }, 'cannot use VPP');
      await exit.now(1);
    }
    // After the one-fibmgr-per-VPP lock (no other fibmgr lives), though the reap names no session.
    vppLink.leftoversReaped(await reapVppLeftovers(client, defs.cli_inband, log));
    if (config.warmUpRoutes > 0) {
      // up to its deadlines (20 s a pass) before READY: `systemctl status` says what fibmgr is doing
      await notifier?.status(`warming up: ${config.warmUpRoutes} synthetic routes through the route path, ${WARM_UP_PASSES} times, against a private simulator, before zebra is let in`);
      await warmUpRoutePath(config, tableMap, log, aborted);
      if (stopping()) {
        log.info({}, 'stopped during the warm-up: zebra was never let in');
        await release();
        await exit.now(0);
      }
    }
  }

  const peerCheck = new PeerCheck({ allow: config.fpmAllow, users: config.fpmUser });
  if (peerCheck.unknownUsers.length) log.warn({ fpmUser: peerCheck.unknownUsers }, 'no such user on this host: only root and the other --fpm-user entries may connect from here');
  // In a dry run every route event is logged too, beside the requests it leads to.
  server = fpmServer(config, countingSink(config.dryRun ? teeSink(sync, new DryRunSink(log)) : sync, events), log, {
    host: config.fpmHost,
    port: config.fpmPort,
    peerCheck,
    socketOwner: (inode) => socketOwner(inode),
    recorder: config.recordFpm === 'off' ? undefined : new FpmRecorder(config.recordFpm, log),
  });
  const progress = new Progress({ routesReceived: () => server?.stats.routesTotal ?? 0, sync: () => sync!.state() }, { logger: log, intervalMs: config.progressInterval * 1000 });
  progress.start();
  // zebra is let in while VPP's routes are still being read (its replay and the dump overlap), but
  // not before VPP's interface map is loaded: zebra's next hops are translated through it (a later
  // change of the map translates the routes it touches again).
  const started = sync.start();
  await Promise.race([sync.interfacesLoaded(), stopSignal]);
  try {
    await server.listen();
  } catch (err) {
    log.fatal({ fpmHost: config.fpmHost, fpmPort: config.fpmPort, err: (err as Error).message }, 'cannot listen for zebra\'s FPM connection');
    await exit.now(1);
  }
  await started;
  const auditor = new Auditor(sync, { intervalMs: config.auditInterval * 1000, logger: log });
  auditor.start();

  if (notifier) {
    await notifier.ready(statusLine(buildState(sources)));
    notifier.startWatchdog();
    const statusTimer = setInterval(() => void notifier.status(statusLine(buildState(sources))), 5_000);
    statusTimer.unref();
  }

  const signal = await stopSignal;
  log.info({ signal, flushOnExit: config.flushOnExit }, 'stopping: no new FPM sessions, finishing requests in flight');
  await notifier?.stopping(config.flushOnExit ? 'stopping: removing our routes from VPP' : 'stopping: VPP keeps its routes');
  auditor.stop();
  progress.stop();
  await server.close();
  await sync.stop({ flush: config.flushOnExit });
  await release();
  log.info({ fpm: server.stats, sync: sync.state() }, 'stopped');
  await exit.now(0);
}

/**
 * The operator's socket, for the actions that change VPP. One that cannot be made costs those
 * actions only (logged with the reason and the fix): forwarding goes on.
 */
async function startOperatorSocket(path: string, sources: OpsSources, metrics: ReturnType<typeof createMetrics>, log: Logger): Promise<OpsServer | null> {
  const server = new OpsServer({ at: { path }, actions: true, sources, metrics, logger: log });
  try {
    await prepareOperatorSocket(path);
    await server.listen();
    restrictOperatorSocket(path);
    return server;
  } catch (err) {
    await server.close().catch(() => undefined);
    const why = err instanceof OperatorSocketError ? err.message : `operator socket ${path}: ${(err as Error).message}`;
    log.error({ opsSocket: path, err: why }, 'no operator socket: fibmgr sweep and fibmgr audit --repair cannot reach this fibmgr (--ops-socket)');
    return null;
  }
}

const NO_FPM: FpmServerStats = { state: 'none', session: null, sessionsTotal: 0, sessionsFailed: 0, bytesTotal: 0, framesTotal: 0, routesTotal: 0, refused: {} };

