// One unix-socket session with VPP at a time: connect and handshake (sockclnt_create, the message
// table), framing in and batched writes out, reconnect with backoff after a lost session, and the
// orderly goodbye (sockclnt_delete). What the payloads mean is the client's business.
import net from 'node:net';
import { FrameReader, frame } from '../transport/frame.js';
import { BatchWriter } from '../transport/writer.js';
import { decodeSockclntCreateReply, encodeSockclntCreate } from './handshake.js';
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
  /** Backoff between reconnect attempts after a lost session; false: do not reconnect. */
  reconnect?: { minMs: number; maxMs: number } | false;
  clientName?: string;
}

export interface ConnectionHost {
  /** A session is up: its message table is `msgs`. */
  opened(info: ConnectedInfo): void;
  /** A message of the session (after the handshake): buf[s, e), message id first. */
  payload(buf: Buffer, s: number, e: number): void;
  /** The session ended; requests in flight are lost. `tell`: it was up and not closed by us (say so). */
  lost(reason: string, tell: boolean): void;
  reconnectFailed(err: Error): void;
}

export class Connection {
  readonly writer = new BatchWriter(null);
  private readonly reader: FrameReader;
  private socket: net.Socket | null = null;
  /** The session completed its handshake and is not lost. */
  ready = false;
  closing = false;
  paused = false;
  private everConnected = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private onHandshake: ((buf: Buffer, s: number, e: number) => void) | null = null;
  private deleteWaiter: (() => void) | null = null;
  clientIndex = 0;
  msgs: MessageTable | null = null;

  constructor(private readonly opts: ConnectionOptions, private readonly log: VppLogger, private readonly host: ConnectionHost) {
    this.reader = new FrameReader((b, s, e) => {
      if (this.onHandshake) this.onHandshake(b, s, e);
      else if (this.socket) host.payload(b, s, e);
    });
  }

  open(reconnect: boolean): Promise<ConnectedInfo> {
    this.closing = false;
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
      const hsTimer = setTimeout(() => fail(new VppProtocolError(`no handshake reply from VPP within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      hsTimer.unref();
      this.onHandshake = (buf, s, e) => {
        this.onHandshake = null;
        clearTimeout(hsTimer);
        try {
          const reply = decodeSockclntCreateReply(buf, s, e);
          if (reply.response !== 0) throw new VppProtocolError(`sockclnt_create refused: response ${reply.response}`);
          this.msgs = new MessageTable(this.opts, reply.table, this.log);
          this.clientIndex = reply.index;
        } catch (err) {
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
      };
      sock.on('connect', () => {
        sock.write(frame(encodeSockclntCreate(0xffff_fff0 & Date.now(), this.opts.clientName ?? 'fibmgr')));
      });
      sock.on('data', (chunk: Buffer) => {
        try {
          this.reader.push(chunk);
        } catch (err) {
          this.failure((err as Error).message, sock);
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
        if (this.socket === sock) this.sessionLost('socket closed');
      });
    });
  }

  /** Stops reading the socket until resume(): what VPP sends waits in the socket (and in VPP). */
  pause(): void {
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

  /** Ends the session as VPP expects (sockclnt_delete) and stops reconnecting. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const sock = this.socket;
    if (!sock) return;
    if (this.ready && this.msgs) {
      const done = new Promise<void>((res) => {
        this.deleteWaiter = res;
        setTimeout(res, Math.min(1000, this.opts.timeoutMs)).unref();
      });
      const at = this.writer.reserve(14);
      const b = this.writer.buffer;
      b.writeUInt16BE(this.msgs.deleteId, at);
      b.writeUInt32BE(this.clientIndex >>> 0, at + 2);
      b.writeUInt32BE(0, at + 6);
      b.writeUInt32BE(this.clientIndex >>> 0, at + 10);
      this.writer.flush();
      await done;
      this.deleteWaiter = null;
    }
    this.ready = false;
    this.host.lost('client closed', false);
    await new Promise<void>((res) => {
      if (sock.destroyed) return res();
      sock.once('close', () => res());
      sock.end();
      setTimeout(() => sock.destroy(), 200).unref();
    });
  }

  /** The byte stream cannot be trusted (or VPP stopped answering): a new session. */
  failure(reason: string, sock = this.socket): void {
    if (!sock) return;
    this.log.error({ socket: this.opts.socketPath, reason }, 'vpp protocol error, resetting the session');
    this.reader.reset();
    if (this.socket === sock) this.sessionLost(`protocol error: ${reason}`);
    sock.destroy();
  }

  /** Ends the session at once (VPP holds the socket but answers nothing). */
  reset(reason: string): void {
    const sock = this.socket;
    if (!sock || !this.ready) return;
    this.reader.reset();
    this.sessionLost(reason);
    sock.destroy();
  }

  private sessionLost(reason: string): void {
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
      if (this.closing) return;
      this.open(true).catch((err: Error) => {
        this.log.warn({ socket: this.opts.socketPath, err: err.message, attempt: this.reconnectAttempt }, 'vpp reconnect failed');
        this.host.reconnectFailed(err);
        this.scheduleReconnect();
      });
    }, delay);
  }
}
