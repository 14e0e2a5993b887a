// The VPP binary API client: the ways to ask (request, dump, the bulk paths) as thin layers
// (api/) over one dispatch core (dispatcher.ts: the window, requests matched to replies by
// context in in-flight.ts, dumps closed by control_ping), events and keepalives, per-request
// timeouts, over one session at a time that reconnects with backoff (connection.ts).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { nullLogger, type MessageDef, type VppLogger } from './types.js';
import type { RequestStat } from './request-stats.js';
import { Connection, type ConnectedInfo, type ReplyGather } from './connection.js';
import { K_DELETE_REPLY, K_DETAILS, K_EVENT, K_KEEPALIVE, K_OTHER, K_PING_REPLY, K_REPLY, companion } from './message-table.js';
import { Dispatcher } from './dispatcher.js';
import { AckToToken, ReplyPromise, ToCallback, type AckCallback, type ReplyCallback, type TokenCallback } from './api/reply.js';
import { DumpCollect, DumpEach, DumpRaw } from './api/dump.js';

export type { ConnectedInfo, ReplyGather } from './connection.js';
export { DEFAULT_REPLY_GATHER, gatherPauseMs, gatherProblem } from './connection.js';
export type { ReplyCallback, TokenCallback } from './api/reply.js';

export interface VppClientOptions {
  socketPath: string;
  /** Every generated definition (src/gen `messages`): replies, details and events are found here by name. */
  messages: Record<string, MessageDef>;
  /** Requests the owner cannot work without: a CRC VPP does not offer fails connect(). */
  required?: MessageDef[];
  /** Requests the owner can do without: see has(). */
  optional?: MessageDef[];
  /** Requests in flight at once; more are queued. */
  window?: number;
  /** A request's time to its reply, on `now` (default 10 s). */
  timeoutMs?: number;
  /**
   * The handshake's time to VPP's answer, and a prepareSocket hook's, each on a real timer
   * (default timeoutMs; at most 2³¹−1 ms, the constructor throws a RangeError otherwise): a caller
   * that moves `now` itself, a test, keeps a long one here so that a slow machine cannot time
   * the handshake out while requests time out only when told.
   */
  handshakeTimeoutMs?: number;
  /** Backoff between reconnect attempts after a lost session; false: do not reconnect. */
  reconnect?: { minMs: number; maxMs: number } | false;
  /** Our name in VPP's client list. */
  clientName?: string;
  /**
   * Monotonic milliseconds that request timeouts are measured on (default performance.now()):
   * a step of the system clock neither times every request out nor keeps a wedged VPP's
   * requests waiting forever. Injectable for tests.
   */
  now?: () => number;
  /**
   * How long close() waits for VPP to answer its sockclnt_delete, and for the answer to a
   * handshake under way (default: 1 s, at most timeoutMs; a real timer).
   */
  goodbyeMs?: number;
  /**
   * A session reset (timeouts, a protocol error) keeps its socket until VPP has read what was
   * written to it and the goodbye behind it, and the next session waits for that, so that no
   * request of the old session is applied after the new one has read VPP's state; past drainMs
   * (default 300 s) the old socket is destroyed and the next session goes ahead.
   */
  drainMs?: number;
  /**
   * While this many requests (or more) are in flight, replies are read every `ms` rather than as
   * they come (fewer reads and wake-ups on both sides; connection.ts says why); with `perMs` and
   * `maxMs`, every max(ms, min(maxMs, floor(n / perMs))) ms, n in flight after the read. Default
   * { minInFlight: 64, ms: 1 }; false: every reply as it comes. A pause must stay under a quarter
   * of timeoutMs (the constructor throws a RangeError otherwise).
   */
  gatherReplies?: ReplyGather | false;
  /**
   * Runs on each session's socket once it is connected, before the handshake (awaited, for up to
   * handshakeTimeoutMs, which the handshake then has anew): to set what Node has no API for, such as the
   * socket's send buffer. What it throws or rejects with, or a hook still running at handshakeTimeoutMs, is
   * logged and the session goes on. Called again on every reconnect; a close() meanwhile ends the
   * session before VPP registers it. It must leave the socket's write() as it is: the client
   * writes its requests over bytes the socket said (`writableLength` 0) it no longer holds.
   */
  prepareSocket?: (socket: Socket) => Promise<void> | void;
  /** Requests timing out in a row, with no reply between, after which the session is reset (a wedged VPP). Default 3. */
  maxTimeouts?: number;
  logger?: VppLogger;
}

