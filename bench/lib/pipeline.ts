// What the end-to-end benches (bench:sync on the simulator, bench:real on a real VPP) and the sync
// bench's restart child share: fibmgr's pipeline wired as the daemon wires it, the zebra stand-in
// (fpm-sender) in its own process, and the measure of a phase (wall time, this process's CPU, peak RSS).
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createLogger } from '../../src/log.js';
import type { FpmServer } from '../../src/fpm/server.js';
import { statField } from '../../src/fpm/socket-owner.js';
import type { VppClient, ReplyGather } from 'vpp-binapi-ts';
import type { Reconciler } from '../../src/sync/reconciler.js';
import { VppAdapter } from '../../src/sync/vpp/vpp-adapter.js';
import { countingSink, newEventCounts } from '../../src/ops/event-counts.js';
import { sendBufferShortfall, setSendBuffer } from '../../src/vpp-send-buffer.js';
import { DEFAULTS } from '../../src/config/options.js';
import { auditClient, defs, fpmServer, routeClient, routeSync, vppClientOptions, warmPath, type RoutePathConfig } from '../../src/route-path.js';
import { warmUp } from '../../src/warm-up/warm-up.js';

// Run from source (tsx) or compiled (node dist/bench/...): the children follow suit.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
/** Options to fork a bench child (IPC on): through tsx when run from source. */
export const childOptions: ForkOptions & { execArgv: string[] } = { execArgv: ext === '.ts' ? ['--import', 'tsx'] : [], stdio: ['inherit', 'inherit', 'inherit', 'ipc'] };

/** Forks `rel` (a module path relative to bench/, without its extension). */
export function forkChild(rel: string, args: string[], extraExecArgv: string[] = []): ChildProcess {
  return forkFile(fileURLToPath(new URL(`../${rel}${ext}`, import.meta.url)), args, extraExecArgv);
}

/**
 * The node flags the fibmgr command runs with: its shebang's (src/cli), read here so that a bench's
 * fibmgr runs as the one that ships (the flags test holds the shebang's words).
 */
export const FIBMGR_NODE_FLAGS: readonly string[] = readFileSync(fileURLToPath(new URL(`../../src/cli${ext}`, import.meta.url)), 'utf8').split('\n', 1)[0]!.split(' ').slice(3);

/** Forks `rel` (relative to bench/, as forkChild) as a fibmgr: with the fibmgr command's node flags, then `extraExecArgv`. */
export function forkFibmgr(rel: string, args: string[], extraExecArgv: string[] = []): ChildProcess {
  return forkChild(rel, args, [...FIBMGR_NODE_FLAGS, ...extraExecArgv]);
}

/** A child from a file named in full (the simulator's SIM_MAIN: source under tsx, else compiled, as this file). */
export function forkFile(path: string, args: string[], extraExecArgv: string[] = []): ChildProcess {
  return fork(path, args, { ...childOptions, execArgv: [...childOptions.execArgv, ...extraExecArgv] });
}

/**
 * `child`'s next message that `accept` takes (by default any); rejects, naming `what`, if the child
 * exits first. Its listeners are removed either way.
 */
