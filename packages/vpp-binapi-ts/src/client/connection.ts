// One unix-socket session with VPP at a time: connect and handshake (sockclnt_create, the message
// table), framing in and batched writes out, reconnect with backoff after a lost session, and the
// orderly goodbye (sockclnt_delete). What the payloads mean is the client's business.
//
// Every session this side ends says goodbye first — close(), a reset after timeouts, a protocol
// error, a handshake whose table we refuse — because a VPP that only sees the socket drop can
// keep the dead registration and spin its main thread on it (issue 27;
// docs/upstream/vpp-socket-eof-spin.md). Only a VPP that dropped the socket itself gets none.
//
// A session dropped without waiting (a reset, a protocol error) keeps its socket until VPP has read
// it to the goodbye and closed it, and no new session opens meanwhile: VPP reads each socket in
// order but serves its sockets in turn, so requests still unread in the old one (a window of them
// behind a VPP that froze) would otherwise be applied after the new session has read VPP's state,
// and a route withdrawn meanwhile would come back behind the owner's back.
import net from 'node:net';
import { FrameReader, frame } from '../transport/frame.js';
import { BatchWriter } from '../transport/writer.js';
import { MEMCLNT, decodeSockclntCreateReply, encodeSockclntCreate, encodeSockclntDelete } from './handshake.js';
import { VppDisconnectedError, VppProtocolError } from './errors.js';
import { MessageTable, type MessageSet } from './message-table.js';
import type { VppLogger } from './types.js';

export interface ConnectedInfo {
  reconnect: boolean;
  clientIndex: number;
  messageCount: number;
}

export interface ConnectionOptions extends MessageSet {
  socketPath: string;
  timeoutMs: number;
  /** The handshake's time, and prepareSocket's (default timeoutMs): VppClientOptions.handshakeTimeoutMs. */
  handshakeTimeoutMs?: number;
  /** Backoff between reconnect attempts after a lost session; false: do not reconnect. */
  reconnect?: { minMs: number; maxMs: number } | false;
  clientName?: string;
  /** How long close() waits for VPP to answer its sockclnt_delete (default: 1 s, at most timeoutMs). */
  goodbyeMs?: number;
  /**
   * How long a session dropped without waiting (a reset, a protocol error) keeps its socket for VPP
   * to read what was written to it and the goodbye behind it, holding back the next session
   * (default: 300 s). Past it the socket is destroyed and what VPP had not read may still be
   * applied after the next session starts.
   */
  drainMs?: number;
  /** Replies read in bursts while many requests are in flight (see ReplyGather); false: as they come. */
  gather?: ReplyGather | false;
  /** Runs on each session's socket once connected, before the handshake (VppClientOptions.prepareSocket). */
  prepareSocket?: (socket: net.Socket) => Promise<void> | void;
}

/**
 * VPP sends every reply with a send() of its own, so a client that reads as soon as the socket
 * is readable reads one or two replies at a time (~700k reads for 1.2M routes), and each read
 * wakes it and costs both sides a system call. While at least `minInFlight` requests are in
 * flight, the socket is not read for `ms` after a read: VPP's replies gather in the socket (and in
 * VPP's output queue once the socket is full) and come in one read of a hundred or more, with no
 * wake-up per reply. Below `minInFlight` (a lone request, the tail of a burst) replies are read at once,
 * and so is what follows a read that filled the read buffer (more has gathered than one read holds).
 */
export interface ReplyGather {
  minInFlight: number;
  /** The pause, or with `perMs` the shortest one. */
  ms: number;
  /**
   * With `perMs` (and `maxMs`, then required), the pause is max(ms, min(maxMs, floor(n / perMs)))
   * ms, n being the requests still in flight after the read: a longer pause for a fuller window.
   * VPP answers each request with a send() of its own, which succeeds while its socket has room (a
   * system call, a buffer and a copy a reply) and fails at once when it is full (the replies then
   * wait in VPP's output queue and go out 4 KB a send() once the client reads), so the longer the
   * socket stays unread, the less VPP spends a reply. In one run of fibmgr's bench:real (its raw
   * client, fixed pauses, window and pause changed together) VPP took 5.70–6.09 s for 1.2M route
   * adds read every 1 ms with 4,096 in flight, 5.10–5.20 s every 4 ms with 8,192 and 4.92 s every
   * 8 ms with 16,384; VPP's time for the same pass varies by up to 10% from one to the next. Where
   * `perMs` sets the pause (n ≥ 2 × perMs), 512 makes it ~2 µs a request in flight, where VPP
   * takes ~4–5 µs to answer one: it answers about half of them meanwhile; 256, ~3.9 µs, most of
   * them, so that a window well past maxMs × perMs is what keeps VPP busy across the pause.
   */
  perMs?: number;
  maxMs?: number;
}

