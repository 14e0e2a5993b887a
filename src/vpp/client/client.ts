// The VPP binary API client: one unix-socket session at a time, requests pipelined up to a
// window and matched to replies by context, dumps closed by control_ping, events and keepalives,
// per-request timeouts, and reconnect with backoff after a lost session.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { FrameReader, frame } from '../transport/frame.js';
import { BatchWriter } from '../transport/writer.js';
import {
  MEMCLNT,
  SOCKCLNT_CREATE_REPLY_ID,
  decodeSockclntCreateReply,
  encodeSockclntCreate,
  keyName,
} from './handshake.js';
import {
  VppCrcMismatchError,
  VppDisconnectedError,
  VppProtocolError,
  VppRetvalError,
  VppTimeoutError,
  VppUnavailableError,
  type CrcMismatch,
} from './errors.js';
import { nullLogger, type MessageDef, type VppLogger } from './types.js';
import { mergeStats, newRequestStat, record, resultOf, type RequestStat } from './request-stats.js';
import { Fifo } from '../fifo.js';

export interface VppClientOptions {
  socketPath: string;
  /** Every generated definition (src/vpp/gen `messages`): replies, details and events are found here by name. */
  messages: Record<string, MessageDef>;
  /** Requests the owner cannot work without: a CRC VPP does not offer fails connect(). */
  required?: MessageDef[];
  /** Requests the owner can do without: see has(). */
  optional?: MessageDef[];
  /** Requests in flight at once; more are queued. */
  window?: number;
  timeoutMs?: number;
  /** Backoff between reconnect attempts after a lost session; false: do not reconnect. */
  reconnect?: { minMs: number; maxMs: number } | false;
  /** Our name in VPP's client list. */
  clientName?: string;
  /** Requests timing out in a row, with no reply between, after which the session is reset (a wedged VPP). Default 3. */
  maxTimeouts?: number;
  logger?: VppLogger;
}

export interface ConnectedInfo {
  reconnect: boolean;
  clientIndex: number;
  messageCount: number;
}

// kindById 0: an id not in VPP's message table
const K_REPLY = 1;
const K_DETAILS = 2;
const K_PING_REPLY = 3;
const K_EVENT = 4;
const K_KEEPALIVE = 5;
const K_DELETE_REPLY = 6;
const K_OTHER = 7; // offered by VPP, nothing we expect

/** Where dumpEach() puts its per-detail callback in the request's fields (never encoded). */
const EACH = Symbol('each');
/** Set beside EACH by dumpRaw(): the callback takes the undecoded payload. */
const RAW = Symbol('raw');

const S_FREE = 0;
const S_REQUEST = 1;
const S_DUMP = 2;
const S_CALLBACK = 3; // a request whose completion calls sResolve as a node-style callback
const S_ACK = 4; // S_CALLBACK without decoding the reply: only its retval matters
const S_TOKEN = 5; // S_ACK whose callback is shared by many requests: it gets (token, error)

interface Queued {
  kind: number;
  def: MessageDef;
  fields: any;
  resolve: (v: any) => void;
  reject: ((e: Error) => void) | undefined;
  token: number;
}

