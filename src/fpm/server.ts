// The FPM listener: accepts zebra's TCP connection, runs each session's bytes through a fresh
// decoder and hands the events to the RouteSink. One session at a time: zebra only ever keeps one
// connection, so a new one means zebra restarted or reconnected and the old one is dead.
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { RouteSink } from '../route/sink.js';
import type { ErrorEvent, RouteEvent } from '../route/types.js';
import { FPM_HEADER_LEN, FPM_MSG_NETLINK, FPM_MSG_PROTOBUF, checkHeader } from './frame.js';
import type { PeerCheck, PeerVerdict } from './peer-check.js';
import { LogThrottle } from '../log-throttle.js';
import { NotifyWriter } from './notify-writer.js';
import type { FpmSender } from './session-decoder.js';
import type { FpmRecorder } from './recorder.js';

/** What the server needs of a decoder (FpmSessionDecoder): one per session, fed every chunk. */
export interface SessionDecoder {
  push(chunk: Buffer): RouteEvent[];
  readonly fatal: ErrorEvent | null;
  readonly stats: { frames: number; routes: number; nexthopGroups: number; errors: number };
  /** Which zebra module the session's messages show (FpmSessionDecoder.sender). */
  readonly sender?: FpmSender;
}

/** Route notifications back to zebra: auto = to sessions that show they are dplane_fpm_nl. */
export type OffloadNotify = 'auto' | 'on' | 'off';

export interface FpmServerOptions {
  host: string;
  port: number;
  /** A fresh decoder for each session, e.g. `() => new FpmSessionDecoder({ weights })`. */
  decoder: () => SessionDecoder;
  sink: RouteSink;
  logger: Logger;
  /** Who may connect (address, socket owner); without it anyone may (tests). */
  peerCheck?: PeerCheck;
  /** Route notifications (default auto). */
  notify?: OffloadNotify;
  /** How long a second connection may take to send its first frame before it is closed (default 30 s). */
  candidateTimeoutMs?: number;
  /** One log line per refused peer (address and owner) per this interval (default 10 s); all are counted. */
  refusalLogIntervalMs?: number;
  /** Tests: monotonic milliseconds for the refusal log. */
  now?: () => number;
  /**
   * The process ("pid@start") holding a local peer's socket, by its inode (socket-owner.ts): the
   * sink is told which zebra each session is from. Without it, sessions name no process.
   */
  socketOwner?: (inode: number) => Promise<string | null>;
  /** Each session's frames into a file (--record-fpm). */
  recorder?: FpmRecorder;
}

/** Connections waiting to prove themselves (a valid first frame) while a session is live. */
const MAX_CANDIDATES = 4;

/**
 * Bytes decoded and applied at a time. A 64 KB read holds about a thousand routes; their events,
 * all alive until applied, are what a young-generation GC finds alive and promotes when it runs
 * meanwhile (~230 KB a scavenge in the sync bench, growing the old generation by 200 MB of garbage
 * during a replay). Eight pieces a read keep that an eighth.
 */
const PIECE = 8192;

/**
 * Pieces decoded and applied per event-loop turn; the rest of a read waits for the next turn.
 * VPP's API socket held ~3.5 ms of its work with the system's send buffer (390-byte route requests), and
 * route writes go out once a turn: a turn that decodes a whole 64 KB read (~1,000 routes, 4–6 ms)
 * leaves VPP idle for the difference. Two pieces are ~1 ms.
 */
const PIECES_PER_TURN = 2;

export type SessionState = 'none' | 'up' | 'paused';

export interface FpmSessionInfo {
  id: number;
  peer: string;
  state: Exclude<SessionState, 'none'>;
  bytes: number;
  frames: number;
  routes: number;
  nexthopGroups: number;
  errors: number;
  since: Date;
}

export interface FpmServerStats {
  state: SessionState;
  session: FpmSessionInfo | null;
  /** Sessions accepted since start (the count of zebra (re)connects). */
  sessionsTotal: number;
  /** Sessions we closed because their byte stream was broken. */
  sessionsFailed: number;
  bytesTotal: number;
  framesTotal: number;
  routesTotal: number;
  /** Connections refused before any byte counted, by reason kind. */
  refused: Record<string, number>;
  /** Connections being admitted (their peer check or owner lookup has not answered yet). */
  admitting?: number;
}