/**
 * `perMs` is not on by default: it pays with a window of 8,192 or more, which costs memory a
 * client may not want to spend. fibmgr turns it on for its route connection (window 32,768,
 * perMs 256, maxMs 32; its README, runs R, U and V: against a raw client reading every 8 ms, a 1 ms
 * pause at window 4,096 reached 0.81x; against one reading every 16–32 ms, pauses up to 8 ms 0.90x,
 * up to 32 ms 0.97x at window 16,384 and 0.99x at 32,768).
 */
export const DEFAULT_REPLY_GATHER: Readonly<ReplyGather> = { minInFlight: 64, ms: 1 };

/** What makes a ReplyGather unusable (null: it is usable); a pause must stay well under the request timeout, which it does not stop. */
export function gatherProblem(g: ReplyGather, timeoutMs: number): string | null {
  const positive = (v: number | undefined): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!positive(g.ms)) return `ms must be a positive number (${g.ms})`;
  if (!Number.isFinite(g.minInFlight) || g.minInFlight < 0) return `minInFlight must be a number ≥ 0 (${g.minInFlight})`;
  if (g.perMs === undefined && g.maxMs === undefined) return g.ms * 4 > timeoutMs ? `ms (${g.ms}) must be under a quarter of timeoutMs (${timeoutMs})` : null;
  if (!positive(g.perMs)) return `perMs must be a positive number (${g.perMs})`;
  if (!positive(g.maxMs) || g.maxMs! < g.ms) return `maxMs must be a number ≥ ms (${g.maxMs})`;
  return g.maxMs! * 4 > timeoutMs ? `maxMs (${g.maxMs}) must be under a quarter of timeoutMs (${timeoutMs})` : null;
}

/** How long to leave the socket unread with `inFlight` requests in flight after a read. */
export function gatherPauseMs(g: ReplyGather, inFlight: number): number {
  if (g.perMs === undefined || g.maxMs === undefined) return g.ms;
  return Math.max(g.ms, Math.min(g.maxMs, Math.floor(inFlight / g.perMs)));
}

/** One read's room: a reused buffer, so that reading allocates nothing. */
const READ_BUFFER = 64 * 1024;

/** After the goodbye, how long the socket may take to close before it is destroyed. */
const CLOSE_GRACE_MS = 200;

const DEFAULT_DRAIN_MS = 300_000;
/** The longest setTimeout() keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms`, an option's timer length, if from `min` to MAX_TIMER_MS; a RangeError naming it otherwise. */
function timerMs(name: string, ms: number, min: number): number {
  if (!Number.isFinite(ms) || ms < min || ms > MAX_TIMER_MS) throw new RangeError(`${name}: milliseconds from ${min} to ${MAX_TIMER_MS} (${ms})`);
  return ms;
}

export interface ConnectionHost {
  /** A session is up: its message table is `msgs`. */
  opened(info: ConnectedInfo): void;
  /** A message of the session (after the handshake): buf[s, e), message id first. */
  payload(buf: Buffer, s: number, e: number): void;
  /** The session ended; requests in flight are lost. `tell`: it was up and not closed by us (say so). */
  lost(reason: string, tell: boolean): void;
  reconnectFailed(err: Error): void;
  /** Requests sent and not yet answered (whether to gather replies). */
  inFlight(): number;
}

