// A VPP simulator on a unix socket: the same framing, handshake and message table as the
// recorded VPP, an in-memory FIB with VPP's rules, and fault injection for tests. It decodes only
// the bytes it needs, straight from the frame, and writes its replies once per socket read.
import net from 'node:net';
import { existsSync, unlinkSync, readFileSync } from 'node:fs';
import { FrameReader } from '../transport/frame.js';
import { BatchWriter } from '../transport/writer.js';
import { SOCKCLNT_CREATE_ID, encodeSockclntCreateReply } from '../client/handshake.js';
import { SimFib } from './fib.js';
import { interfaceHandlers } from './interface-handlers.js';
import { RouteHandlers } from './route-handlers.js';
import { SimMpls, mplsHandlers } from './mpls-handlers.js';
import { readName } from '../client/handshake.js';
import type { Conn, HandlerDef, RejectFn, SimInterface, SimLcpPair, SimSession, SimWire, VppSimOptions } from './wire.js';

export type { SimInterface, SimLcpPair, SimSession, VppSimOptions, RejectFn } from './wire.js';

export function recordedMessageTable(): Map<string, number> {
  const url = new URL('./message-table.json', import.meta.url);
  const rows = JSON.parse(readFileSync(url, 'utf8')) as [number, string][];
  return new Map(rows.map(([id, key]) => [key, id]));
}

export class VppSim implements SimWire {
  readonly fib = new SimFib();
  /** MPLS tables, label entries and MPLS-enabled interfaces. */
  readonly mpls = new SimMpls();
  readonly interfaces = new Map<number, SimInterface>();
  /** linux-cp interface pairs that lcp_itf_pair_get lists (the plugin is in the recorded table). */
  readonly lcpPairs: SimLcpPair[] = [];
  /**
   * Requests seen by message id (handled, rejected or dropped), named when asked: no Map update
   * by name for every request of a bulk run.
   */
  private readonly countById = new Float64Array(65536);
  /** Fault injection. */
  delayMs = 0;
  /** Replies written while held (holdReplies()), in order, until releaseReplies(). */
  private heldReplies: (() => void)[] | null = null;
  reject: RejectFn | null = null;
  /** Never answer these message names (for timeout tests). */
  readonly silent = new Set<string>();
  /**
   * Requests to apply without answering (true: the reply is lost), as a VPP that acts on a
   * request and answers too late or never: the client times out, yet the FIB changed.
   */
  swallow: ((name: string, payload: Buffer) => boolean) | null = null;
  /** Where swallowed replies go. */
  private readonly lostReplies = new BatchWriter(null);
  vpePid: number;
  /** ip_route_add_del(_v2) requests by kind that got past `reject` (tests count deletes). */
  readonly routeOps = { add: 0, del: 0 };
  /** Requests that made a handler throw (each dropped without a reply); tests expect none. */
  readonly errors: string[] = [];
  /** Bytes read from clients and written to them (a harness on virtual time waits for these to stand still). */
  bytesIn = 0;
  bytesOut = 0;
  /** A wedged VPP (freeze()): requests wait unread in the sockets until thaw(). */
  private frozen = false;
  /** Client sockets accepted since start, frozen or not (a session is recorded only once its handshake is read). */
  accepted = 0;
  /** The client sessions since start (the last 1000), oldest first: did each end with sockclnt_delete? */
  readonly sessions: SimSession[] = [];
  /**
   * Names of sessions whose clients died without a goodbye and that VPP still holds (its EOF spin,
   * docs/upstream/vpp-socket-eof-spin.md): listed by `show api clients` until a CLI `exec` that
   * fails lets VPP reap them, as the real VPP does. Tests put names here.
   */
  readonly deadSessions: string[] = [];

  private table: Map<string, number>;
  private nameById: string[] = [];
  private handlerById: (HandlerDef | undefined)[] = [];
  private ids = new Map<string, number>();
  private readonly routes = new RouteHandlers(this);
  private server: net.Server | null = null;
  private readonly conns = new Set<Conn>();
  private nextClient = 0x80000001;
  private readonly opts: VppSimOptions;

  constructor(opts: VppSimOptions) {
    this.opts = opts;
    this.vpePid = opts.vpePid ?? 17308;
    this.table = opts.messageTable ?? recordedMessageTable();
    this.resetInterfaces();
    this.bindTable();
  }

  get messageTable(): Map<string, number> {
    return this.table;
  }