interface Candidate {
  socket: Socket;
  peer: string;
  /** The process holding its other end (socket-owner.ts), or null. */
  zebraProcess: string | null;
  chunks: Buffer[];
  bytes: number;
  timer: NodeJS.Timeout;
}

interface Session {
  id: number;
  socket: Socket;
  peer: string;
  decoder: SessionDecoder;
  bytes: number;
  since: Date;
  paused: boolean;
  /** Reading stopped until the event loop has had a turn (see onData). */
  yielding: boolean;
  /** Bytes read and not decoded yet: the rest of a read beyond a turn's pieces (PIECES_PER_TURN). */
  pending: Buffer[];
  /** decodePending is on the stack (a sink's apply may call back into the server). */
  decoding: boolean;
  /** Why the session ends once what is pending has been applied (set by endSession; null: it goes on). */
  endingFor: string | null;
  ended: boolean;
  /** Decoder errors already looked at. */
  errorsSeen: number;
  /** Kinds of unusable message already logged at warn in this session (then debug: a replay repeats them). */
  logged: Set<string>;
  /** Route notifications to zebra, once the session takes them. */
  notifier: NotifyWriter | null;
}

export class FpmServer {
  private readonly server: Server;
  private current: Session | null = null;
  private nextId = 1;
  private sessionsFailed = 0;
  private bytesTotal = 0;
  private routesTotal = 0;
  private framesTotal = 0;
  private readonly refused: Record<string, number> = {};
  private readonly candidates = new Set<Candidate>();
  /** Connections whose peer check has not answered yet: not read at all meanwhile. */
  private readonly checking = new Set<Socket>();
  private closing = false;
  private readonly refusals: LogThrottle;
  private readonly log: Logger;