export class Connection {
  readonly writer = new BatchWriter(null);
  private readonly reader: FrameReader;
  private socket: net.Socket | null = null;
  /** The session completed its handshake and is not lost. */
  ready = false;
  closing = false;
  paused = false;
  /**
   * Reads of VPP's socket so far, every session's: VPP sends each reply with a send() of its own
   * while the socket has room, so how often a client reads sets much of VPP's cost (ReplyGather).
   */
  reads = 0;
  private everConnected = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  /** Reading stopped to let replies gather (ReplyGather); resumes when it fires. */
  private gatherTimer: NodeJS.Timeout | null = null;
  private readonly gather: ReplyGather | false;
  private onHandshake: ((buf: Buffer, s: number, e: number) => void) | null = null;
  private deleteWaiter: (() => void) | null = null;
  private closeDone: Promise<void> | null = null;
  /** close() waits on this for a handshake in flight. */
  private handshakeSettled: (() => void) | null = null;
  clientIndex = 0;
  msgs: MessageTable | null = null;
  readonly goodbyeMs: number;
  readonly drainMs: number;
  /** The connect's and the handshake's time, and prepareSocket's. */
  readonly handshakeMs: number;
  /** Sockets of dropped sessions that VPP has not yet read to their goodbye and closed (sendGoodbye). */
  private readonly draining = new Set<net.Socket>();
  /**
   * Settles once `draining` empties, or a close() ends the waits: one for all who wait (null: none
   * does), so that a wait given up (a close()'s, bounded) leaves nothing behind.
   */
  private drained: { promise: Promise<void>; wake: () => void } | null = null;
  /** The open() under way, waiting for `draining` or in its handshake: a second one joins it. */
  private opening: Promise<ConnectedInfo> | null = null;

  constructor(private readonly opts: ConnectionOptions, private readonly log: VppLogger, private readonly host: ConnectionHost) {
    this.goodbyeMs = opts.goodbyeMs ?? Math.min(1000, opts.timeoutMs);
    this.drainMs = timerMs('drainMs', opts.drainMs ?? DEFAULT_DRAIN_MS, 0);
    // unchecked when it is timeoutMs, as before: that one is measured on `now`, not a timer
    this.handshakeMs = opts.handshakeTimeoutMs === undefined ? opts.timeoutMs : timerMs('handshakeTimeoutMs', opts.handshakeTimeoutMs, 1);
    this.gather = opts.gather ?? DEFAULT_REPLY_GATHER;
    // the default's 1 ms is left to work with any timeout the application chose, as before
    const bad = opts.gather ? gatherProblem(opts.gather, opts.timeoutMs) : null;
    if (bad) throw new RangeError(`gatherReplies: ${bad}`);
    this.reader = new FrameReader((b, s, e) => {
      if (this.onHandshake) this.onHandshake(b, s, e);
      else if (this.socket) host.payload(b, s, e);
    });
  }

  /**
   * A new session, once VPP has read any dropped one to its goodbye (sendGoodbye); an open() under
   * way (the reconnect's, an explicit connect()) is joined rather than doubled.
   */
  open(reconnect: boolean): Promise<ConnectedInfo> {
    this.closing = false;
    this.closeDone = null;
    if (this.opening) return this.opening;
    let p: Promise<ConnectedInfo>;
    if (this.draining.size === 0) p = this.handshake(reconnect);
    else {
      this.log.info({ socket: this.opts.socketPath, sockets: this.draining.size }, 'vpp session waits for VPP to read the dropped one to its goodbye');
      p = this.afterDrain(reconnect);
    }
    const done = () => { if (this.opening === p) this.opening = null; };
    this.opening = p;
    p.then(done, done);
    return p;
  }

  private async afterDrain(reconnect: boolean): Promise<ConnectedInfo> {
    while (this.draining.size > 0) {
      // what this session waits for holds the process (a close() let it go)
      for (const sock of this.draining) sock.ref();
      await this.whenDrained();
      // a close() ends the wait; a connect() right after it waits on
      if (this.closing) throw new VppDisconnectedError('sockclnt_create', 'client closed before the handshake');
    }
    return this.handshake(reconnect);
  }

  private whenDrained(): Promise<void> {
    if (this.draining.size === 0) return Promise.resolve();
    if (!this.drained) {
      let wake!: () => void;
      const promise = new Promise<void>((res) => { wake = res; });
      this.drained = { promise, wake };
    }
    return this.drained.promise;
  }