export declare interface VppClient {
  on(ev: 'connected', fn: (info: ConnectedInfo) => void): this;
  on(ev: 'disconnected', fn: (info: { reason: string }) => void): this;
  on(ev: 'event', fn: (name: string, msg: any) => void): this;
  on(ev: 'reconnect_failed', fn: (err: Error) => void): this;
}

export class VppClient extends EventEmitter {
  readonly window: number;
  readonly timeoutMs: number;
  private readonly opts: VppClientOptions;
  private readonly log: VppLogger;
  private readonly conn: Connection;
  private readonly core: Dispatcher;
  /** The bulk paths' handlers, one per callback: a stream of requests with one callback allocates none. */
  private ackHandler: ToCallback | null = null;
  private tokenHandler: AckToToken | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Requests that timed out since the last reply. */
  private timeoutsInARow = 0;
  private readonly threw = (e: unknown): void => this.callerThrew(e);
  private readonly now: () => number;

  constructor(opts: VppClientOptions) {
    super();
    this.opts = opts;
    this.window = Math.max(1, opts.window ?? 1024);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.log = opts.logger ?? nullLogger;
    this.now = opts.now ?? (() => performance.now());
    this.conn = new Connection({ ...opts, timeoutMs: this.timeoutMs, gather: opts.gatherReplies }, this.log, {
      opened: (info) => {
        this.startSweep();
        this.emitSafe('connected', info);
      },
      payload: (buf, s, e) => this.onPayload(buf, s, e),
      lost: (reason, tell) => {
        this.stopSweep();
        this.core.lost(reason);
        if (tell) this.emitSafe('disconnected', { reason });
      },
      reconnectFailed: (err) => this.emitSafe('reconnect_failed', err),
      inFlight: () => this.core.inflight,
    });
    this.core = new Dispatcher(this.conn, this.window, this.log, this.threw, this.now);
    for (const def of [...(opts.required ?? []), ...(opts.optional ?? [])]) {
      if (!companion(opts.messages, def)) throw new Error(`no reply or details definition for ${def.name} in messages`);
    }
  }

  get connected(): boolean {
    return this.conn.ready;
  }

  /** close() was called (and connect() not since). */
  get closed(): boolean {
    return this.conn.closing;
  }

  /** VPP's client index for this session (opaque). */
  get index(): number {
    return this.conn.clientIndex;
  }

  /** Requests sent and not yet answered, and requests waiting for window space. */
  get pending(): { inflight: number; queued: number } {
    return { inflight: this.core.inflight, queued: this.core.queued };
  }

  /** The id VPP assigned to a message in this session, or undefined. */
  msgId(def: MessageDef | string): number | undefined {
    return this.conn.msgs?.idByKey.get(typeof def === 'string' ? def : def.key);
  }

  /** Whether VPP offers this message (and its reply) with our CRC. */
  has(def: MessageDef): boolean {
    return this.conn.msgs?.has(def) ?? false;
  }

  /**
   * Opens a session (sockclnt_create, the message table). After a dropped session it waits, up to
   * drainMs, for VPP to read that one to its goodbye; a connect() while a reconnect is under way
   * joins it.
   */
  connect(): Promise<ConnectedInfo> {
    return this.conn.open(false);
  }

  /** One request, one reply. Rejects with VppRetvalError on a negative retval. */
  request<Req = any, Rep = any>(def: MessageDef<Req, any>, fields: Partial<Req>): Promise<Rep> {
    return new Promise<Rep>((resolve, reject) => this.core.dispatch(def, fields, new ReplyPromise(resolve, reject), 0));
  }