  constructor(private readonly opts: FpmServerOptions) {
    this.log = opts.logger.child({ component: 'fpm' });
    this.refusals = new LogThrottle({ intervalMs: opts.refusalLogIntervalMs ?? 10_000, now: opts.now });
    // Paused from the start: the kernel holds a connection's bytes until it is let in, so nothing
    // of a stranger is read, let alone decoded, whatever the check's timing.
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.accept(s));
    // One drain callback for the server's lifetime; it resumes whichever session is current.
    opts.sink.onDrain(() => this.resume());
  }

  listen(): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', onError);
        this.server.on('error', (e) => this.log.error({ err: e }, 'fpm listener error'));
        const a = this.server.address() as AddressInfo;
        this.log.info({ host: a.address, port: a.port }, 'listening for zebra FPM');
        resolve({ port: a.port, host: a.address });
      });
    });
  }

  /** Stops accepting and ends the current session. */
  close(): Promise<void> {
    this.closing = true;
    for (const s of this.checking) s.destroy();
    this.checking.clear();
    for (const c of this.candidates) this.dropCandidate(c, null);
    if (this.current) this.endSession(this.current, 'server closing');
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Drops the current session (zebra reconnects and replays its table). */
  dropSession(reason = 'dropped by request'): boolean {
    if (!this.current) return false;
    this.endSession(this.current, reason);
    return true;
  }

  get stats(): FpmServerStats {
    const s = this.current;
    return {
      state: s ? (s.paused ? 'paused' : 'up') : 'none',
      session: s ? this.info(s) : null,
      sessionsTotal: this.nextId - 1,
      sessionsFailed: this.sessionsFailed,
      bytesTotal: this.bytesTotal,
      framesTotal: this.framesTotal,
      routesTotal: this.routesTotal,
      refused: { ...this.refused },
      admitting: this.checking.size,
    };
  }

  private info(s: Session): FpmSessionInfo {
    const st = s.decoder.stats;
    return {
      id: s.id, peer: s.peer, state: s.paused ? 'paused' : 'up', bytes: s.bytes,
      frames: st.frames, routes: st.routes, nexthopGroups: st.nexthopGroups, errors: st.errors, since: s.since,
    };
  }

  /** Counted each time; logged once per peer address and owner per interval (a flood is one line, with its count). */
  private refuse(socket: Socket, peer: string, kind: string, reason: string, uid?: number): void {
    this.refused[kind] = (this.refused[kind] ?? 0) + 1;
    const told = this.refusals.admit(`${kind}|${socket.remoteAddress ?? '?'}|${uid ?? ''}`);
    socket.destroy();
    if (!told) return;
    this.log.warn({ peer, kind, reason, uid, session: this.current?.id, refusedSinceLastLine: told.held || undefined },
      'fpm connection refused: not zebra\'s (the live session is untouched; more from this peer are counted, logged once per interval)');
  }

  private accept(socket: Socket): void {
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.on('error', () => undefined); // errors of a refused or waiting socket end it; nothing else
    if (!this.opts.peerCheck) return this.admit(socket, peer);
    this.checking.add(socket);
    this.opts.peerCheck.check(socket.remoteAddress, socket.remotePort, socket.localAddress, socket.localPort).then(
      (v) => this.checked(socket, peer, v),
      (err: Error) => this.checked(socket, peer, { ok: false, kind: 'owner', reason: `peer check failed: ${err.message}` }),
    );
  }

  private checked(socket: Socket, peer: string, v: PeerVerdict): void {
    if (!this.checking.has(socket) || this.closing) return void this.unchecked(socket);
    if (!v.ok) {
      this.checking.delete(socket);
      return this.refuse(socket, peer, v.kind, v.reason, v.uid);
    }
    const owner = v.inode !== undefined && this.opts.socketOwner ? this.opts.socketOwner(v.inode).catch(() => null) : Promise.resolve(null);
    void owner.then((zebraProcess) => {
      if (!this.checking.has(socket) || this.closing) return void this.unchecked(socket);
      this.checking.delete(socket);
      if (socket.destroyed) return;
      this.admit(socket, peer, zebraProcess);
    });
  }

  private unchecked(socket: Socket): void {
    this.checking.delete(socket);
    socket.destroy();
  }

  /** A connection that passed the check: the session, or a candidate to replace it. */
  private admit(socket: Socket, peer: string, zebraProcess: string | null = null): void {
    if (!this.current) return this.startSession(socket, peer, [], zebraProcess);
    // A session is live: a new connection replaces it only once it has sent a valid frame, so
    // that a stray connection never forces zebra off and into a full replay.
    if (this.candidates.size >= MAX_CANDIDATES) return this.refuse(socket, peer, 'too-many-waiting', `${MAX_CANDIDATES} connections already wait to replace the live session`);
    const c: Candidate = {
      socket, peer, zebraProcess, chunks: [], bytes: 0,
      timer: setTimeout(() => this.dropCandidate(c, 'sent no frame in time'), this.opts.candidateTimeoutMs ?? 30_000),
    };
    c.timer.unref();
    this.candidates.add(c);
    this.log.info({ peer, session: this.current.id }, 'second fpm connection: it replaces the live session once it sends a valid frame');
    socket.on('data', (chunk: Buffer) => this.candidateData(c, chunk));
    socket.on('close', () => this.dropCandidate(c, null));
    socket.resume();
  }

  private candidateData(c: Candidate, chunk: Buffer): void {
    if (!this.candidates.has(c)) return;
    c.chunks.push(chunk);
    c.bytes += chunk.length;
    const head = c.chunks.length === 1 ? chunk : Buffer.concat(c.chunks);
    if (head.length < FPM_HEADER_LEN) return;
    const length = (head[2]! << 8) | head[3]!;
    const bad = checkHeader(head[0]!, length) ?? (head[1] !== FPM_MSG_NETLINK && head[1] !== FPM_MSG_PROTOBUF ? `FPM message type ${head[1]}` : null);
    if (bad) return this.dropCandidate(c, `first frame invalid: ${bad}`);
    if (head.length < length) return;
    // the first frame must decode cleanly on a decoder of its own (nothing of it is applied yet)
    const probe = this.opts.decoder();
    probe.push(head.subarray(0, length));
    if (probe.fatal || probe.stats.errors > 0) return this.dropCandidate(c, 'first frame does not decode');
    this.candidates.delete(c);
    clearTimeout(c.timer);
    c.socket.removeAllListeners('data');
    c.socket.removeAllListeners('close');
    const old = this.current;
    if (old) {
      this.log.warn({ session: old.id, peer: old.peer, newPeer: c.peer }, 'fpm session replaced by a new connection that sent a valid frame');
      this.endSession(old, `replaced by ${c.peer}`);
    }
    this.startSession(c.socket, c.peer, [head], c.zebraProcess);
  }

  private dropCandidate(c: Candidate, reason: string | null): void {
    if (!this.candidates.delete(c)) return;
    clearTimeout(c.timer);
    if (reason) this.refuse(c.socket, c.peer, 'invalid-first-frame', reason);
    else c.socket.destroy();
  }

  private startSession(socket: Socket, peer: string, buffered: Buffer[], zebraProcess: string | null): void {
    const s: Session = {
      id: this.nextId++, socket, peer,
      decoder: this.opts.decoder(),
      bytes: 0, since: new Date(), paused: false, yielding: false, pending: [], decoding: false, endingFor: null, ended: false, errorsSeen: 0, logged: new Set(),
      notifier: null,
    };
    this.current = s;
    // libuv (1.46, Node 20) sets TCP_KEEPIDLE 10 s, TCP_KEEPINTVL 1 s and TCP_KEEPCNT 10 with this
    // (seen with strace): a zebra that died silently is noticed in about 20 s, not the kernel
    // default's 11 minutes.
    socket.setKeepAlive(true, 10_000);
    this.log.info({ session: s.id, peer, zebraProcess: zebraProcess ?? undefined }, 'fpm session up');
    this.opts.recorder?.sessionStart(s.id);
    this.opts.sink.sessionStart(s.id, zebraProcess);
    socket.on('data', (chunk: Buffer) => this.onData(s, chunk));
    socket.on('end', () => this.endSession(s, 'closed by peer'));
    socket.on('close', () => this.endSession(s, 'connection closed'));
    socket.on('error', (e) => this.endSession(s, `socket error: ${e.message}`));
    if (this.opts.sink.congested) this.pause(s);
    else socket.resume();
    for (const b of buffered) this.onData(s, b);
  }

  private onData(s: Session, chunk: Buffer): void {
    if (s.ended) return;
    this.opts.recorder?.data(s.id, chunk);
    s.bytes += chunk.length;
    this.bytesTotal += chunk.length;
    s.pending.push(chunk);
    if (s.yielding) return; // (chunks a candidate buffered, handed over at once) the turn's decoding is scheduled
    this.decodeTurn(s);
    this.yieldTurn(s);
  }

  /** A turn's pieces of what is pending; reading stays stopped while the sink is past its bound. */
  private decodeTurn(s: Session): void {
    this.decodePending(s, PIECES_PER_TURN);
    if (this.opts.sink.congested) this.pause(s);
  }

  /**
   * Decodes and applies up to `pieces` pieces of what is pending, in order. Only a broken byte
   * stream ends the session (what follows it is dropped); a message we cannot use costs that message.
   * An end asked for meanwhile (from inside the sink's apply) applies the rest here, then ends the
   * session: never a decoding nested in apply (events out of turn, pieces counted twice).
   */
  private decodePending(s: Session, pieces: number): void {
    if (s.decoding) return;
    s.decoding = true;
    try {
      this.decodePieces(s, pieces);
    } finally {
      s.decoding = false;
    }
    if (s.endingFor !== null) this.endSession(s, s.endingFor);
  }

  private decodePieces(s: Session, pieces: number): void {
    const st = s.decoder.stats;
    while ((s.endingFor !== null || pieces-- > 0) && s.pending.length > 0 && !s.ended) {
      const head = s.pending[0]!;
      const piece = head.length <= PIECE ? head : head.subarray(0, PIECE);
      if (piece === head) s.pending.shift();
      else s.pending[0] = head.subarray(PIECE);
      const routes0 = st.routes;
      const frames0 = st.frames;
      const events: RouteEvent[] = s.decoder.push(piece);
      if (s.decoder.stats.errors !== s.errorsSeen) this.noteUnusable(s, events);
      if (s.notifier === null && events.length) this.maybeNotify(s);
      if (events.length) this.opts.sink.apply(s.id, events);
      this.routesTotal += st.routes - routes0;
      this.framesTotal += st.frames - frames0;
      const bad = s.decoder.fatal;
      if (bad) {
        this.sessionsFailed++;
        this.log.error({ session: s.id, peer: s.peer, offset: bad.offset, reason: bad.reason }, 'bad FPM input: closing the session');
        this.endSession(s, `bad input at offset ${bad.offset}: ${bad.reason}`, false);
        return;
      }
    }
  }

  /** Route notifications start once the session shows it reads them (before the events that told). */
  private maybeNotify(s: Session): void {
    const mode = this.opts.notify ?? 'auto';
    const sender = s.decoder.sender ?? 'unknown';
    if (mode === 'off' || !this.opts.sink.attachReporter) return;
    if (mode === 'auto' ? sender !== 'dplane_fpm_nl' : sender === 'protobuf') return;
    s.notifier = new NotifyWriter(s.socket);
    this.log.info({ session: s.id, sender, mode }, 'route notifications to zebra on (what VPP holds is reported back)');
    this.opts.sink.attachReporter(s.id, s.notifier);
  }

  /** Logs the messages of this piece that could not be used: once per kind a session at warn. */
  private noteUnusable(s: Session, events: RouteEvent[]): void {
    s.errorsSeen = s.decoder.stats.errors;
    for (const ev of events) {
      if (ev.kind !== 'error' || ev === s.decoder.fatal) continue;
      const fields = {
        session: s.id, peer: s.peer, offset: ev.offset, what: ev.what, reason: ev.reason,
        route: ev.route ? `${ev.route.table} ${ev.route.prefix}` : undefined,
      };
      if (s.logged.has(ev.what)) this.log.debug(fields, 'FPM message not usable: skipped');
      else {
        s.logged.add(ev.what);
        this.log.warn(fields, 'FPM message not usable: skipped (the session goes on; later ones of this kind are logged at debug)');
      }
    }
  }

  /**
   * libuv reads a socket up to 32 times in a row while data is there: two megabytes of zebra's
   * replay decoded and applied before anything else runs. Meanwhile VPP's replies wait unread
   * and the write window stays full, so VPP runs dry. Reading stops until the event loop has come
   * round (so that replies, writes and input take turns); each turn decodes the next pieces of
   * what was read, and reading resumes once nothing is pending (and the sink is not congested).
   */
  private yieldTurn(s: Session): void {
    if (s.yielding || s.ended) return;
    s.yielding = true;
    s.socket.pause();
    setImmediate(() => {
      s.yielding = false;
      if (s.ended) return;
      if (s.pending.length > 0) {
        this.decodeTurn(s);
        if (s.ended) return;
        if (s.pending.length > 0) return this.yieldTurn(s);
      }
      if (!s.paused) s.socket.resume();
    });
  }

  private pause(s: Session): void {
    if (s.paused || s.ended) return;
    s.paused = true;
    s.socket.pause();
    this.log.debug({ session: s.id }, 'sink congested: fpm reading paused');
  }

  private resume(): void {
    const s = this.current;
    if (!s || !s.paused || s.ended || this.opts.sink.congested) return;
    s.paused = false;
    if (!s.yielding && s.pending.length === 0) s.socket.resume();
    this.log.debug({ session: s.id }, 'sink drained: fpm reading resumed');
  }

  /**
   * `drain`: what was read and not decoded yet is applied first, as it would have been had it come
   * in smaller reads (false after broken input: the rest is dropped; nothing is applied once the
   * server closes).
   */
  private endSession(s: Session, reason: string, drain = true): void {
    if (s.ended) return;
    if (drain && !this.closing && s.pending.length > 0) {
      // the first reason stands; a decoding under way (this is called from inside apply) drains and ends
      s.endingFor ??= reason;
      if (!s.decoding) this.decodePending(s, Infinity);
      return; // ended once the rest is applied, or at the broken input in it
    }
    s.pending = [];
    s.ended = true;
    if (this.current === s) this.current = null;
    s.socket.destroy();
    this.opts.recorder?.sessionEnd(s.id);
    const st = s.decoder.stats;
    this.log.info({ session: s.id, peer: s.peer, reason, bytes: s.bytes, frames: st.frames, routes: st.routes, nexthopGroups: st.nexthopGroups, errors: st.errors }, 'fpm session down');
    this.opts.sink.sessionEnd(s.id, reason);
  }
}