  /** The id this sim gives a message (by name_crc or bare name). */
  msgId(keyOrName: string): number | undefined {
    return this.table.get(keyOrName) ?? this.ids.get(keyOrName);
  }

  async start(): Promise<this> {
    if (existsSync(this.opts.socketPath)) unlinkSync(this.opts.socketPath);
    this.server = net.createServer((sock) => this.accept(sock));
    await new Promise<void>((res, rej) => {
      this.server!.once('error', rej);
      this.server!.listen(this.opts.socketPath, () => res());
    });
    return this;
  }

  async stop(): Promise<void> {
    this.heldReplies = null; // their sockets are dropped below
    this.dropConnections();
    const srv = this.server;
    this.server = null;
    if (srv) await new Promise<void>((res) => srv.close(() => res()));
  }

  /** VPP stops reading its API sockets (a stalled main thread): requests wait, unanswered, until thaw(). */
  freeze(): void {
    this.frozen = true;
    for (const c of this.conns) c.sock.pause();
  }

  /** VPP reads again: what waited is answered, late. */
  thaw(): void {
    this.frozen = false;
    for (const c of this.conns) c.sock.resume();
  }

  /** Closes every client socket (VPP crashed or the socket broke). */
  dropConnections(): void {
    for (const c of this.conns) c.sock.destroy();
    this.conns.clear();
  }

  /** A VPP restart: sockets closed, FIB and sources empty, optionally another message table. */
  restartEmpty(messageTable?: Map<string, number>): void {
    this.dropConnections();
    this.frozen = false;
    this.heldReplies = null; // a new VPP answers at once
    this.fib.reset();
    this.countById.fill(0);
    this.routeOps.add = this.routeOps.del = 0;
    this.resetInterfaces();
    if (messageTable) {
      this.table = messageTable;
      this.bindTable();
    }
    this.nextClient = 0x80000001;
  }

  /** Offer a different CRC for a message, as another VPP build would. */
  setCrc(name: string, crc: string): void {
    const t = new Map<string, number>();
    for (const [k, id] of this.table) t.set(k.replace(/_[0-9a-f]{8}$/, '') === name ? `${name}_${crc}` : k, id);
    this.table = t;
    this.bindTable();
  }

  /** The same messages with other ids (ids differ between builds and plugin sets). */
  static shuffledTable(table: Map<string, number>, offset: number): Map<string, number> {
    const max = Math.max(...table.values());
    const out = new Map<string, number>();
    for (const [k, id] of table) out.set(k, id <= 28 ? id : 29 + ((id - 29 + offset) % (max - 28)));
    return out;
  }