  /**
   * request() without a promise: for bulk callers, where a promise and its microtask per request
   * are a measurable share of the cost (bench/vpp.bench.ts).
   */
  requestCb<Req = any, Rep = any>(def: MessageDef<Req, any>, fields: Partial<Req>, cb: ReplyCallback<Rep>): void {
    this.core.dispatch(def, fields, new ToCallback(cb, true), 0);
  }

  /**
   * requestCb() for callers that need only success or failure: the reply is never decoded
   * (its id, context and retval are read in place), and cb gets (null) or (error).
   */
  requestAck<Req = any>(def: MessageDef<Req, any>, fields: Partial<Req>, cb: AckCallback): void {
    const h = this.ackHandler?.cb === cb ? this.ackHandler : (this.ackHandler = new ToCallback(cb, false));
    this.core.dispatch(def, fields, h, 0);
  }

  /**
   * requestAck() for bulk writers that allocate nothing per request: one callback serves them
   * all and gets the caller's `token` back with the outcome, and `fields` is only read during
   * the call, so the caller may reuse one object (a request that has to wait for window space
   * keeps a deep copy). Errors carry no request fields.
   */
  requestAckTo<Req = any>(def: MessageDef<Req, any>, fields: Partial<Req>, token: number, cb: TokenCallback): void {
    const h = this.tokenHandler?.cb === cb ? this.tokenHandler : (this.tokenHandler = new AckToToken(cb));
    this.core.dispatch(def, fields, h, token);
  }

  /** Sends what was requested so far now, rather than at the end of this event-loop turn. */
  flush(): void {
    if (this.conn.ready) this.conn.writer.flush();
  }

  /** Requests that can be sent now without waiting for window space. */
  get room(): number {
    return this.core.room;
  }

  /** A dump: every *_details VPP sends until the control_ping_reply that follows it. */
  dump<Req = any, Det = any>(def: MessageDef<Req, any>, fields: Partial<Req>): Promise<Det[]> {
    return new Promise<Det[]>((resolve, reject) => this.core.dispatch(def, fields, new DumpCollect(resolve as (d: unknown[]) => void, reject), 0));
  }

