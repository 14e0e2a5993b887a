// The daemon: zebra's FPM session → reconciler → VPP (or, with --dry-run, a port that logs what
// it would send), until SIGTERM/SIGINT.
import { once } from 'node:events';
import type { Config } from './config/options.js';
import { createLogger, type Logger } from './log.js';
import { FpmServer } from './fpm/server.js';
import { FpmSessionDecoder } from './fpm/session-decoder.js';
import { PeerCheck } from './fpm/peer-check.js';
import { Reconciler } from './sync/reconciler.js';
import { Auditor } from './sync/auditor.js';
import { Progress } from './ops/progress.js';
import { DryRunPort } from './sync/dry-run-port.js';
import { DryRunSink } from './sync/dry-run-sink.js';
import { teeSink } from './sync/tee-sink.js';
import { OPTIONAL, REQUIRED, VppAdapter, sysIfindex } from './sync/vpp-adapter.js';
import { parseInterfaceMap, parseTableMap, parsedList } from './config/lists.js';
import type { VppPort } from './sync/vpp-port.js';
import { VppClient, VppCrcMismatchError, type MessageDef } from './vpp/index.js';
import { messages } from './vpp/gen/index.js';
import { parseListenAddr } from './config/options.js';
import { countingSink, newEventCounts } from './ops/event-counts.js';
import { VppLink } from './ops/vpp-link.js';
import { createMetrics } from './ops/metrics.js';
import { OpsServer } from './ops/http-server.js';
import { SystemdNotifier } from './ops/systemd-notify.js';
import type { OpsSources } from './ops/sources.js';
import type { Reconciler as ReconcilerT } from './sync/reconciler.js';
import type { FpmServerStats } from './fpm/server.js';
import { OperatorSocketError, prepareOperatorSocket, restrictOperatorSocket } from './ops/operator-socket.js';
import { acquireInstanceLock, InstanceLockedError, type InstanceLock } from './ops/instance-lock.js';