export function nextMessage<T = any>(child: ChildProcess, what: string, accept: (m: any) => boolean = () => true): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: any): void => {
      if (!accept(m)) return;
      done();
      resolve(m as T);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`${what} exited (${code})`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The zebra stand-in (lib/fpm-sender), its stream built; resolves once it is ready. */
export async function forkSender(v4: number, v6: number): Promise<ChildProcess> {
  const sender = forkChild('lib/fpm-sender', [String(v4), String(v6)]);
  await nextMessage(sender, 'the zebra stand-in', (m) => m && typeof m === 'object' && 'ready' in m);
  return sender;
}

export interface PipelineOptions {
  socketPath: string;
  resyncGraceMs: number;
  /** The VPP client's window (the daemon's --vpp-window). */
  window: number;
  notify: 'auto' | 'on' | 'off';
  logLevel: string;
  /** A VPP connection of its own for audits (window 16), as the daemon has; false: audits share the main one. */
  auditClient: boolean;
  timeoutMs?: number;
  /** The route connection's kernel send buffer (the daemon's --vpp-send-buffer; default its default; 0: the system's). */
  sendBuffer?: number;
  /** How the route connection reads replies under load (default: the daemon's, routeReplyGather). */
  gatherReplies?: ReplyGather;
}

export interface Pipeline {
  client: VppClient;
  rec: Reconciler;
  server: FpmServer;
  /** Why a VPP session of its route connection had less send buffer than asked for (null: none had). */
  sendBufferShort(): string | null;
  /** fibmgr stops: FPM closed, VPP keeps the routes, the client says goodbye. */
  stop(): Promise<void>;
}

/** The daemon's settings (its defaults) with a bench's: what the route path is built from. */
export function pipelineConfig(o: Pick<PipelineOptions, 'resyncGraceMs' | 'window' | 'notify' | 'timeoutMs' | 'sendBuffer'>): RoutePathConfig {
  return {
    ...DEFAULTS,
    resyncGrace: o.resyncGraceMs / 1000,
    vppWindow: o.window,
    offloadNotify: o.notify,
    ...(o.timeoutMs !== undefined ? { vppTimeout: o.timeoutMs / 1000 } : {}),
    vppSendBuffer: o.sendBuffer ?? DEFAULTS.vppSendBuffer,
  };
}

/**
 * fibmgr's pipeline, built by the daemon's own factories (src/route-path.ts), its VPP client
 * connected; the caller starts the reconciler and the server's listening.
 */
export async function connectPipeline(o: PipelineOptions): Promise<Pipeline> {
  const log = createLogger(o.logLevel);
  const config = pipelineConfig(o);
  const clientOpts = vppClientOptions(config, o.socketPath, 'fibmgr');
  // the send buffer held to what the raw client is held to: the size asked for on every session
  // (a reconnect's too), or no run (the daemon only logs a shortfall)
  let short: string | null = null;
  const prepareSocket = config.vppSendBuffer > 0 ? async (s: Socket) => { short ??= sendBufferShortfall(await setSendBuffer(s, config.vppSendBuffer), config.vppSendBuffer); } : undefined;
  const client = routeClient(config, clientOpts, log, { prepareSocket, ...(o.gatherReplies ? { gatherReplies: o.gatherReplies } : {}) });
  let rec: Reconciler;
  let server: FpmServer;
  try {
    await client.connect();
    if (short) throw new Error(`fibmgr's VPP socket: send buffer: ${short}`);
    const port = new VppAdapter({ client, messages: defs, logger: log, auditClient: o.auditClient ? () => auditClient(clientOpts, log) : undefined });
    rec = routeSync(config, port, new Map(), log);
    // zebra's events counted on their way in, as the daemon's are
    server = fpmServer(config, countingSink(rec, newEventCounts()), log, { host: '127.0.0.1', port: 0, peerCheck: undefined, socketOwner: undefined, recorder: undefined });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return {
    client, rec, server,
    sendBufferShort: () => short,
    async stop() {
      await rec.stop({ flush: false });
      await server.close();
      await client.close();
    },
  };
}

/**
 * connectPipeline, then its reconciler started (VPP's state read) and its FPM server listening:
 * a fibmgr zebra can connect to, on `port`. Stopped again if it gets no further.
 */
export async function listeningPipeline(o: PipelineOptions): Promise<{ pipeline: Pipeline; port: number }> {
  const pipeline = await connectPipeline(o);
  try {
    await pipeline.rec.start();
    return { pipeline, port: (await pipeline.server.listen()).port };
  } catch (err) {
    await pipeline.stop().catch(() => undefined);
    throw err;
  }
}

/**
 * The daemon's warm-up (src/warm-up) for a fibmgr of `o`, before it connects to VPP, as the
 * daemon's: its warm path (src/route-path.ts) on a private simulator, reading replies as `o`'s
 * pipeline will, its lines quiet. Throws what stopped it short: a bench measures a warmed fibmgr.
 */
export async function warmUpAsDaemon(o: PipelineOptions, routes: number, passes: number): Promise<void> {
  const pathLog = createLogger('error');
  const warm = await warmUp({
    routes, window: o.window, passes, logger: createLogger('warn'),
    build: (socketPath, window) => warmPath(pipelineConfig(o), socketPath, window, new Map(), pathLog, { gatherReplies: o.gatherReplies }),
  });
  if (warm.problem) throw new Error(`fibmgr's warm-up: ${warm.problem}`);
}

/**
 * A first sync (or a replay after a fault) is over: every one of `total` routes installed and
 * nothing left to write. Not !resyncing: zebra's replay ends with --resync-grace of quiet, a wait,
 * not work.
 */
export function syncConverged(rec: Reconciler, total: number): boolean {
  const st = rec.state();
  return st.vppReady && st.installed >= total && st.backlog === 0;
}

/** Polls `cond` every `pollMs` until it holds; throws after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 300_000, pollMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Peak RSS of this process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Minor page faults of process `pid` (this one by default) so far (/proc/PID/stat: minflt): each
 * the first touch of a 4 KB page of new memory. On this VM one costs ~12 µs (pageFaultCost), so a
 * process whose memory grows by 250 MB spends ~0.75 s of CPU on faults alone.
 */
export function minorFaults(pid: number | 'self' = 'self'): number {
  return Number(statField(readFileSync(`/proc/${pid}/stat`, 'utf8'), 10));
}

/** What the first touch of a page of new memory costs here, in µs (`mb` MB of fresh memory touched, a write per page). */
export function pageFaultCost(mb = 64): number {
  const f0 = minorFaults();
  const t0 = performance.now();
  const mem = new Uint8Array(mb * 1024 * 1024);
  for (let i = 0; i < mem.length; i += 4096) mem[i] = 1;
  const ms = performance.now() - t0;
  return (ms * 1000) / Math.max(1, minorFaults() - f0);
}

/** Starts measuring a phase: its wall seconds, this process's CPU seconds and its minor page faults so far, read when asked. */
export function measure(): { seconds(): number; cpuS(): number; faults(): number } {
  const c0 = process.cpuUsage();
  const f0 = minorFaults();
  const t0 = performance.now();
  return {
    seconds: () => (performance.now() - t0) / 1000,
    cpuS: () => {
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1e6;
    },
    faults: () => minorFaults() - f0,
  };
}
