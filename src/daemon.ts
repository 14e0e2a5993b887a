// The daemon: zebra's FPM session → reconciler → VPP (or, with --dry-run, a port that logs what
// it would send), until SIGTERM/SIGINT.
import { once } from 'node:events';
import type { Config } from './config/options.js';
import { createLogger, type Logger } from './log.js';
import { FpmServer } from './fpm/server.js';
import { FpmSessionDecoder } from './fpm/session-decoder.js';
import { Reconciler, parseTableMap } from './sync/reconciler.js';
import { DryRunPort } from './sync/dry-run-port.js';
import { DryRunSink } from './sync/dry-run-sink.js';
import { teeSink } from './sync/tee-sink.js';
import { OPTIONAL, REQUIRED, VppAdapter, parseInterfaceMap } from './sync/vpp-adapter.js';
import type { VppPort } from './sync/vpp-port.js';
import { VppClient, VppCrcMismatchError, type MessageDef } from './vpp/index.js';
import { messages } from './vpp/gen/index.js';
import { readFileSync } from 'node:fs';

function linuxIfindex(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

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

export async function runDaemon(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const ifmap = parseInterfaceMap(config.interfaceMap);
  const tableMap = parseTableMap(config.tableMap);
  let stopping = false;
  const stopSignal = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]).then((s) => {
    stopping = true;
    return String(s[0] ?? '');
  });

  let client: VppClient | null = null;
  let port: VppPort;
  if (config.dryRun) {
    log.info({}, 'dry run: no VPP; every request that would be sent is logged');
    port = new DryRunPort(log, ifmap, linuxIfindex);
  } else {
    const defs = messages as unknown as Record<string, MessageDef>;
    client = new VppClient({
      socketPath: config.vppSock,
      messages: defs,
      required: REQUIRED.map((n) => defs[n]!),
      optional: OPTIONAL.map((n) => defs[n]).filter((d): d is MessageDef => !!d),
      window: config.vppWindow,
      timeoutMs: config.vppTimeout * 1000,
      logger: log.child({ component: 'vpp-client' }),
    });
    try {
      await Promise.race([connectVpp(client, config, log, () => stopping), stopSignal.then(() => { throw new Error('stopped before VPP was reachable'); })]);
    } catch (err) {
      log.fatal({ vppSock: config.vppSock, err: (err as Error).message }, 'cannot use VPP');
      await new Promise<void>((resolve) => log.flush(() => resolve()));
      process.exit(1);
    }
    port = new VppAdapter({ client, messages: defs, interfaceMap: ifmap, logger: log, linuxIfindex });
  }

  const sync = new Reconciler(port, {
    tableMap,
    installConnected: config.installConnected,
    resyncGraceMs: config.resyncGrace * 1000,
    maxBacklog: config.maxBacklog,
    logger: log,
  });
  await sync.start();
  const server = new FpmServer({
    host: config.fpmHost,
    port: config.fpmPort,
    decoder: () => new FpmSessionDecoder({ weights: config.fpmWeights }),
    // In a dry run every route event is logged too, beside the requests it leads to.
    sink: config.dryRun ? teeSink(sync, new DryRunSink(log)) : sync,
    logger: log,
  });
  await server.listen();

  const signal = await stopSignal;
  log.info({ signal, flushOnExit: config.flushOnExit }, 'stopping: no new FPM sessions, finishing requests in flight');
  await server.close();
  await sync.stop({ flush: config.flushOnExit });
  await client?.close();
  log.info({ fpm: server.stats, sync: sync.state() }, 'stopped');
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  process.exit(0);
}