/** Connects to VPP, retrying with backoff while it is not there yet (fibmgr may start first). */
async function connectVpp(client: VppClient, config: Config, log: Logger, stopping: () => boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      return;
    } catch (err) {
      if (err instanceof VppCrcMismatchError) throw err;
      if (stopping()) throw err;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
      log.warn({ vppSock: config.vppSock, err: (err as Error).message, attempt: attempt + 1, retryInMs: delay }, 'VPP not reachable yet');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * The last resort: an exception nothing caught means state fibmgr can no longer trust. Log it
 * and exit non-zero — systemd restarts fibmgr, which adopts VPP's routes (no forwarding gap) —
 * rather than die with a stack trace on stderr or limp on.
 */
export function installLastResortGuard(log: Logger): void {
  const die = (kind: string) => (err: unknown) => {
    log.fatal({ kind, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'unexpected exception: exiting so that the service manager restarts fibmgr');
    log.flush(() => process.exit(70));
    setTimeout(() => process.exit(70), 1000).unref();
  };
  process.on('uncaughtException', die('uncaughtException'));
  process.on('unhandledRejection', die('unhandledRejection'));
}

export async function runDaemon(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, 2, config.logFormat);
  installLastResortGuard(log);
  const ifmap = parsedList(config.interfaceMap, parseInterfaceMap);
  const tableMap = parsedList(config.tableMap, parseTableMap);
  let stopping = false;
  const stopSignal = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]).then((s) => {
    stopping = true;
    return String(s[0] ?? '');
  });

  // One fibmgr per VPP, decided before anything touches VPP (or listens): a second one exits here.
  let instanceLock: InstanceLock | null = null;
  if (!config.dryRun) {
    try {
      instanceLock = await acquireInstanceLock(config.vppSock);
    } catch (err) {
      const holder = err instanceof InstanceLockedError ? err.holder : undefined;
      log.fatal({ vppSock: config.vppSock, holder, err: (err as Error).message }, holder !== undefined ? 'cannot start: another fibmgr runs on this VPP' : 'cannot take the one-fibmgr-per-VPP lock');
      await exitAfterFlush(log, 1);
    }
  }

  let client: VppClient | null = null;
  let port: VppPort;
  if (config.dryRun) {
    log.info({}, 'dry run: no VPP; every request that would be sent is logged');
    port = new DryRunPort(log, (messages as unknown as Record<string, MessageDef>).ip_route_add_del_v2!, ifmap, sysIfindex);
  } else {
    const defs = messages as unknown as Record<string, MessageDef>;
    const clientOpts = {
      socketPath: config.vppSock,
      messages: defs,
      required: REQUIRED.map((n) => defs[n]!),
      optional: OPTIONAL.map((n) => defs[n]).filter((d): d is MessageDef => !!d),
      timeoutMs: config.vppTimeout * 1000,
    };
    client = new VppClient({ ...clientOpts, window: config.vppWindow, logger: log.child({ component: 'vpp-client' }) });
    // audits dump on a connection of their own (see VppAdapterOptions.auditClient)
    const auditClient = () => new VppClient({ ...clientOpts, window: 16, reconnect: false, logger: log.child({ component: 'vpp-audit-client' }) });
    port = new VppAdapter({ client, messages: defs, interfaceMap: ifmap, logger: log, auditClient });
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
      perTable: () => sync!.perTable(),
    },
    vpp: vppLink,
  };
  const metrics = createMetrics(sources);
  sync = new Reconciler(port, {
    tableMap,
    installConnected: config.installConnected,
    resyncGraceMs: config.resyncGrace * 1000,
    staleTimeMs: config.staleTime * 1000,
    maxBacklog: config.maxBacklog,
    logger: log,
    onResyncDone: (r) => metrics.resyncDone(r),
  });
  let ops: OpsServer | null = null;
  const listenAt = parseListenAddr(config.metricsAddr);
  if (listenAt) {
    ops = new OpsServer({ at: listenAt, actions: false, sources, metrics, logger: log });
    try {
      await ops.listen();
    } catch (err) {
      log.fatal({ metricsAddr: config.metricsAddr, err: (err as Error).message }, 'cannot listen for metrics and health (--metrics-addr; "off" disables it)');
      await exitAfterFlush(log, 1);
    }
  }
  const operator = config.opsSocket === 'off' ? null : await startOperatorSocket(config.opsSocket, sources, metrics, log);
  const notifier = SystemdNotifier.fromEnv({ logger: log });

  if (client) {
    try {
      await Promise.race([connectVpp(client, config, log, () => stopping), stopSignal.then(() => { throw new Error('stopped before VPP was reachable'); })]);
    } catch (err) {
      log.fatal({ vppSock: config.vppSock, err: (err as Error).message }, 'cannot use VPP');
      await exitAfterFlush(log, 1);
    }
  }

  const peerCheck = new PeerCheck({ allow: config.fpmAllow, users: config.fpmUser });
  if (peerCheck.unknownUsers.length) log.warn({ fpmUser: peerCheck.unknownUsers }, 'no such user on this host: only root and the other --fpm-user entries may connect from here');
  server = new FpmServer({
    host: config.fpmHost,
    port: config.fpmPort,
    decoder: () => new FpmSessionDecoder({ weights: config.fpmWeights }),
    // In a dry run every route event is logged too, beside the requests it leads to.
    sink: countingSink(config.dryRun ? teeSink(sync, new DryRunSink(log)) : sync, events),
    logger: log,
    peerCheck,
    notify: config.offloadNotify,
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
    await exitAfterFlush(log, 1);
  }
  await started;
  const auditor = new Auditor(sync, { intervalMs: config.auditInterval * 1000, logger: log });
  auditor.start();

  if (notifier) {
    await notifier.ready(statusLine(sources));
    notifier.startWatchdog();
    const statusTimer = setInterval(() => void notifier.status(statusLine(sources)), 5_000);
    statusTimer.unref();
  }

  const signal = await stopSignal;
  log.info({ signal, flushOnExit: config.flushOnExit }, 'stopping: no new FPM sessions, finishing requests in flight');
  await notifier?.stopping(config.flushOnExit ? 'stopping: removing our routes from VPP' : 'stopping: VPP keeps its routes');
  auditor.stop();
  progress.stop();
  await server.close();
  await sync.stop({ flush: config.flushOnExit });
  await client?.close();
  await ops?.close();
  await operator?.close();
  await instanceLock?.release();
  log.info({ fpm: server.stats, sync: sync.state() }, 'stopped');
  await exitAfterFlush(log, 0);
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

async function exitAfterFlush(log: Logger, code: number): Promise<never> {
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  process.exit(code);
}

/** One line for `systemctl status`. */
function statusLine(src: OpsSources): string {
  const s = src.sync.state();
  const fpm = src.fpm.stats;
  const v = src.vpp.state();
  const zebra = fpm.session ? `zebra session ${fpm.session.id} up` : 'waiting for zebra';
  const vpp = v.mode === 'dry-run' ? 'dry run' : v.connected ? 'VPP connected' : 'VPP lost';
  const work = s.resyncing ? 'resyncing' : s.backlog > 0 ? `${s.backlog} pending` : 'in sync';
  return `${zebra}; ${vpp}; ${s.desired} routes, ${s.installed} installed; ${work}`;
}