type Resolver = (v: any, w?: any) => void;
/** Completion of requestCb: (null, reply) or (error). */
export type ReplyCallback<Rep = any> = (err: Error | null, reply?: Rep) => void;
type Rejecter = (e: Error) => void;
/** Completion of requestAckTo: the caller's token, and null or the error. */
export type TokenCallback = (token: number, err: Error | null) => void;

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

  private socket: net.Socket | null = null;
  private paused = false;
  private ready = false;
  private closing = false;
  private everConnected = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly writer = new BatchWriter(null);
  private readonly reader: FrameReader;
  private onHandshake: ((buf: Buffer, s: number, e: number) => void) | null = null;

  // Session state, rebuilt by every handshake.
  private clientIndex = 0;
  private table = new Map<string, number>();
  private idByKey = new Map<string, number>();
  /** [request id, reply/details id] per definition object, this session (-1: not offered) */
  private idsByDef = new Map<MessageDef, [number, number]>();
  private kindById = new Uint8Array(65536);
  private defById: (MessageDef | undefined)[] = [];
  private pingId = 0;
  private keepaliveReplyId = 0;
  private deleteId = 0;
  private deleteWaiter: (() => void) | null = null;

  // Pending requests: a ring of slots indexed by context & mask, so that the hot path allocates
  // nothing per request beyond the caller's promise.
  private readonly mask: number;
  private readonly sCtx: Float64Array;
  private readonly sState: Uint8Array;
  private readonly sReplyId: Uint16Array;
  private readonly sSent: Float64Array;
  /** performance.now() at send, for the latency histogram (sSent moves on with a dump's details). */
  private readonly sStart: Float64Array;
  private readonly sDef: (MessageDef | undefined)[];
  private readonly sFields: unknown[];
  private readonly sResolve: (Resolver | undefined)[];
  private readonly sReject: (Rejecter | undefined)[];
  private readonly sDetails: (unknown[] | undefined)[];
  private readonly sEach: (((d: unknown) => void) | undefined)[];
  /** The dump's callback takes undecoded payloads (dumpRaw). */
  private readonly sRaw: boolean[];
  private readonly sToken: Float64Array;
  private nextContext = 1;
  /** Requests that timed out since the last reply. */
  private timeoutsInARow = 0;
  private inflight = 0;
  /** Requests past the window, oldest first (bounded by the caller: see room). */
  private readonly queue = new Fifo<Queued>();
  private readonly stats = new Map<MessageDef, RequestStat>();

  constructor(opts: VppClientOptions) {
    super();
    this.opts = opts;
    this.window = Math.max(1, opts.window ?? 1024);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.log = opts.logger ?? nullLogger;
    let cap = 1024;
    while (cap < this.window * 4) cap *= 2;
    this.mask = cap - 1;
    this.sCtx = new Float64Array(cap);
    this.sState = new Uint8Array(cap);
    this.sReplyId = new Uint16Array(cap);
    this.sSent = new Float64Array(cap);
    this.sStart = new Float64Array(cap);
    this.sDef = new Array(cap);
    this.sFields = new Array(cap);
    this.sResolve = new Array(cap);
    this.sReject = new Array(cap);
    this.sDetails = new Array(cap);
    this.sEach = new Array(cap);
    this.sRaw = new Array(cap).fill(false);
    this.sToken = new Float64Array(cap);
    this.reader = new FrameReader((b, s, e) => this.onPayload(b, s, e));
    for (const def of [...(opts.required ?? []), ...(opts.optional ?? [])]) {
      if (!this.companion(def)) throw new Error(`no reply or details definition for ${def.name} in messages`);
    }
  }

  get connected(): boolean {
    return this.ready;
  }

  /** VPP's client index for this session (opaque). */
  get index(): number {
    return this.clientIndex;
  }

  /** Requests sent and not yet answered, and requests waiting for window space. */
  get pending(): { inflight: number; queued: number } {
    return { inflight: this.inflight, queued: this.queue.size };
  }

  /** The id VPP assigned to a message in this session, or undefined. */
  msgId(def: MessageDef | string): number | undefined {
    return this.idByKey.get(typeof def === 'string' ? def : def.key);
  }

  /** Whether VPP offers this message (and its reply) with our CRC. */
  has(def: MessageDef): boolean {
    const c = this.companion(def);
    return this.idByKey.has(def.key) && !!c && this.idByKey.has(c.key);
  }

  async connect(): Promise<ConnectedInfo> {
    this.closing = false;
    const info = await this.openSession(false);
    return info;
  }

  /** One request, one reply. Rejects with VppRetvalError on a negative retval. */
  request<Req = any, Rep = any>(def: MessageDef<Req, any>, fields: Partial<Req>): Promise<Rep> {
    return new Promise<Rep>((resolve, reject) => this.submit(S_REQUEST, def, fields, resolve, reject));
  }

  /**
   * request() without a promise: for the sync layer's bulk path, where a promise and its
   * microtask per route are a measurable share of the cost (bench/vpp.bench.ts).
   */
  requestCb<Req = any, Rep = any>(def: MessageDef<Req, any>, fields: Partial<Req>, cb: ReplyCallback<Rep>): void {
    this.submit(S_CALLBACK, def, fields, cb, undefined);
  }

  /**
   * requestCb() for callers that need only success or failure: the reply is never decoded
   * (its id, context and retval are read in place), and cb gets (null) or (error).
   */
  requestAck<Req = any>(def: MessageDef<Req, any>, fields: Partial<Req>, cb: (err: Error | null) => void): void {
    this.submit(S_ACK, def, fields, cb, undefined);
  }

  /**
   * requestAck() for bulk writers that allocate nothing per request: one callback serves them
   * all and gets the caller's `token` back with the outcome, and `fields` is only read during
   * the call, so the caller may reuse one object (a request that has to wait for window space
   * keeps a copy). Errors carry no request fields.
   */
  requestAckTo<Req = any>(def: MessageDef<Req, any>, fields: Partial<Req>, token: number, cb: TokenCallback): void {
    this.submit(S_TOKEN, def, fields, cb as Resolver, undefined, token);
  }

  /** Sends what was requested so far now, rather than at the end of this event-loop turn. */
  flush(): void {
    if (this.ready) this.writer.flush();
  }

  /** Requests that can be sent now without waiting for window space. */
  get room(): number {
    return this.ready && this.queue.size === 0 ? this.window - this.inflight : 0;
  }

  /** A dump: every *_details VPP sends until the control_ping_reply that follows it. */
  dump<Req = any, Det = any>(def: MessageDef<Req, any>, fields: Partial<Req>): Promise<Det[]> {
    return new Promise<Det[]>((resolve, reject) => this.submit(S_DUMP, def, fields, resolve, reject));
  }

  /**
   * dump() that hands each detail to `onDetail` as it arrives instead of collecting them: a dump
   * of a million routes then holds one at a time. Resolves with the number of details.
   */
  dumpEach<Req = any, Det = any>(def: MessageDef<Req, any>, fields: Partial<Req>, onDetail: (d: Det) => void): Promise<number> {
    const f = { ...fields, [EACH]: onDetail } as Partial<Req>;
    return new Promise<number>((resolve, reject) => this.submit(S_DUMP, def, f, resolve, reject));
  }

  /**
   * dumpEach() for callers that read a hot detail themselves: `onDetail` gets each *_details
   * payload undecoded — `buf[start, end)`, valid during the call only (message id and context
   * first, as on the wire). Resolves with the number of details.
   */
  dumpRaw<Req = any>(def: MessageDef<Req, any>, fields: Partial<Req>, onDetail: (buf: Buffer, start: number, end: number) => void): Promise<number> {
    const f = { ...fields, [EACH]: onDetail, [RAW]: true } as Partial<Req>;
    return new Promise<number>((resolve, reject) => this.submit(S_DUMP, def, f, resolve, reject));
  }

  /**
   * Stops reading the socket until resume(): what VPP sends waits in the socket (and in VPP). For
   * a caller that reads a long dump at its own pace; timeouts do not count while paused.
   */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // the time paused was ours, not VPP's: requests in flight wait afresh
    const now = this.now();
    for (let slot = 0; slot <= this.mask; slot++) if (this.sState[slot] !== S_FREE) this.sSent[slot] = now;
    this.socket?.resume();
  }

  /** Ends the session as VPP expects (sockclnt_delete) and stops reconnecting. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const sock = this.socket;
    if (!sock) return;
    if (this.ready && this.deleteId) {
      const done = new Promise<void>((res) => {
        this.deleteWaiter = res;
        setTimeout(res, Math.min(1000, this.timeoutMs)).unref();
      });
      const at = this.writer.reserve(14);
      const b = this.writer.buffer;
      b.writeUInt16BE(this.deleteId, at);
      b.writeUInt32BE(this.clientIndex >>> 0, at + 2);
      b.writeUInt32BE(0, at + 6);
      b.writeUInt32BE(this.clientIndex >>> 0, at + 10);
      this.writer.flush();
      await done;
      this.deleteWaiter = null;
    }
    this.ready = false;
    this.failAll('client closed');
    await new Promise<void>((res) => {
      if (sock.destroyed) return res();
      sock.once('close', () => res());
      sock.end();
      setTimeout(() => sock.destroy(), 200).unref();
    });
  }

  // --- session ---------------------------------------------------------------------------------

  private openSession(reconnect: boolean): Promise<ConnectedInfo> {
    return new Promise<ConnectedInfo>((resolve, reject) => {
      const sock = net.createConnection(this.opts.socketPath);
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        this.onHandshake = null;
        sock.destroy();
        reject(err);
      };
      this.reader.reset();
      this.socket = sock;
      sock.setNoDelay?.(true);
      const hsTimer = setTimeout(() => fail(new VppProtocolError(`no handshake reply from VPP within ${this.timeoutMs} ms`)), this.timeoutMs);
      hsTimer.unref();
      this.onHandshake = (buf, s, e) => {
        this.onHandshake = null;
        clearTimeout(hsTimer);
        try {
          const reply = decodeSockclntCreateReply(buf, s, e);
          if (reply.response !== 0) throw new VppProtocolError(`sockclnt_create refused: response ${reply.response}`);
          this.installTable(reply.index, reply.table);
        } catch (err) {
          fail(err as Error);
          return;
        }
        settled = true;
        this.ready = true;
        this.everConnected = true;
        this.reconnectAttempt = 0;
        this.writer.setSink(sock);
        this.startSweep();
        const info: ConnectedInfo = { reconnect, clientIndex: this.clientIndex, messageCount: this.table.size };
        this.log.info({ socket: this.opts.socketPath, clientIndex: this.clientIndex, messages: this.table.size, reconnect }, 'vpp connected');
        resolve(info);
        this.emitSafe('connected', info);
      };
      sock.on('connect', () => {
        sock.write(frame(encodeSockclntCreate(0xffff_fff0 & Date.now(), this.opts.clientName ?? 'fibmgr')));
      });
      sock.on('data', (chunk: Buffer) => {
        try {
          this.reader.push(chunk);
        } catch (err) {
          this.protocolFailure(sock, (err as Error).message);
        }
      });
      sock.on('error', (err) => {
        if (!settled) fail(err);
        else this.log.warn({ err: err.message }, 'vpp socket error');
      });
      sock.on('close', () => {
        clearTimeout(hsTimer);
        if (!settled) {
          fail(new VppDisconnectedError('sockclnt_create', 'VPP closed the socket during the handshake'));
          return;
        }
        if (this.socket === sock) this.onSessionLost('socket closed');
      });
    });
  }

  /** Resolves ids by name_crc for everything we know; refuses a required message VPP lacks. */
  private installTable(index: number, table: Map<string, number>): void {
    const mismatches: CrcMismatch[] = [];
    const check = (def: MessageDef) => {
      if (table.has(def.key)) return;
      const offered: string[] = [];
      for (const k of table.keys()) if (keyName(k) === def.name) offered.push(k);
      mismatches.push({ name: def.name, ours: def.crc, offered });
    };
    for (const def of this.opts.required ?? []) {
      check(def);
      check(this.companion(def)!);
    }
    if (mismatches.length) throw new VppCrcMismatchError(mismatches);

    this.clientIndex = index;
    this.table = table;
    this.idByKey = new Map();
    this.idsByDef = new Map();
    this.kindById = new Uint8Array(65536);
    this.defById = [];
    for (const id of table.values()) this.kindById[id] = K_OTHER;
    for (const def of Object.values(this.opts.messages)) {
      const id = table.get(def.key);
      if (id === undefined) continue;
      this.idByKey.set(def.key, id);
      this.defById[id] = def;
      if (def.name.endsWith('_reply')) this.kindById[id] = K_REPLY;
      else if (def.name.endsWith('_details')) this.kindById[id] = K_DETAILS;
      else if (def.name.endsWith('_event')) this.kindById[id] = K_EVENT;
    }
    for (const key of Object.values(MEMCLNT)) {
      const id = table.get(key);
      if (id !== undefined) this.idByKey.set(key, id);
    }
    const need = (key: string) => {
      const id = table.get(key);
      if (id === undefined) throw new VppCrcMismatchError([{ name: keyName(key), ours: key.slice(-8), offered: [...table.keys()].filter((k) => keyName(k) === keyName(key)) }]);
      return id;
    };
    this.pingId = need(MEMCLNT.control_ping);
    this.kindById[need(MEMCLNT.control_ping_reply)] = K_PING_REPLY;
    this.deleteId = need(MEMCLNT.sockclnt_delete);
    this.kindById[need(MEMCLNT.sockclnt_delete_reply)] = K_DELETE_REPLY;
    const ka = table.get(MEMCLNT.memclnt_keepalive);
    this.keepaliveReplyId = table.get(MEMCLNT.memclnt_keepalive_reply) ?? 0;
    if (ka !== undefined && this.keepaliveReplyId) this.kindById[ka] = K_KEEPALIVE;
    this.kindById[SOCKCLNT_CREATE_REPLY_ID] = K_OTHER;
    for (const def of this.opts.optional ?? []) {
      if (!this.has(def)) this.log.info({ message: def.key }, 'vpp does not offer optional message');
    }
  }

  private onSessionLost(reason: string): void {
    const wasReady = this.ready;
    this.ready = false;
    this.socket = null;
    this.writer.setSink(null);
    this.stopSweep();
    this.failAll(reason);
    if (this.deleteWaiter) this.deleteWaiter();
    if (this.closing) return;
    if (wasReady) {
      this.log.warn({ socket: this.opts.socketPath, reason }, 'vpp session lost');
      this.emitSafe('disconnected', { reason });
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const rc = this.opts.reconnect ?? { minMs: 100, maxMs: 10_000 };
    if (rc === false || this.closing || !this.everConnected || this.reconnectTimer) return;
    const base = Math.min(rc.maxMs, rc.minMs * 2 ** Math.min(this.reconnectAttempt, 30));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.reconnectAttempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closing) return;
      this.openSession(true).catch((err: Error) => {
        this.log.warn({ socket: this.opts.socketPath, err: err.message, attempt: this.reconnectAttempt }, 'vpp reconnect failed');
        this.emitSafe('reconnect_failed', err);
        this.scheduleReconnect();
      });
    }, delay);
  }

  private protocolFailure(sock: net.Socket, reason: string): void {
    this.log.error({ socket: this.opts.socketPath, reason }, 'vpp protocol error, resetting the session');
    this.reader.reset();
    if (this.socket === sock) this.onSessionLost(`protocol error: ${reason}`);
    sock.destroy();
  }

  // --- requests --------------------------------------------------------------------------------

  private companion(def: MessageDef): MessageDef | undefined {
    const m = this.opts.messages;
    if (def.name.endsWith('_dump')) return m[def.name.slice(0, -5) + '_details'];
    // "_get" streams (lcp_itf_pair_get → lcp_itf_pair_details, then a reply) are read with dump().
    if (def.name.endsWith('_get') && m[def.name.slice(0, -4) + '_details']) return m[def.name.slice(0, -4) + '_details'];
    return m[def.name + '_reply'];
  }

  private submit(kind: number, def: MessageDef, fields: any, resolve: Resolver, reject: Rejecter | undefined, token = 0): void {
    if (!this.ready) {
      const err = new VppDisconnectedError(def.name, this.closing ? 'client closed' : 'not connected');
      this.failEarly(kind, resolve, reject, err, token);
      return;
    }
    if (this.inflight >= this.window || this.queue.size > 0) {
      this.queue.push({ kind, def, fields: kind === S_TOKEN ? { ...fields } : fields, resolve, reject, token });
      return;
    }
    this.send(kind, def, fields, resolve, reject, token);
  }

  private send(kind: number, def: MessageDef, fields: any, resolve: Resolver, reject: Rejecter | undefined, token: number): void {
    let ids = this.idsByDef.get(def);
    if (!ids) {
      const comp = this.companion(def);
      ids = [this.idByKey.get(def.key) ?? -1, comp ? this.idByKey.get(comp.key) ?? -1 : -1];
      this.idsByDef.set(def, ids);
    }
    const id = ids[0];
    const compId = ids[1];
    if (id < 0 || compId < 0) {
      this.failEarly(kind, resolve, reject, new VppUnavailableError(`${def.key} is not offered by this VPP (or not known to the client)`), token);
      return;
    }
    let ctx = this.nextContext;
    let slot = ctx & this.mask;
    while (this.sState[slot] !== S_FREE) {
      ctx = ctx >= 0xffff_ffff ? 1 : ctx + 1;
      slot = ctx & this.mask;
    }
    this.nextContext = ctx >= 0xffff_ffff ? 1 : ctx + 1;
    // The session's own fields go into the caller's object (no copy per request on the fast
    // path); a frozen object gets a copy.
    let msg = fields;
    try {
      msg.client_index = this.clientIndex;
      msg.context = ctx;
    } catch {
      msg = { ...fields, client_index: this.clientIndex, context: ctx };
    }
    let size: number;
    try {
      size = def.size(msg);
      const at = this.writer.reserve(size);
      try {
        def.encodeInto(this.writer.buffer, at, id, msg);
      } catch (err) {
        this.writer.unreserve(size);
        throw err;
      }
    } catch (err) {
      this.failEarly(kind, resolve, reject, err as Error, token);
      return;
    }
    if (kind === S_DUMP) {
      const at = this.writer.reserve(10);
      const b = this.writer.buffer;
      b.writeUInt16BE(this.pingId, at);
      b.writeUInt32BE(this.clientIndex >>> 0, at + 2);
      b.writeUInt32BE(ctx, at + 6);
      const each = (fields as Record<symbol, unknown>)[EACH] as ((d: unknown) => void) | undefined;
      this.sEach[slot] = each;
      this.sRaw[slot] = (fields as Record<symbol, unknown>)[RAW] === true;
      this.sDetails[slot] = each ? undefined : [];
      this.sToken[slot] = 0; // a dump has no token: dumpEach counts its details there
    }
    this.sCtx[slot] = ctx;
    this.sState[slot] = kind;
    this.sReplyId[slot] = compId;
    this.sSent[slot] = this.now();
    this.sStart[slot] = this.nowHr;
    this.sDef[slot] = def;
    this.sFields[slot] = kind === S_TOKEN ? undefined : fields;
    this.sToken[slot] = token;
    this.sResolve[slot] = resolve;
    this.sReject[slot] = reject;
    this.inflight++;
  }

  /** Completed requests by message name: results and latency (see request-stats.ts). */
  requestStats(): ReadonlyMap<string, RequestStat> {
    // two definitions may carry one message (a bulk encoder beside the generated one): one row
    const out = new Map<string, RequestStat>();
    for (const st of this.stats.values()) {
      const seen = out.get(st.message);
      out.set(st.message, seen ? mergeStats(seen, st) : st);
    }
    return out;
  }

  /**
   * Date.now() once per turn of the event loop: the requests of a burst (and the details of a
   * dump chunk) go out or arrive within one turn anyway, timeouts are seconds, and the clock
   * cost more than all the other bookkeeping of a request. The latency histogram reads
   * performance.now() on the same terms (its resolution is one turn).
   */
  private nowMs = 0;
  private nowHr = 0;
  private readonly forgetNow = (): void => {
    this.nowMs = 0;
  };

  private now(): number {
    if (this.nowMs === 0) {
      this.nowMs = Date.now();
      this.nowHr = performance.now();
      queueMicrotask(this.forgetNow);
    }
    return this.nowMs;
  }

  private release(slot: number, result = 'ok'): void {
    const def = this.sDef[slot]!;
    let st = this.stats.get(def);
    if (!st) this.stats.set(def, (st = newRequestStat(def.name)));
    this.now();
    record(st, result, (this.nowHr - this.sStart[slot]!) / 1000);
    this.sState[slot] = S_FREE;
    this.sDef[slot] = undefined;
    this.sFields[slot] = undefined;
    this.sResolve[slot] = undefined;
    this.sReject[slot] = undefined;
    this.sDetails[slot] = undefined;
    this.sEach[slot] = undefined;
    this.sRaw[slot] = false;
    this.inflight--;
  }

  // A method, not a closure in send(): no allocation per request.
  private failEarly(kind: number, resolve: Resolver, reject: Rejecter | undefined, err: Error, token: number): void {
    try {
      if (reject) reject(err);
      else if (kind === S_TOKEN) resolve(token, err);
      else resolve(err);
    } catch (e) {
      this.callerThrew(e);
    }
  }

  /** Frees a slot and hands its caller the error. */
  private failSlot(slot: number, err: Error): void {
    const state = this.state(slot);
    const res = this.sResolve[slot]!;
    const rej = this.sReject[slot];
    const token = this.sToken[slot]!;
    this.release(slot, resultOf(err));
    try {
      if (state === S_TOKEN) res(token, err);
      else if (state >= S_CALLBACK) res(err);
      else rej!(err);
    } catch (e) {
      this.callerThrew(e);
    }
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

  private state(slot: number): number {
    return this.sState[slot]!;
  }

  private drain(): void {
    const q = this.queue;
    // runs after every reply: with nothing queued, leave at once (and allocate nothing)
    while (q.size > 0 && this.inflight < this.window && this.ready) {
      const item = q.shift()!;
      this.send(item.kind, item.def, item.fields, item.resolve, item.reject, item.token);
    }
  }

  private failAll(reason: string): void {
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.sState[slot] === S_FREE) continue;
      this.failSlot(slot, new VppDisconnectedError(this.sDef[slot]!.name, reason));
    }
    this.queue.drain((item) => this.failEarly(item.kind, item.resolve, item.reject, new VppDisconnectedError(item.def.name, reason), item.token));
    this.inflight = 0;
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
    if (this.inflight === 0 || this.paused) return;
    const limit = Date.now() - this.timeoutMs;
    let freed = false;
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.sState[slot] === S_FREE || this.sSent[slot]! > limit) continue;
      const def = this.sDef[slot]!;
      this.log.warn({ message: def.name, context: this.sCtx[slot], timeoutMs: this.timeoutMs }, 'vpp request timed out');
      this.failSlot(slot, new VppTimeoutError(def.name, this.timeoutMs, this.sFields[slot]));
      freed = true;
      this.timeoutsInARow++;
    }
    const max = this.opts.maxTimeouts ?? 3;
    const sock = this.socket;
    if (freed && this.timeoutsInARow >= max && sock && this.ready) {
      // VPP holds the socket but answers nothing: only a new session can tell whether it lives.
      this.log.error({ socket: this.opts.socketPath, timeouts: this.timeoutsInARow }, 'vpp stopped answering: resetting the session');
      this.timeoutsInARow = 0;
      this.reader.reset();
      this.onSessionLost(`VPP stopped answering (${max} requests timed out in a row)`);
      sock.destroy();
      return;
    }
    if (freed) this.drain();
  }

  // --- incoming --------------------------------------------------------------------------------

  private onPayload(buf: Buffer, s: number, e: number): void {
    if (this.onHandshake) {
      this.onHandshake(buf, s, e);
      return;
    }
    const sock = this.socket;
    if (!sock) return;
    if (e - s < 2) return this.protocolFailure(sock, `frame of ${e - s} bytes has no message id`);
    const id = buf.readUInt16BE(s);
    const kind = this.kindById[id]!;
    if (kind === K_REPLY || kind === K_DETAILS || kind === K_PING_REPLY) {
      this.timeoutsInARow = 0;
      if (e - s < 6) return this.protocolFailure(sock, `message id ${id} truncated at ${e - s} bytes`);
      const ctx = buf.readUInt32BE(s + 2);
      const slot = ctx & this.mask;
      const state = this.sState[slot];
      if (state === S_FREE || this.sCtx[slot] !== ctx) {
        // A reply to a request that already timed out.
        this.log.debug({ msgId: id, context: ctx }, 'vpp reply for no pending request');
        return;
      }
      if (state === S_DUMP) {
        if (kind === K_PING_REPLY) {
          const res = this.sResolve[slot]!;
          const details = this.sEach[slot] ? this.sToken[slot] : this.sDetails[slot]!;
          this.release(slot);
          try { res(details); } catch (err) { this.callerThrew(err); }
          this.drain();
          return;
        }
        if (id !== this.sReplyId[slot]) {
          // A "_get" stream (lcp_itf_pair_get) ends its details with its own reply before our ping.
          if (kind === K_REPLY && this.defById[id]?.name === `${this.sDef[slot]!.name}_reply`) {
            const rv = e - s >= 10 ? buf.readInt32BE(s + 6) : 0;
            if (rv < 0) {
              this.failSlot(slot, new VppRetvalError(this.sDef[slot]!.name, rv, this.sFields[slot]));
              this.drain();
            }
            return;
          }
          return this.unexpected(sock, id, ctx);
        }
        // A long dump is alive while details keep coming: its timeout counts from the last one.
        this.sSent[slot] = this.now();
        if (this.sRaw[slot]) {
          this.sToken[slot]!++;
          try { (this.sEach[slot] as unknown as (b: Buffer, s: number, e: number) => void)(buf, s, e); } catch (err) { this.callerThrew(err); }
          return;
        }
        let detail: unknown;
        try {
          detail = this.defById[id]!.decode(buf, s, e);
        } catch (err) {
          return this.protocolFailure(sock, `cannot decode ${this.defById[id]!.name}: ${(err as Error).message}`);
        }
        const each = this.sEach[slot];
        if (each) {
          this.sToken[slot]!++;
          try { each(detail); } catch (err) { this.callerThrew(err); }
        } else this.sDetails[slot]!.push(detail);
        return;
      }
      if (id !== this.sReplyId[slot]) return this.unexpected(sock, id, ctx);
      if (e - s < 10) return this.protocolFailure(sock, `${this.defById[id]?.name ?? id} truncated at ${e - s} bytes`);
      const rv = buf.readInt32BE(s + 6);
      const def = this.sDef[slot]!;
      if (rv < 0) {
        this.failSlot(slot, new VppRetvalError(def.name, rv, this.sFields[slot]));
        this.drain();
        return;
      }
      if (state === S_ACK) {
        const res = this.sResolve[slot]!;
        this.release(slot);
        try { res(null); } catch (err) { this.callerThrew(err); }
        this.drain();
        return;
      }
      if (state === S_TOKEN) {
        const res = this.sResolve[slot]!;
        const token = this.sToken[slot]!;
        this.release(slot);
        try { res(token, null); } catch (err) { this.callerThrew(err); }
        this.drain();
        return;
      }
      let reply: unknown;
      try {
        reply = this.defById[id]!.decode(buf, s, e);
      } catch (err) {
        return this.protocolFailure(sock, `cannot decode ${this.defById[id]!.name}: ${(err as Error).message}`);
      }
      const res = this.sResolve[slot]!;
      this.release(slot);
      try {
        if (state === S_CALLBACK) res(null, reply);
        else res(reply);
      } catch (err) {
        this.callerThrew(err);
      }
      this.drain();
      return;
    }
    switch (kind) {
      case K_EVENT: {
        const def = this.defById[id]!;
        let msg: unknown;
        try {
          msg = def.decode(buf, s, e);
        } catch (err) {
          return this.protocolFailure(sock, `cannot decode ${def.name}: ${(err as Error).message}`);
        }
        this.emitSafe('event', def.name, msg);
        return;
      }
      case K_KEEPALIVE: {
        // Request layout: id, client_index, context.
        const ctx = e - s >= 10 ? buf.readUInt32BE(s + 6) : 0;
        const at = this.writer.reserve(10);
        const b = this.writer.buffer;
        b.writeUInt16BE(this.keepaliveReplyId, at);
        b.writeUInt32BE(ctx, at + 2);
        b.writeInt32BE(0, at + 6);
        this.log.debug({ context: ctx }, 'vpp keepalive answered');
        return;
      }
      case K_DELETE_REPLY:
        this.deleteWaiter?.();
        return;
      case K_OTHER:
        this.log.warn({ msgId: id }, 'vpp sent a message the client does not handle; dropped');
        return;
      default:
        return this.protocolFailure(sock, `message id ${id} is not in VPP's message table`);
    }
  }

  private unexpected(sock: net.Socket, id: number, ctx: number): void {
    const slot = ctx & this.mask;
    this.protocolFailure(
      sock,
      `got ${this.defById[id]?.name ?? `id ${id}`} for context ${ctx}, which awaits the reply to ${this.sDef[slot]?.name}`,
    );
  }
}
