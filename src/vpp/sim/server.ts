// A VPP simulator on a unix socket: the same framing, handshake and message table as the
// recorded VPP, an in-memory FIB with VPP's rules, and fault injection for tests. It decodes only
// the bytes it needs, straight from the frame, and writes its replies once per socket read.
import net from 'node:net';
import { existsSync, unlinkSync, readFileSync } from 'node:fs';
import { FrameReader } from '../transport/frame.js';
import { BatchWriter } from '../transport/writer.js';
import { SOCKCLNT_CREATE_ID, encodeSockclntCreateReply, readName, writeName } from '../client/handshake.js';
import { RETVAL } from '../errors.js';
import { PATH_SIZE, SRC_API, SimFib, prefixKey, type FibEntry, type FibTable } from './fib.js';

export interface SimInterface {
  swIfIndex: number;
  name: string;
  /** if_status_flags: 1 admin up, 2 link up */
  flags?: number;
  mac?: string;
  mtu?: number;
  devType?: string;
  /** af u8, 16-byte address, prefix length u8 each (address_with_prefix on the wire) */
  addresses?: Buffer[];
}

export interface SimLcpPair {
  phySwIfIndex: number;
  hostSwIfIndex: number;
  /** The Linux ifindex of the host tap: what zebra's next hops name. */
  vifIndex: number;
  hostIfName: string;
  netns?: string;
}

export interface VppSimOptions {
  socketPath: string;
  /** name_crc → id; default: the table recorded from the real VPP (855 messages). */
  messageTable?: Map<string, number>;
  /** Interfaces besides local0 (sw_if_index 0). */
  interfaces?: SimInterface[];
  /** What control_ping_reply reports as VPP's pid. */
  vpePid?: number;
}

/** Return a retval to refuse a request (the reply carries it), or undefined to handle it. */
export type RejectFn = (name: string, payload: Buffer) => number | undefined;

interface Conn {
  sock: net.Socket;
  out: BatchWriter;
  clientIndex: number;
  events: boolean;
  eventPid: number;
}

type Handler = (c: Conn, b: Buffer, s: number, e: number, ctx: number) => void;

interface HandlerDef {
  reply: string;
  /** smallest valid request payload */
  min: number;
  /** size of the reply carrying only an error */
  errSize: number;
  fn: Handler;
}

export function recordedMessageTable(): Map<string, number> {
  const url = new URL('./message-table.json', import.meta.url);
  const rows = JSON.parse(readFileSync(url, 'utf8')) as [number, string][];
  return new Map(rows.map(([id, key]) => [key, id]));
}

export class VppSim {
  readonly fib = new SimFib();
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
  reject: RejectFn | null = null;
  /** Never answer these message names (for timeout tests). */
  readonly silent = new Set<string>();
  vpePid: number;
  /** ip_route_add_del(_v2) requests by kind that got past `reject` (tests count deletes). */
  readonly routeOps = { add: 0, del: 0 };
  /** Requests that made a handler throw (each dropped without a reply); tests expect none. */
  readonly errors: string[] = [];