  private handshake(reconnect: boolean): Promise<ConnectedInfo> {
    return new Promise<ConnectedInfo>((resolve, reject) => {
      // reads go into one buffer of this session (the reader's handlers may not keep it)
      const readBuf = Buffer.allocUnsafe(READ_BUFFER);
      const sock: net.Socket = net.createConnection({ path: this.opts.socketPath, onread: { buffer: readBuf, callback: (n) => { this.onRead(sock, readBuf, n); return true; } } });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        this.onHandshake = null;
        sock.destroy();
        reject(err);
        this.handshakeSettled?.();
      };
      this.reader.reset();
      this.socket = sock;
      sock.setNoDelay?.(true);
      // the connect and the handshake each have handshakeMs; prepareSocket's time is its own (below)
      const handshakeMs = this.handshakeMs;
      let hsTimer: NodeJS.Timeout | undefined;
      const handshakeTimer = () => {
        clearTimeout(hsTimer);
        hsTimer = setTimeout(() => fail(new VppProtocolError(`no handshake reply from VPP within ${handshakeMs} ms`)), handshakeMs);
        hsTimer.unref();
      };
      handshakeTimer();
      this.onHandshake = (buf, s, e) => {
        this.onHandshake = null;
        clearTimeout(hsTimer);
        let reply: ReturnType<typeof decodeSockclntCreateReply> | null = null;
        try {
          reply = decodeSockclntCreateReply(buf, s, e);
          if (reply.response !== 0) throw new VppProtocolError(`sockclnt_create refused: response ${reply.response}`);
          // close() came while VPP was registering us
          if (this.closing) throw new VppDisconnectedError('sockclnt_create', 'client closed during the handshake');
          this.msgs = new MessageTable(this.opts, reply.table, this.log);
          this.clientIndex = reply.index;
        } catch (err) {
          // VPP registered us (a CRC we refuse, say): leave as a client, not as a dropped socket
          const deleteId = reply?.response === 0 ? reply.table.get(MEMCLNT.sockclnt_delete) : undefined;
          if (reply && deleteId !== undefined && !settled) {
            settled = true;
            this.onHandshake = null;
            if (this.socket === sock) this.socket = null;
            this.sendGoodbye(sock, deleteId, reply.index);
            reject(err as Error);
            this.handshakeSettled?.();
            return;
          }
          fail(err as Error);
          return;
        }
        settled = true;
        this.ready = true;
        this.everConnected = true;
        this.reconnectAttempt = 0;
        this.writer.setSink(sock);
        const info: ConnectedInfo = { reconnect, clientIndex: this.clientIndex, messageCount: this.msgs.table.size };
        this.log.info({ socket: this.opts.socketPath, clientIndex: this.clientIndex, messages: info.messageCount, reconnect }, 'vpp connected');
        resolve(info);
        this.host.opened(info);
        this.handshakeSettled?.();
      };
      let helloSent = false;
      const hello = () => {
        if (helloSent || settled || this.socket !== sock) return;
        helloSent = true;
        // close() came while prepareSocket ran: VPP need not register us at all
        if (this.closing) return fail(new VppDisconnectedError('sockclnt_create', 'client closed before the handshake'));
        handshakeTimer();
        sock.write(frame(encodeSockclntCreate(0xffff_fff0 & Date.now(), this.opts.clientName ?? 'vpp-binapi-ts')));
      };
      sock.on('connect', () => {
        const prepare = this.opts.prepareSocket;
        if (!prepare) return hello();
        // a socket left as the system made it still works: say why, and go on (a hook that hangs
        // is given handshakeMs, then left behind)
        clearTimeout(hsTimer);
        const failed = (err: unknown) => {
          if (!helloSent && !settled) this.log.warn({ err: (err as Error)?.message ?? String(err), socket: this.opts.socketPath }, 'vpp socket: prepareSocket failed; the session goes on without it');
        };
        const hookTimer = setTimeout(() => { failed(new Error(`prepareSocket did not finish within ${handshakeMs} ms`)); hello(); }, handshakeMs);
        hookTimer.unref();
        Promise.resolve()
          .then(() => prepare(sock))
          .catch(failed)
          .then(() => { clearTimeout(hookTimer); hello(); });
      });
      sock.on('error', (err) => {
        if (!settled) fail(err);
        else if (this.socket === sock) this.log.warn({ err: err.message }, 'vpp socket error');
      });
      sock.on('close', () => {
        clearTimeout(hsTimer);
        if (!settled) {
          fail(new VppDisconnectedError('sockclnt_create', 'VPP closed the socket during the handshake'));
          return;
        }
        if (this.socket === sock) this.sessionLost('socket closed');
      });
    });
  }

  private onRead(sock: net.Socket, buf: Buffer, n: number): void {
    // a session left behind (reset, refused) may still talk: the reader is the current one's
    if (this.socket !== sock) return;
    this.reads++;
    try {
      this.reader.push(buf, n);
    } catch (err) {
      this.failure((err as Error).message, sock);
      return;
    }
    const g = this.gather;
    // a read that filled the buffer left more in the socket: read on at once (a pause would only
    // add `ms` per buffer to a backlog that has already gathered)
    if (!g || n >= buf.length || this.gatherTimer !== null || this.paused || this.socket !== sock) return;
    const inFlight = this.host.inFlight();
    if (inFlight >= g.minInFlight) {
      sock.pause();
      this.gatherTimer = setTimeout(() => {
        this.gatherTimer = null;
        if (!this.paused && this.socket === sock) sock.resume();
      }, gatherPauseMs(g, inFlight));
    }
  }

  private stopGathering(): void {
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    this.gatherTimer = null;
  }

  /**
   * Stops reading the socket until resume(): what VPP sends waits in the socket (and in VPP). A
   * pause is the session's: it ends with it, and there is none to take outside a session (before
   * the handshake's answer is read, or between sessions).
   */
  pause(): void {
    if (this.closing || !this.ready) return; // the goodbye's answer, or the handshake's, must be read
    this.paused = true;
    this.socket?.pause();
  }

  /** False when it was not paused. */
  resume(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    this.socket?.resume();
    return true;
  }

  /** VPP answered our sockclnt_delete. */
  deleted(): void {
    this.deleteWaiter?.();
  }

  /**
   * Ends the session as VPP expects (sockclnt_delete) and stops reconnecting. Bounded: VPP's
   * answer is awaited for goodbyeMs, the socket's close for 200 ms more (between sessions, a
   * dropped session's socket still draining for goodbyeMs), so that a wedged VPP cannot hold the
   * caller. Calling it again while it runs returns the same promise.
   */
  close(): Promise<void> {
    if (!this.closeDone) this.closeDone = this.goodbye();
    return this.closeDone;
  }

  private async goodbye(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.wakeDrainWaiters();
    let sock = this.socket;
    if (!sock) return this.releaseDraining();
    if (!this.ready && this.onHandshake) {
      // VPP may be registering us: its answer tells whom to say goodbye as (open() does it)
      await new Promise<void>((res) => {
        this.handshakeSettled = res;
        setTimeout(res, this.goodbyeMs).unref();
      });
      this.handshakeSettled = null;
      sock = this.socket;
      if (!sock) return this.releaseDraining();
    }
    if (this.paused) {
      this.paused = false;
      sock.resume();
    }
    if (this.ready && this.msgs) {
      let timer: NodeJS.Timeout | undefined;
      const answered = new Promise<boolean>((res) => {
        this.deleteWaiter = () => res(true);
        timer = setTimeout(() => res(false), this.goodbyeMs);
        timer.unref();
      });
      const msg = encodeSockclntDelete(this.msgs.deleteId, this.clientIndex);
      const at = this.writer.reserve(msg.length);
      msg.copy(this.writer.buffer, at);
      this.writer.flush();
      if (!(await answered)) this.log.warn({ socket: this.opts.socketPath, clientIndex: this.clientIndex, waitedMs: this.goodbyeMs }, 'vpp did not answer the goodbye (sockclnt_delete) in time: closing anyway');
      clearTimeout(timer);
      this.deleteWaiter = null;
    }
    this.ready = false;
    this.host.lost('client closed', false);
    await new Promise<void>((res) => {
      if (sock.destroyed) return res();
      sock.once('close', () => res());
      sock.end();
      setTimeout(() => sock.destroy(), CLOSE_GRACE_MS).unref();
    });
    await this.releaseDraining();
  }

  /**
   * close() and a dropped session still draining: VPP is given goodbyeMs to read it to its end;
   * past that its socket no longer holds the process (its bound, drainMs, still applies), and a
   * goodbye not yet handed to the kernel is lost if the process exits (VPP then sees an EOF alone).
   */
  private async releaseDraining(): Promise<void> {
    if (this.draining.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.whenDrained(), new Promise<void>((res) => { timer = setTimeout(res, this.goodbyeMs); timer.unref(); })]);
    clearTimeout(timer);
    if (!this.closing) return; // a connect() since waits for them
    for (const sock of this.draining) {
      if (sock.writableLength > 0) this.log.warn({ socket: this.opts.socketPath, unsentBytes: sock.writableLength }, 'vpp has not read the dropped session: its goodbye is still unsent, and lost if this process exits');
      sock.unref();
    }
  }

  /**
   * The goodbye for a session we drop without waiting (reset, protocol error, a refused table):
   * sockclnt_delete goes out behind whatever was written, then the socket ends. VPP frees the
   * registration when it reads the message — now, or once it answers again — and closes the
   * socket; until then the socket is kept (what VPP sends is read and discarded) and the next
   * session waits for it (the file's head says why), for at most drainMs.
   */
  private sendGoodbye(sock: net.Socket, deleteId: number, clientIndex: number): void {
    if (sock.destroyed) return;
    sock.end(frame(encodeSockclntDelete(deleteId, clientIndex)));
    sock.resume();
    // it holds the process only while a session waits for it (afterDrain): a client that does
    // not reconnect (a CLI's) exits as before
    sock.unref();
    this.draining.add(sock);
    const since = Date.now();
    const bound = setTimeout(() => {
      if (sock.destroyed) return;
      this.log.warn({ socket: this.opts.socketPath, clientIndex, waitedMs: this.drainMs }, 'vpp did not read the dropped session to its goodbye in time: destroying its socket (what VPP had not read may still be applied)');
      sock.destroy();
    }, this.drainMs);
    bound.unref();
    sock.once('close', () => {
      clearTimeout(bound);
      this.draining.delete(sock);
      this.log.info({ socket: this.opts.socketPath, clientIndex, waitedMs: Date.now() - since }, 'vpp dropped session closed');
      if (this.draining.size === 0) this.wakeDrainWaiters();
    });
  }

  private wakeDrainWaiters(): void {
    const d = this.drained;
    this.drained = null;
    d?.wake();
  }

  /** The byte stream cannot be trusted (or VPP stopped answering): a new session. */
  failure(reason: string, sock = this.socket): void {
    if (!sock) return;
    this.log.error({ socket: this.opts.socketPath, reason }, 'vpp protocol error, resetting the session');
    this.reader.reset();
    const current = this.socket === sock;
    const goodbye = current && this.ready && this.msgs ? this.msgs.deleteId : -1;
    const index = this.clientIndex;
    // draining before the owner hears of the loss: a connect() from its handler waits for it
    if (goodbye >= 0) this.sendGoodbye(sock, goodbye, index);
    if (current) this.sessionLost(`protocol error: ${reason}`);
    if (goodbye < 0) sock.destroy();
  }

  /** Ends the session at once (VPP holds the socket but answers nothing). */
  reset(reason: string): void {
    const sock = this.socket;
    if (!sock || !this.ready || !this.msgs) return;
    const deleteId = this.msgs.deleteId;
    const index = this.clientIndex;
    this.reader.reset();
    // draining before the owner hears of the loss: a connect() from its handler waits for it
    this.sendGoodbye(sock, deleteId, index);
    this.sessionLost(reason);
  }

  private sessionLost(reason: string): void {
    this.stopGathering();
    // the owner paused this session's reading (its dump failed with it): the next session reads,
    // and its requests time out, from the start
    this.paused = false;
    const wasReady = this.ready;
    this.ready = false;
    this.socket = null;
    this.writer.setSink(null);
    this.host.lost(reason, wasReady && !this.closing);
    this.deleteWaiter?.();
    if (this.closing) return;
    if (wasReady) this.log.warn({ socket: this.opts.socketPath, reason }, 'vpp session lost');
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
      // an explicit connect() may have opened a session meanwhile
      if (this.closing || this.ready) return;
      this.open(true).catch((err: Error) => {
        if (this.closing) return;
        this.log.warn({ socket: this.opts.socketPath, err: err.message, attempt: this.reconnectAttempt }, 'vpp reconnect failed');
        this.host.reconnectFailed(err);
        this.scheduleReconnect();
      });
    }, delay);
  }
}