  /**
   * dump() that hands each detail to `onDetail` as it arrives instead of collecting them: a dump
   * of a million routes then holds one at a time. Resolves with the number of details.
   */
  dumpEach<Req = any, Det = any>(def: MessageDef<Req, any>, fields: Partial<Req>, onDetail: (d: Det) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => this.core.dispatch(def, fields, new DumpEach(resolve, reject, onDetail), 0));
  }

  /**
   * dumpEach() for callers that read a hot detail themselves: `onDetail` gets each *_details
   * payload undecoded — `buf[start, end)`, valid during the call only (message id and context
   * first, as on the wire). Resolves with the number of details.
   */
  dumpRaw<Req = any>(def: MessageDef<Req, any>, fields: Partial<Req>, onDetail: (buf: Buffer, start: number, end: number) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => this.core.dispatch(def, fields, new DumpRaw(resolve, reject, onDetail), 0));
  }

  /**
   * Stops reading the socket until resume(): what VPP sends waits in the socket (and in VPP). For
   * a caller that reads a long dump at its own pace; timeouts do not count while paused. A paused
   * socket reads no end either: a VPP gone meanwhile shows at resume() or at the next write. The
   * pause ends with its session: the next session reads (and times out) from the start. Outside a
   * session (before connect(), during a reconnect) pause() does nothing. There is one pause per
   * client: a resume() ends whichever is current.
   */
  pause(): void {
    this.conn.pause();
  }

  resume(): void {
    // the time paused was ours, not VPP's: requests in flight wait afresh
    if (this.conn.resume()) this.core.restartClocks();
  }

  /**
   * Ends the session at once, as if it were lost (requests in flight fail with
   * VppDisconnectedError, 'disconnected' is emitted), and reconnects with backoff: for a caller
   * that no longer trusts the session, e.g. after a request timed out. VPP still gets its
   * goodbye (sockclnt_delete) on the old socket, and the next session opens once VPP has read the
   * old one to it (drainMs).
   */
  reset(reason: string): void {
    this.conn.reset(reason);
  }

  /**
   * Ends the session as VPP expects (sockclnt_delete) and stops reconnecting; bounded by
   * goodbyeMs (+200 ms for the socket to close), so a wedged VPP cannot hold the caller.
   */
  close(): Promise<void> {
    return this.conn.close();
  }

  /** Reads of VPP's socket so far, over every session (how often VPP's replies were drained). */
  socketReads(): number {
    return this.conn.reads;
  }

  /** Completed requests by message name: results and latency (see request-stats.ts). */
  requestStats(): ReadonlyMap<string, RequestStat> {
    return this.core.requestStats();
  }

  /**
   * A caller's callback threw: their bug, not VPP's. Logged; the session and the other
   * requests go on (a throw here used to reset the session as a protocol error).
   */
  private callerThrew(e: unknown): void {
    this.log.error({ err: e instanceof Error ? (e.stack ?? e.message) : String(e) }, 'a vpp client callback threw (a bug of the caller): ignored');
  }

  /** emit() with the listeners' throws isolated like callbacks'. */
  private emitSafe(ev: string, ...args: unknown[]): void {
    try {
      this.emit(ev, ...args);
    } catch (e) {
      this.callerThrew(e);
    }
  }

  // --- timeouts --------------------------------------------------------------------------------

  private startSweep(): void {
    this.stopSweep();
    const every = Math.max(5, Math.min(1000, Math.floor(this.timeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private stopSweep(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private sweep(): void {
    if (this.core.inflight === 0 || this.conn.paused) return;
    const freed = this.core.expire(this.now() - this.timeoutMs, this.timeoutMs);
    if (freed === 0) return;
    this.timeoutsInARow += freed;
    const max = this.opts.maxTimeouts ?? 3;
    if (this.timeoutsInARow >= max && this.conn.ready) {
      // VPP holds the socket but answers nothing: only a new session can tell whether it lives.
      this.log.error({ socket: this.opts.socketPath, timeouts: this.timeoutsInARow }, 'vpp stopped answering: resetting the session');
      this.timeoutsInARow = 0;
      this.conn.reset(`VPP stopped answering (${max} requests timed out in a row)`);
      return;
    }
    this.core.drain();
  }

  // --- incoming --------------------------------------------------------------------------------

  private onPayload(buf: Buffer, s: number, e: number): void {
    const msgs = this.conn.msgs!;
    if (e - s < 2) return this.conn.failure(`frame of ${e - s} bytes has no message id`);
    const id = buf.readUInt16BE(s);
    const kind = msgs.kindById[id]!;
    if (kind === K_REPLY || kind === K_DETAILS || kind === K_PING_REPLY) {
      this.timeoutsInARow = 0;
      const r = this.core.reply(buf, s, e, id, kind, msgs);
      if (typeof r === 'string') this.conn.failure(r);
      return;
    }
    switch (kind) {
      case K_EVENT: {
        const def = msgs.defById[id]!;
        let msg: unknown;
        try {
          msg = def.decode(buf, s, e);
        } catch (err) {
          return this.conn.failure(`cannot decode ${def.name}: ${(err as Error).message}`);
        }
        this.emitSafe('event', def.name, msg);
        return;
      }
      case K_KEEPALIVE: {
        // Request layout: id, client_index, context.
        const ctx = e - s >= 10 ? buf.readUInt32BE(s + 6) : 0;
        const writer = this.conn.writer;
        const at = writer.reserve(10);
        const b = writer.buffer;
        b.writeUInt16BE(msgs.keepaliveReplyId, at);
        b.writeUInt32BE(ctx, at + 2);
        b.writeInt32BE(0, at + 6);
        this.log.debug({ context: ctx }, 'vpp keepalive answered');
        return;
      }
      case K_DELETE_REPLY:
        this.conn.deleted();
        return;
      case K_OTHER:
        this.log.warn({ msgId: id }, 'vpp sent a message the client does not handle; dropped');
        return;
      default:
        return this.conn.failure(`message id ${id} is not in VPP's message table`);
    }
  }
}