  private table: Map<string, number>;
  private nameById: string[] = [];
  private handlerById: (HandlerDef | undefined)[] = [];
  private idOf = new Map<string, number>();
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
    return this.table.get(keyOrName) ?? this.idOf.get(keyOrName);
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
    this.dropConnections();
    const srv = this.server;
    this.server = null;
    if (srv) await new Promise<void>((res) => srv.close(() => res()));
  }

  /** Closes every client socket (VPP crashed or the socket broke). */
  dropConnections(): void {
    for (const c of this.conns) c.sock.destroy();
    this.conns.clear();
  }

  /** A VPP restart: sockets closed, FIB and sources empty, optionally another message table. */
  restartEmpty(messageTable?: Map<string, number>): void {
    this.dropConnections();
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
    const c: Conn = {
      sock,
      clientIndex: -1,
      events: false,
      eventPid: 0,
      out: new BatchWriter({
        write(buf: Buffer) {
          if (sim.delayMs > 0) setTimeout(() => sock.destroyed || sock.write(buf), sim.delayMs);
          else sock.write(buf);
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
      try {
        reader.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      c.out.flush();
    });
    sock.on('error', () => {});
    sock.on('close', () => this.conns.delete(c));
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
    h.fn(c, b, s, e, ctx);
  }

  private sockclntCreate(c: Conn, b: Buffer, s: number, e: number): void {
    if (e - s < 6) return;
    const ctx = b.readUInt32BE(s + 2);
    c.clientIndex = this.nextClient;
    this.nextClient = this.nextClient >= 0xffffffff ? 0x80000001 : this.nextClient + 1;
    const reply = encodeSockclntCreateReply(ctx, c.clientIndex, this.table);
    const at = c.out.reserve(reply.length);
    reply.copy(c.out.buffer, at);
  }

  private put(c: Conn, key: string, size: number, ctx: number): [Buffer, number] {
    const at = c.out.reserve(size);
    const b = c.out.buffer;
    b.fill(0, at + 6, at + size);
    b.writeUInt16BE(this.idOf.get(key) ?? 0, at);
    b.writeUInt32BE(ctx >>> 0, at + 2);
    return [b, at];
  }

  private errorReply(c: Conn, h: HandlerDef, ctx: number, rv: number): void {
    const [b, at] = this.put(c, h.reply, h.errSize, ctx);
    b.writeInt32BE(rv, at + 6);
    // VPP reports no counter (~0) in a failed route change.
    if (h.reply.endsWith('_reply_1992deab')) b.writeUInt32BE(0xffffffff, at + 10);
  }

  private simple(c: Conn, key: string, ctx: number, rv = 0): void {
    const [b, at] = this.put(c, key, 10, ctx);
    b.writeInt32BE(rv, at + 6);
  }

  // --- message handlers --------------------------------------------------------------------------

  private bindTable(): void {
    this.nameById = [];
    this.handlerById = [];
    this.idOf = new Map();
    for (const [key, id] of this.table) {
      this.nameById[id] = key.replace(/_[0-9a-f]{8}$/, '');
      this.idOf.set(key, id);
    }
    this.routeReplyId = this.idOf.get(this.routeReplyKey) ?? 0;
    this.routeReplyV2Id = this.idOf.get(this.routeReplyV2Key) ?? 0;
    const defs = this.handlers();
    for (const [key, def] of Object.entries(defs)) {
      const id = this.table.get(key);
      if (id !== undefined && this.table.has(def.reply)) this.handlerById[id] = def;
    }
  }

  private handlers(): Record<string, HandlerDef> {
    const GEN = 'e8d4e804';
    const fib = this.fib;
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
          const [o, at] = this.put(c, 'sockclnt_delete_reply_8f38b1ee', 10, ctx);
          o.writeInt32BE(1, at + 6);
          c.out.flush();
          c.sock.end();
        },
      },
      memclnt_keepalive_reply_e8d4e804: { reply: 'memclnt_keepalive_reply_e8d4e804', min: 10, errSize: 10, fn: () => {} },
      show_version_51077d14: {
        reply: 'show_version_reply_c919bde1', min: 10, errSize: 362,
        fn: (c, _b, _s, _e, ctx) => {
          const [o, at] = this.put(c, 'show_version_reply_c919bde1', 362, ctx);
          o.write('vpe', at + 10, 'latin1');
          o.write('26.10-rc0~374-gb575ec2c56d', at + 42, 'latin1');
          o.write('vpp-sim', at + 74, 'latin1');
        },
      },
      ip_route_add_del_b8ecfe0d: {
        reply: 'ip_route_add_del_reply_1992deab', min: 39, errSize: 14,
        fn: (c, b, s, e, ctx) => this.routeAddDel(c, b, s, e, ctx, false),
      },
      ip_route_add_del_v2_521ef330: {
        reply: 'ip_route_add_del_v2_reply_1992deab', min: 40, errSize: 14,
        fn: (c, b, s, e, ctx) => this.routeAddDel(c, b, s, e, ctx, true),
      },
      [`ip_table_add_del_0ffdaec0`]: {
        reply: `ip_table_add_del_reply_${GEN}`, min: 80, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const isIp6 = b[s + 15] !== 0;
          const id = b.readUInt32BE(s + 11);
          if (b[s + 10]) fib.addTable(isIp6, id, readName(b, s + 16));
          else fib.deleteTable(isIp6, id);
          this.simple(c, `ip_table_add_del_reply_${GEN}`, ctx);
        },
      },
      ip_table_dump_51077d14: {
        reply: 'ip_table_details_c79fca0f', min: 10, errSize: 75,
        fn: (c, _b, _s, _e, ctx) => {
          // VPP lists the IPv4 tables, then the IPv6 ones, each in creation order.
          const all = [...fib.tables.values()];
          for (const t of [...all.filter((x) => !x.isIp6), ...all.filter((x) => x.isIp6)]) {
            const [o, at] = this.put(c, 'ip_table_details_c79fca0f', 75, ctx);
            o.writeUInt32BE(t.tableId, at + 6);
            o[at + 10] = t.isIp6 ? 1 : 0;
            writeName(o, at + 11, t.name);
          }
        },
      },
      ip_table_replace_begin_b9d2e09e: {
        reply: `ip_table_replace_begin_reply_${GEN}`, min: 15, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const t = fib.table(b[s + 14] !== 0, b.readUInt32BE(s + 10));
          if (!t) return this.simple(c, `ip_table_replace_begin_reply_${GEN}`, ctx, RETVAL.NO_SUCH_FIB);
          t.stale = new Set();
          for (const [k, en] of t.entries) if (en.sources.has(SRC_API)) t.stale.add(k);
          this.simple(c, `ip_table_replace_begin_reply_${GEN}`, ctx);
        },
      },
      ip_table_replace_end_b9d2e09e: {
        reply: `ip_table_replace_end_reply_${GEN}`, min: 15, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const t = fib.table(b[s + 14] !== 0, b.readUInt32BE(s + 10));
          if (!t) return this.simple(c, `ip_table_replace_end_reply_${GEN}`, ctx, RETVAL.NO_SUCH_FIB);
          for (const k of t.stale ?? []) {
            const en = t.entries.get(k);
            if (!en) continue;
            en.sources.delete(SRC_API);
            if (en.sources.size === 0) t.entries.delete(k);
          }
          t.stale = null;
          this.simple(c, `ip_table_replace_end_reply_${GEN}`, ctx);
        },
      },
      ip_table_flush_b9d2e09e: {
        reply: `ip_table_flush_reply_${GEN}`, min: 15, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const t = fib.table(b[s + 14] !== 0, b.readUInt32BE(s + 10));
          if (!t) return this.simple(c, `ip_table_flush_reply_${GEN}`, ctx, RETVAL.NO_SUCH_FIB);
          for (const [k, en] of t.entries) {
            en.sources.delete(SRC_API);
            if (en.sources.size === 0) t.entries.delete(k);
          }
          this.simple(c, `ip_table_flush_reply_${GEN}`, ctx);
        },
      },
      ip_route_dump_b9d2e09e: {
        reply: 'ip_route_details_bda8f315', min: 15, errSize: 33,
        fn: (c, b, s, _e, ctx) => {
          const t = fib.table(b[s + 14] !== 0, b.readUInt32BE(s + 10));
          if (!t) return;
          for (const en of t.entries.values()) {
            const src = fib.best(en);
            if (src >= 0) this.routeOut(c, 'ip_route_details_bda8f315', ctx, 6, t, en, src, -1);
          }
        },
      },
      ip_route_v2_dump_d16f72e6: {
        reply: 'ip_route_v2_details_b09aa6c0', min: 16, errSize: 34,
        fn: (c, b, s, _e, ctx) => {
          const want = b[s + 10]!;
          const t = fib.table(b[s + 15] !== 0, b.readUInt32BE(s + 11));
          if (!t) return;
          for (const en of t.entries.values()) {
            const src = want === 0 ? fib.best(en) : en.sources.has(want) ? want : -1;
            if (src >= 0) this.routeOut(c, 'ip_route_v2_details_b09aa6c0', ctx, 6, t, en, src, src);
          }
        },
      },
      ip_route_lookup_710d6471: {
        reply: 'ip_route_lookup_reply_5d8febcb', min: 33, errSize: 37,
        fn: (c, b, s, _e, ctx) => this.lookup(c, b, s, ctx, false),
      },
      ip_route_lookup_v2_710d6471: {
        reply: 'ip_route_lookup_v2_reply_84cc9e03', min: 33, errSize: 38,
        fn: (c, b, s, _e, ctx) => this.lookup(c, b, s, ctx, true),
      },
      fib_source_add_b3ac2aec: {
        reply: 'fib_source_add_reply_604fd6f1', min: 76, errSize: 11,
        fn: (c, b, s, _e, ctx) => {
          if (fib.sources.length > 255) return this.errorReply(c, this.handlerFor('fib_source_add_b3ac2aec')!, ctx, -162);
          const src = fib.addSource(b[s + 10]!, readName(b, s + 12));
          const [o, at] = this.put(c, 'fib_source_add_reply_604fd6f1', 11, ctx);
          o[at + 10] = src.id;
        },
      },
      fib_source_dump_51077d14: {
        reply: 'fib_source_details_8668acdb', min: 10, errSize: 72,
        fn: (c, _b, _s, _e, ctx) => {
          for (const src of fib.sources) {
            const [o, at] = this.put(c, 'fib_source_details_8668acdb', 72, ctx);
            o[at + 6] = src.priority;
            o[at + 7] = src.id;
            writeName(o, at + 8, src.name);
          }
        },
      },
      sw_interface_dump_aa610c27: {
        reply: 'sw_interface_details_6c221fc7', min: 19, errSize: 295,
        fn: (c, b, s, e, ctx) => {
          const only = b.readUInt32BE(s + 10);
          const filterValid = b[s + 14] !== 0;
          const flen = b.readUInt32BE(s + 15);
          const filter = filterValid ? b.toString('latin1', s + 19, Math.min(e, s + 19 + flen)) : '';
          for (const i of [...this.interfaces.values()].sort((x, y) => x.swIfIndex - y.swIfIndex)) {
            if (only !== 0xffffffff && i.swIfIndex !== only) continue;
            if (filterValid && !i.name.includes(filter)) continue;
            this.interfaceDetails(c, ctx, i);
          }
        },
      },
      want_interface_events_476f5a08: {
        reply: `want_interface_events_reply_${GEN}`, min: 18, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          c.events = b.readUInt32BE(s + 10) !== 0;
          c.eventPid = b.readUInt32BE(s + 14);
          this.simple(c, `want_interface_events_reply_${GEN}`, ctx);
        },
      },
      sw_interface_set_flags_f5aec1b8: {
        reply: `sw_interface_set_flags_reply_${GEN}`, min: 18, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const i = this.interfaces.get(b.readUInt32BE(s + 10));
          if (!i) return this.simple(c, `sw_interface_set_flags_reply_${GEN}`, ctx, RETVAL.INVALID_SW_IF_INDEX);
          // A loopback's link follows its admin state.
          i.flags = b.readUInt32BE(s + 14) & 1 ? 3 : 0;
          this.simple(c, `sw_interface_set_flags_reply_${GEN}`, ctx);
          this.interfaceEvent(i, false);
        },
      },
      create_loopback_instance_d36a3ee2: {
        reply: 'create_loopback_instance_reply_5383d31f', min: 21, errSize: 14,
        fn: (c, b, s, _e, ctx) => {
          const idx = Math.max(...this.interfaces.keys()) + 1;
          const inst = b[s + 16] ? b.readUInt32BE(s + 17) : idx - 1;
          const mac = [...b.subarray(s + 10, s + 16)].map((x) => x.toString(16).padStart(2, '0')).join(':');
          const i: SimInterface = { swIfIndex: idx, name: `loop${inst}`, flags: 0, mac, mtu: 9000, devType: 'Loopback' };
          this.interfaces.set(idx, i);
          const [o, at] = this.put(c, 'create_loopback_instance_reply_5383d31f', 14, ctx);
          o.writeUInt32BE(idx, at + 10);
          this.interfaceEvent(i, false);
        },
      },
      sw_interface_add_del_address_5463d73b: {
        reply: `sw_interface_add_del_address_reply_${GEN}`, min: 34, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const i = this.interfaces.get(b.readUInt32BE(s + 10));
          if (!i) return this.simple(c, `sw_interface_add_del_address_reply_${GEN}`, ctx, RETVAL.INVALID_SW_IF_INDEX);
          const addr = Buffer.from(b.subarray(s + 16, s + 34)); // af, 16-byte union, len
          const list = (i.addresses ??= []);
          if (b[s + 15]) list.length = 0;
          else if (b[s + 14]) {
            if (!list.some((a) => a.equals(addr))) list.push(addr);
          } else {
            const k = list.findIndex((a) => a.equals(addr));
            if (k < 0) return this.simple(c, `sw_interface_add_del_address_reply_${GEN}`, ctx, -60); // ADDRESS_NOT_FOUND_FOR_INTERFACE
            list.splice(k, 1);
          }
          this.simple(c, `sw_interface_add_del_address_reply_${GEN}`, ctx);
        },
      },
      ip_address_dump_2d033de4: {
        reply: 'ip_address_details_ee29b797', min: 15, errSize: 28,
        fn: (c, b, s, _e, ctx) => {
          const i = this.interfaces.get(b.readUInt32BE(s + 10));
          const af = b[s + 14] ? 1 : 0;
          for (const a of i?.addresses ?? []) {
            if (a[0] !== af) continue;
            const [o, at] = this.put(c, 'ip_address_details_ee29b797', 28, ctx);
            o.writeUInt32BE(i!.swIfIndex, at + 6);
            a.copy(o, at + 10);
          }
        },
      },
      mpls_table_add_del_57817512: {
        reply: `mpls_table_add_del_reply_${GEN}`, min: 79, errSize: 10,
        fn: (c, _b, _s, _e, ctx) => this.simple(c, `mpls_table_add_del_reply_${GEN}`, ctx),
      },
      // linux-cp: a stream of pair details closed by the reply (cursor ~0: nothing more).
      lcp_itf_pair_get_f75ba505: {
        reply: 'lcp_itf_pair_get_reply_53b48f5d', min: 14, errSize: 14,
        fn: (c, _b, _s, _e, ctx) => {
          for (const p of this.lcpPairs) {
            const [o, at] = this.put(c, 'lcp_itf_pair_details_8b5481af', 67, ctx);
            o.writeUInt32BE(p.phySwIfIndex, at + 6);
            o.writeUInt32BE(p.hostSwIfIndex, at + 10);
            o.writeUInt32BE(p.vifIndex, at + 14);
            o.write(p.hostIfName.slice(0, 15), at + 18, 'latin1');
            o.write((p.netns ?? '').slice(0, 31), at + 35, 'latin1');
          }
          const [o, at] = this.put(c, 'lcp_itf_pair_get_reply_53b48f5d', 14, ctx);
          o.writeUInt32BE(0xffffffff, at + 10);
        },
      },
      mpls_route_add_del_8e1d1e07: {
        reply: 'mpls_route_add_del_reply_1992deab', min: 24, errSize: 14,
        fn: (c, b, s, e, ctx) => {
          const n = b[s + 23]!;
          if (e - s < 24 + n * PATH_SIZE) return this.errorReply(c, this.handlerFor('mpls_route_add_del_8e1d1e07')!, ctx, RETVAL.INVALID_VALUE);
          const [o, at] = this.put(c, 'mpls_route_add_del_reply_1992deab', 14, ctx);
          o.writeUInt32BE(0xffffffff, at + 10);
        },
      },
    };
  }

  private handlerFor(key: string): HandlerDef | undefined {
    const id = this.table.get(key);
    return id === undefined ? undefined : this.handlerById[id];
  }

  /** ip_route_add_del(_v2): VPP's rules for tables, sources and path sets. */
  private routeAddDel(c: Conn, b: Buffer, s: number, e: number, ctx: number, v2: boolean): void {
    const replyKey = v2 ? 'ip_route_add_del_v2_reply_1992deab' : 'ip_route_add_del_reply_1992deab';
    const isAdd = b[s + 10] !== 0;
    if (isAdd) this.routeOps.add++;
    else this.routeOps.del++;
    const multipath = b[s + 11] !== 0;
    const tableId = b.readUInt32BE(s + 12);
    const af = b[s + 20]!;
    const len = b[s + 37]!;
    const n = b[s + 38]!;
    let src = v2 ? b[s + 39]! : SRC_API;
    if (src === 0) src = SRC_API;
    const pathsAt = s + (v2 ? 40 : 39);
    if (e - pathsAt < n * PATH_SIZE || af > 1 || len > (af ? 128 : 32)) return this.routeReply(c, replyKey, ctx, RETVAL.INVALID_VALUE, 0xffffffff);
    const isIp6 = af === 1;
    const t = this.fib.table(isIp6, tableId);
    if (!t) return this.routeReply(c, replyKey, ctx, RETVAL.NO_SUCH_FIB, 0xffffffff);
    for (let i = 0; i < n; i++) {
      const p = pathsAt + i * PATH_SIZE;
      const type = b.readUInt32BE(p + 14);
      const proto = b.readUInt32BE(p + 22);
      // Out-of-enum values are refused; UDP_ENCAP without an encap object crashed the real VPP
      // (README, hazard-udpencap), the simulator refuses it instead.
      if (type > 10 || type === 3 || proto > 4) return this.routeReply(c, replyKey, ctx, RETVAL.INVALID_VALUE, 0xffffffff);
      const sw = b.readUInt32BE(p);
      if (type === 0 && sw !== 0xffffffff && !this.interfaces.has(sw)) return this.routeReply(c, replyKey, ctx, RETVAL.NO_MATCHING_INTERFACE, 0xffffffff);
    }
    let paths: Buffer[];
    if (src >= this.fib.sources.length) {
      // An unallocated source: VPP answered 0 and installed a drop (hazard-src.json).
      const drop = Buffer.alloc(PATH_SIZE);
      drop.writeUInt32BE(0xffffffff, 0);
      drop[12] = 1;
      drop.writeUInt32BE(2, 14);
      drop.writeUInt32BE(isIp6 ? 1 : 0, 22);
      paths = [drop];
    } else paths = this.internPaths(b, pathsAt, n);
    const key = prefixKey(isIp6, b, s + 21, len);
    let stats = 0xffffffff;
    if (isAdd) {
      if (n === 0) return this.routeReply(c, replyKey, ctx, -52, 0xffffffff); // NO_PATHS_IN_ROUTE
      const en = this.fib.entry(t, key, isIp6, b, s + 21, len);
      const have = en.sources.get(src);
      if (!multipath || !have) en.sources.set(src, paths);
      else en.sources.set(src, [...have, ...paths.filter((p) => !have.some((h) => h.equals(p)))]);
      if (src === SRC_API) t.stale?.delete(key);
      stats = en.statsIndex;
    } else {
      const en = t.entries.get(key);
      if (en && en.sources.has(src)) {
        if (n === 0) en.sources.delete(src);
        else {
          const left = en.sources.get(src)!.filter((h) => !paths.some((p) => samePath(h, p)));
          if (left.length) en.sources.set(src, left);
          else en.sources.delete(src);
        }
        if (en.sources.size === 0) t.entries.delete(key);
      }
    }
    this.routeReply(c, replyKey, ctx, 0, stats);
  }

  private routeReply(c: Conn, key: string, ctx: number, rv: number, stats: number): void {
    const at = c.out.reserve(14);
    const o = c.out.buffer;
    o.writeUInt16BE(key === this.routeReplyKey ? this.routeReplyId : key === this.routeReplyV2Key ? this.routeReplyV2Id : this.idOf.get(key) ?? 0, at);
    o.writeUInt32BE(ctx >>> 0, at + 2);
    o.writeInt32BE(rv, at + 6);
    o.writeUInt32BE(stats >>> 0, at + 10);
  }
  private readonly routeReplyKey = 'ip_route_add_del_reply_1992deab';
  private routeReplyId = 0;
  private readonly routeReplyV2Key = 'ip_route_add_del_v2_reply_1992deab';
  private routeReplyV2Id = 0;

  // Routes programmed in bulk mostly share their path set: keep one copy of the last one seen.
  /**
   * Path sets by content: a full table uses a few hundred distinct sets, so routes share their
   * path buffers (keyed by a hash of the bytes, compared in full on a hit). Bounded: past the
   * limit a set is simply not remembered.
   */
  private readonly pathSets = new Map<number, { bytes: Buffer; paths: Buffer[] }[]>();
  private pathSetCount = 0;

  private internPaths(b: Buffer, at: number, n: number): Buffer[] {
    const end = at + n * PATH_SIZE;
    // hash the fields that tell paths apart (sw_if_index, weight, type, next hop, first label);
    // a hit is confirmed by comparing every byte
    let h = 0x811c9dc5 ^ n;
    for (let p = at; p < end; p += PATH_SIZE) {
      h = Math.imul(h ^ b.readInt32LE(p), 16777619);
      h = Math.imul(h ^ b[p + 12]!, 16777619);
      h = Math.imul(h ^ b[p + 17]!, 16777619);
      h = Math.imul(h ^ b.readInt32LE(p + 26), 16777619);
      h = Math.imul(h ^ b.readInt32LE(p + 38), 16777619);
      h = Math.imul(h ^ b.readInt32LE(p + 56), 16777619);
    }
    const bucket = this.pathSets.get(h);
    if (bucket) for (const c of bucket) if (c.bytes.length === end - at && c.bytes.compare(b, at, end) === 0) return c.paths;
    const bytes = Buffer.from(b.subarray(at, end));
    const paths: Buffer[] = [];
    for (let k = 0; k < n; k++) paths.push(bytes.subarray(k * PATH_SIZE, (k + 1) * PATH_SIZE));
    if (this.pathSetCount < 100_000) {
      this.pathSetCount++;
      if (bucket) bucket.push({ bytes, paths });
      else this.pathSets.set(h, [{ bytes, paths }]);
    }
    return paths;
  }

  private lookup(c: Conn, b: Buffer, s: number, ctx: number, v2: boolean): void {
    const replyKey = v2 ? 'ip_route_lookup_v2_reply_84cc9e03' : 'ip_route_lookup_reply_5d8febcb';
    const t = this.fib.table(b[s + 15] === 1, b.readUInt32BE(s + 10));
    const exact = b[s + 14] !== 0;
    const len = b[s + 32]!;
    let en: FibEntry | undefined;
    if (t) {
      if (exact) en = t.entries.get(prefixKey(b[s + 15] === 1, b, s + 16, len));
      else en = longestMatch(t, b, s + 16, len);
    }
    const src = en ? this.fib.best(en) : -1;
    if (!t || !en || src < 0) {
      const [o, at] = this.put(c, replyKey, v2 ? 38 : 37, ctx);
      o.writeInt32BE(RETVAL.NO_SUCH_ENTRY, at + 6);
      return;
    }
    const o = this.routeOut(c, replyKey, ctx, 10, t, en, src, v2 ? src : -1);
    void o;
  }

  /** Writes a route {table_id, stats_index, prefix, n_paths, [src], paths} at `routeAt` of the message. */
  private routeOut(c: Conn, key: string, ctx: number, routeAt: number, t: FibTable, en: FibEntry, src: number, v2src: number): void {
    const paths = en.sources.get(src)!;
    const head = routeAt + 27 + (v2src >= 0 ? 1 : 0);
    const [o, at] = this.put(c, key, head + paths.length * PATH_SIZE, ctx);
    const r = at + routeAt;
    o.writeUInt32BE(t.tableId, r);
    o.writeUInt32BE(en.statsIndex, r + 4);
    o[r + 8] = en.isIp6 ? 1 : 0;
    en.writeAddr(o, r + 9);
    o[r + 25] = en.len;
    o[r + 26] = paths.length;
    if (v2src >= 0) o[r + 27] = v2src;
    let p = at + head;
    for (const path of paths) {
      path.copy(o, p);
      p += PATH_SIZE;
    }
  }

  private interfaceDetails(c: Conn, ctx: number, i: SimInterface): void {
    const [o, at] = this.put(c, 'sw_interface_details_6c221fc7', 295, ctx);
    o.writeUInt32BE(i.swIfIndex, at + 6);
    o.writeUInt32BE(i.swIfIndex, at + 10);
    (i.mac ?? '00:00:00:00:00:00').split(':').forEach((x, k) => (o[at + 14 + k] = parseInt(x, 16)));
    o.writeUInt32BE(i.flags ?? 0, at + 20);
    o.writeUInt16BE(i.mtu ?? 0, at + 36);
    for (let k = 0; k < 4; k++) o.writeUInt32BE(i.mtu ?? 0, at + 38 + k * 4);
    writeName(o, at + 103, i.name);
    writeName(o, at + 167, i.devType ?? '');
  }

  private interfaceEvent(i: SimInterface, deleted: boolean): void {
    for (const c of this.conns) {
      if (!c.events) continue;
      const at = c.out.reserve(19);
      const o = c.out.buffer;
      o.fill(0, at, at + 19);
      o.writeUInt16BE(this.idOf.get('sw_interface_event_2d3d95a7') ?? 0, at);
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
      o.writeUInt16BE(this.idOf.get('memclnt_keepalive_51077d14') ?? 0, at);
      o.writeUInt32BE(c.clientIndex >>> 0, at + 2);
      o.writeUInt32BE(0x4b41, at + 6);
      c.out.flush();
    }
  }
}

/** Same next hop as far as a path removal goes: everything but weight and preference. */
function samePath(a: Buffer, b: Buffer): boolean {
  return a.compare(b, 0, 12, 0, 12) === 0 && a.compare(b, 14, PATH_SIZE, 14, PATH_SIZE) === 0;
}

function longestMatch(t: FibTable, b: Buffer, addrOff: number, maxLen: number): FibEntry | undefined {
  const addr = Buffer.from(b.subarray(addrOff, addrOff + 16));
  for (let len = maxLen; len >= 0; len--) {
    const m = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) {
      const bits = Math.max(0, Math.min(8, len - i * 8));
      m[i] = addr[i]! & ((0xff << (8 - bits)) & 0xff);
    }
    const en = t.entries.get(prefixKey(t.isIp6, m, 0, len));
    if (en) return en;
  }
  return undefined;
}