  /** Requests seen, by message name (handled, rejected or dropped). */
  get counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (let id = 0; id < this.countById.length; id++) {
      const n = this.countById[id]!;
      if (n === 0) continue;
      const name = this.nameById[id] ?? `unknown-id-${id}`;
      m.set(name, (m.get(name) ?? 0) + n);
    }
    return m;
  }

  /**
   * Holds every reply (the handshake's too) until releaseReplies(): a VPP whose answers are on
   * their way for as long as a test needs, where delayMs would race the test's next step.
   */
  holdReplies(): void {
    this.heldReplies ??= [];
  }

  /** Sends the held replies, in order, and stops holding. */
  releaseReplies(): void {
    const held = this.heldReplies ?? [];
    this.heldReplies = null;
    for (const out of held) out();
  }

  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  private resetInterfaces(): void {
    this.interfaces.clear();
    this.interfaces.set(0, { swIfIndex: 0, name: 'local0', flags: 0, mac: '00:00:00:00:00:00', mtu: 0, devType: 'local' });
    for (const i of this.opts.interfaces ?? []) this.interfaces.set(i.swIfIndex, { ...i });
  }

  // --- connections -----------------------------------------------------------------------------

  private accept(sock: net.Socket): void {
    const sim = this;
    this.accepted++;
    const c: Conn = {
      sock,
      clientIndex: -1,
      events: false,
      eventPid: 0,
      session: null,
      out: new BatchWriter({
        write(buf: Buffer) {
          const out = () => {
            if (sock.destroyed) return;
            sim.bytesOut += buf.length;
            sock.write(buf);
          };
          if (sim.heldReplies) sim.heldReplies.push(out);
          else if (sim.delayMs > 0) setTimeout(out, sim.delayMs);
          else out();
        },
      }),
    };
    this.conns.add(c);
    const reader = new FrameReader((b, s, e) => {
      try {
        this.onRequest(c, b, s, e);
      } catch (err) {
        // A request the handlers did not foresee: dropped, as VPP drops what it cannot parse.
        this.errors.push(`${this.nameById[b.readUInt16BE(s)] ?? 'unknown'}: ${(err as Error).message}`);
      }
    });
    sock.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      try {
        reader.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      c.out.flush();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.conns.delete(c);
      if (c.session) c.session.closed = true;
    });
    if (this.frozen) sock.pause();
  }

  private onRequest(c: Conn, b: Buffer, s: number, e: number): void {
    if (e - s < 2) return;
    const id = b.readUInt16BE(s);
    if (id === SOCKCLNT_CREATE_ID && c.clientIndex < 0) return this.sockclntCreate(c, b, s, e);
    const h = this.handlerById[id];
    this.countById[id]++;
    // VPP: no handler → nothing; truncated → dropped; a foreign client_index → no reply.
    if (!h || e - s < h.min || b.readUInt32BE(s + 2) !== c.clientIndex) return;
    if (this.silent.size > 0 && this.silent.has(this.nameById[id] ?? `unknown-id-${id}`)) return;
    const ctx = b.readUInt32BE(s + 6);
    if (this.reject) {
      const rv = this.reject(this.nameById[id] ?? `unknown-id-${id}`, b.subarray(s, e));
      if (rv !== undefined) return this.errorReply(c, h, ctx, rv);
    }
    if (this.swallow?.(this.nameById[id] ?? `unknown-id-${id}`, b.subarray(s, e))) return h.fn({ ...c, out: this.lostReplies }, b, s, e, ctx);
    h.fn(c, b, s, e, ctx);
  }

  private sockclntCreate(c: Conn, b: Buffer, s: number, e: number): void {
    if (e - s < 6) return;
    const ctx = b.readUInt32BE(s + 2);
    c.clientIndex = this.nextClient;
    c.session = { index: c.clientIndex, name: e - s >= 70 ? readName(b, s + 6) : '', deleted: false, closed: false };
    this.sessions.push(c.session);
    if (this.sessions.length > 1000) this.sessions.shift();
    this.nextClient = this.nextClient >= 0xffffffff ? 0x80000001 : this.nextClient + 1;
    const reply = encodeSockclntCreateReply(ctx, c.clientIndex, this.table);
    const at = c.out.reserve(reply.length);
    reply.copy(c.out.buffer, at);
  }

  put(c: Conn, key: string, size: number, ctx: number): [Buffer, number] {
    const at = c.out.reserve(size);
    const b = c.out.buffer;
    b.fill(0, at + 6, at + size);
    b.writeUInt16BE(this.idOf(key), at);
    b.writeUInt32BE(ctx >>> 0, at + 2);
    return [b, at];
  }

  private errorReply(c: Conn, h: HandlerDef, ctx: number, rv: number): void {
    const [b, at] = this.put(c, h.reply, h.errSize, ctx);
    b.writeInt32BE(rv, at + 6);
    // VPP reports no counter (~0) in a failed route change.
    if (h.reply.endsWith('_reply_1992deab')) b.writeUInt32BE(0xffffffff, at + 10);
  }

  simple(c: Conn, key: string, ctx: number, rv = 0): void {
    const [b, at] = this.put(c, key, 10, ctx);
    b.writeInt32BE(rv, at + 6);
  }

  // --- message handlers --------------------------------------------------------------------------

  private bindTable(): void {
    this.nameById = [];
    this.handlerById = [];
    this.ids = new Map();
    for (const [key, id] of this.table) {
      this.nameById[id] = key.replace(/_[0-9a-f]{8}$/, '');
      this.ids.set(key, id);
    }
    this.routes.bind();
    const defs = this.handlers();
    for (const [key, def] of Object.entries(defs)) {
      const id = this.table.get(key);
      if (id !== undefined && this.table.has(def.reply)) this.handlerById[id] = def;
    }
  }

  private handlers(): Record<string, HandlerDef> {
    return {
      control_ping_51077d14: {
        reply: 'control_ping_reply_f6b0b8ca', min: 10, errSize: 18,
        fn: (c, _b, _s, _e, ctx) => {
          const [o, at] = this.put(c, 'control_ping_reply_f6b0b8ca', 18, ctx);
          o.writeUInt32BE(c.clientIndex >>> 0, at + 10);
          o.writeUInt32BE(this.vpePid, at + 14);
        },
      },
      sockclnt_delete_8ac76db6: {
        reply: 'sockclnt_delete_reply_8f38b1ee', min: 14, errSize: 10,
        fn: (c, _b, _s, _e, ctx) => {
          if (c.session) c.session.deleted = true;
          const [o, at] = this.put(c, 'sockclnt_delete_reply_8f38b1ee', 10, ctx);
          o.writeInt32BE(1, at + 6);
          c.out.flush();
          c.sock.end();
        },
      },
      memclnt_keepalive_reply_e8d4e804: { reply: 'memclnt_keepalive_reply_e8d4e804', min: 10, errSize: 10, fn: () => {} },
      cli_inband_f8377302: {
        reply: 'cli_inband_reply_05879051', min: 14, errSize: 14,
        fn: (c, b, s, e, ctx) => this.cli(c, b.toString('latin1', s + 14, Math.min(e, s + 14 + b.readUInt32BE(s + 10))), ctx),
      },
      show_version_51077d14: {
        reply: 'show_version_reply_c919bde1', min: 10, errSize: 362,
        fn: (c, _b, _s, _e, ctx) => {
          const [o, at] = this.put(c, 'show_version_reply_c919bde1', 362, ctx);
          o.write('vpe', at + 10, 'latin1');
          o.write('26.10-rc0~374-gb575ec2c56d', at + 42, 'latin1');
          o.write('vpp-sim', at + 74, 'latin1');
        },
      },
      ...this.routes.handlers(),
      ...mplsHandlers(this, this.mpls),
      ...interfaceHandlers(this),
    };
  }

  /** The two commands the simulator's CLI knows, answered as VPP words them. */
  private cli(c: Conn, cmd: string, ctx: number): void {
    let text = '';
    let rv = 0;
    if (cmd.trim() === 'show api clients') {
      const rows = [...this.conns].filter((x) => x.session && !x.session.deleted).map((x, i) => [x.session!.name, 13 + i] as const);
      rows.push(...this.deadSessions.map((name, i) => [name, 100 + i] as const));
      text = `Socket clients\n${'Name'.padStart(20)} ${'Fildesc'.padStart(8)}\n${rows.map(([n, fd]) => `${n.padStart(20)} ${String(fd).padStart(8)}\n`).join('')}`;
    } else if (cmd.startsWith('exec ')) {
      // the file cannot be read: the failed open() is what lets VPP reap dead sessions
      this.deadSessions.length = 0;
      rv = -1;
    }
    const body = Buffer.from(text, 'latin1');
    const [o, at] = this.put(c, 'cli_inband_reply_05879051', 14 + body.length, ctx);
    o.writeInt32BE(rv, at + 6);
    o.writeUInt32BE(body.length, at + 10);
    body.copy(o, at + 14);
  }

  idOf(key: string): number {
    return this.ids.get(key) ?? 0;
  }

  refuse(c: Conn, key: string, ctx: number, rv: number): void {
    const id = this.table.get(key);
    const h = id === undefined ? undefined : this.handlerById[id];
    if (h) this.errorReply(c, h, ctx, rv);
  }

  interfaceEvent(i: SimInterface, deleted: boolean): void {
    for (const c of this.conns) {
      if (!c.events) continue;
      const at = c.out.reserve(19);
      const o = c.out.buffer;
      o.fill(0, at, at + 19);
      o.writeUInt16BE(this.idOf('sw_interface_event_2d3d95a7'), at);
      o.writeUInt32BE(c.clientIndex >>> 0, at + 2);
      o.writeUInt32BE(c.eventPid, at + 6);
      o.writeUInt32BE(i.swIfIndex, at + 10);
      o.writeUInt32BE(i.flags ?? 0, at + 14);
      o[at + 18] = deleted ? 1 : 0;
    }
  }

  /** Sends memclnt_keepalive to every client, as VPP does to idle ones. */
  keepalive(): void {
    for (const c of this.conns) {
      if (c.clientIndex < 0) continue;
      const at = c.out.reserve(10);
      const o = c.out.buffer;
      o.writeUInt16BE(this.idOf('memclnt_keepalive_51077d14'), at);
      o.writeUInt32BE(c.clientIndex >>> 0, at + 2);
      o.writeUInt32BE(0x4b41, at + 6);
      c.out.flush();
    }
  }
}
