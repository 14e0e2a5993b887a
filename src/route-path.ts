// The route path's parts — VPP client, reconciler, FPM server — made from the settings, for the
// daemon, for its warm-up and for the benches alike. One place, for two reasons: what V8 compiles
// during the warm-up serves zebra's replay only where both run the same code on objects built the
// same way (the same option keys; an earlier warm-up through a pipeline of its own lost most of it
// to deoptimizations on first contact, README run Q), and a bench measures the daemon only if it
// builds what the daemon builds.
import type { Config } from './config/options.js';
import type { Logger } from './log.js';
import { sendBufferPreparer } from './vpp-send-buffer.js';
import { routeReplyGather } from './vpp-reply-gather.js';
import { FpmServer, type FpmServerOptions } from './fpm/server.js';
import { FpmSessionDecoder } from './fpm/session-decoder.js';
import { PeerCheck } from './fpm/peer-check.js';
import { Reconciler } from './sync/reconciler.js';
import type { ReconcilerOptions } from './sync/reconciler-types.js';
import { OPTIONAL, REQUIRED, VppAdapter } from './sync/vpp/vpp-adapter.js';
import type { VppPort } from './sync/vpp/vpp-port.js';
import type { RouteSink } from './route/sink.js';
import { countingSink, newEventCounts } from './ops/event-counts.js';
import type { WarmPath } from './warm-up/warm-up.js';
import { VppClient, type MessageDef, type ReplyGather, type VppClientOptions } from 'vpp-binapi-ts';
import { messages } from 'vpp-binapi-ts/gen';

/** The settings the route path is made from. */
export type RoutePathConfig = Pick<Config,
  'vppTimeout' | 'vppWindow' | 'vppSendBuffer' | 'installConnected' | 'resyncGrace' | 'staleTime' | 'maxBacklog' | 'fpmWeights' | 'offloadNotify'>;

/** VPP's messages as the client and the adapter take them. */
export const defs = messages as unknown as Record<string, MessageDef>;

/** What every fibmgr connection to VPP shares: the socket, the messages it needs, the reply timeout. */
export function vppClientOptions(config: RoutePathConfig, socketPath: string, clientName: string) {
  return {
    socketPath,
    clientName,
    messages: defs,
    required: REQUIRED.map((n) => defs[n]!),
    optional: OPTIONAL.map((n) => defs[n]).filter((d): d is MessageDef => !!d),
    timeoutMs: config.vppTimeout * 1000,
  };
}

export type VppClientBase = ReturnType<typeof vppClientOptions>;

/** A bench's changes to the route connection; the daemon makes none. */
export interface RouteClientOverride {
  /** In place of the send buffer's preparer (a bench that must refuse a short buffer). */
  prepareSocket?: VppClientOptions['prepareSocket'];
  /** In place of the daemon's reading of replies under load (a bench's experiment). */
  gatherReplies?: ReplyGather;
}

/** The route stream's connection: the window, the send buffer, the reading of replies under load. */
export function routeClient(config: RoutePathConfig, opts: VppClientBase & { reconnect?: false }, log: Logger, override: RouteClientOverride = {}): VppClient {
  const gatherReplies = override.gatherReplies ?? routeReplyGather(opts.timeoutMs);
  const prepareSocket = override.prepareSocket ?? sendBufferPreparer(config.vppSendBuffer, log);
  return new VppClient({ ...opts, window: config.vppWindow, logger: log, prepareSocket, ...(gatherReplies ? { gatherReplies } : {}) });
}

/** The audits' connection: dumps only, no queue of requests (see VppAdapterOptions.auditClient). */
export function auditClient(opts: VppClientBase, log: Logger): VppClient {
  return new VppClient({ ...opts, window: 16, reconnect: false, clientName: 'fibmgr-audit', logger: log });
}

export function routeSync(config: RoutePathConfig, port: VppPort, tableMap: Map<number, number>, log: Logger, onResyncDone?: ReconcilerOptions['onResyncDone']): Reconciler {
  return new Reconciler(port, {
    tableMap,
    installConnected: config.installConnected,
    resyncGraceMs: config.resyncGrace * 1000,
    staleTimeMs: config.staleTime * 1000,
    maxBacklog: config.maxBacklog,
    window: config.vppWindow,
    logger: log,
    onResyncDone,
  });
}

export function fpmServer(config: RoutePathConfig, sink: RouteSink, log: Logger, at: Pick<FpmServerOptions, 'host' | 'port' | 'peerCheck' | 'socketOwner' | 'recorder'>): FpmServer {
  return new FpmServer({
    ...at,
    decoder: () => new FpmSessionDecoder({ weights: config.fpmWeights }),
    sink,
    logger: log,
    notify: config.offloadNotify,
  });
}

/**
 * The warm-up's path (src/warm-up): the route path built as the daemon's, its client on
 * `socketPath` (the warm-up's simulator), no interfaces (the simulator has none), its FPM port on
 * loopback for this process only (root and this user), `window` requests in flight at most (the
 * warm-up's: warmUpWindow). One that throws has closed what it made.
 */
export async function warmPath(routeConfig: RoutePathConfig, socketPath: string, window: number, tableMap: Map<number, number>, log: Logger, override: RouteClientOverride = {}): Promise<WarmPath> {
  const config = { ...routeConfig, vppWindow: window };
  const client = routeClient(config, { ...vppClientOptions(config, socketPath, 'fibmgr-warm-up'), reconnect: false }, log, override);
  try {
    await client.connect();
    const sync = routeSync(config, new VppAdapter({ client, messages: defs, interfaceMap: [], logger: log, auditClient: undefined }), tableMap, log);
    const peerCheck = new PeerCheck({ allow: ['127.0.0.1'], users: [String(process.getuid?.() ?? 0)] });
    // counted as the daemon's sink is (the counts are dropped): the same code on the way in
    const server = fpmServer(config, countingSink(sync, newEventCounts()), log, { host: '127.0.0.1', port: 0, peerCheck, socketOwner: undefined, recorder: undefined });
    return {
      sync, server,
      async stop() {
        await server.close();
        await sync.stop({ flush: false, timeoutMs: 1_000 });
        await client.close();
      },
    };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
