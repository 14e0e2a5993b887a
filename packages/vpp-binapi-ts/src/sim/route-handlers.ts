// The simulator's routes, tables and FIB sources: ip_route_add_del(_v2) with VPP's rules for
// tables, sources and path sets, the route and table dumps, lookups, table replace and flush.
import { RETVAL } from '../errors.js';
import { PATH_SIZE, SRC_API, prefixKey, type FibEntry, type FibTable } from './fib.js';
import { readName, writeName } from '../client/handshake.js';
import type { Conn, HandlerDef, SimWire } from './wire.js';

const GEN = 'e8d4e804';

export class RouteHandlers {
  constructor(private readonly w: SimWire) {}

  /** This session's ids of the route replies (looked up once per message table, not per route). */
  bind(): void {
    this.routeReplyId = this.w.idOf(this.routeReplyKey);
    this.routeReplyV2Id = this.w.idOf(this.routeReplyV2Key);
  }

  handlers(): Record<string, HandlerDef> {
    const w = this.w;
    const fib = w.fib;
    return {
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
          w.simple(c, `ip_table_add_del_reply_${GEN}`, ctx);
        },
      },
      ip_table_dump_51077d14: {
        reply: 'ip_table_details_c79fca0f', min: 10, errSize: 75,
        fn: (c, _b, _s, _e, ctx) => {
          // VPP lists the IPv4 tables, then the IPv6 ones, each in creation order.
          const all = [...fib.tables.values()];
          for (const t of [...all.filter((x) => !x.isIp6), ...all.filter((x) => x.isIp6)]) {
            const [o, at] = w.put(c, 'ip_table_details_c79fca0f', 75, ctx);
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
          if (!t) return w.simple(c, `ip_table_replace_begin_reply_${GEN}`, ctx, RETVAL.NO_SUCH_FIB);
          t.stale = new Set();
          for (const [k, en] of t.entries) if (en.sources.has(SRC_API)) t.stale.add(k);
          w.simple(c, `ip_table_replace_begin_reply_${GEN}`, ctx);
        },
      },
      ip_table_replace_end_b9d2e09e: {
        reply: `ip_table_replace_end_reply_${GEN}`, min: 15, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const t = fib.table(b[s + 14] !== 0, b.readUInt32BE(s + 10));
          if (!t) return w.simple(c, `ip_table_replace_end_reply_${GEN}`, ctx, RETVAL.NO_SUCH_FIB);
          for (const k of t.stale ?? []) {
            const en = t.entries.get(k);
            if (!en) continue;
            en.sources.delete(SRC_API);
            if (en.sources.size === 0) t.entries.delete(k);
          }
          t.stale = null;
          w.simple(c, `ip_table_replace_end_reply_${GEN}`, ctx);
        },
      },
      ip_table_flush_b9d2e09e: {
        reply: `ip_table_flush_reply_${GEN}`, min: 15, errSize: 10,
        fn: (c, b, s, _e, ctx) => {
          const t = fib.table(b[s + 14] !== 0, b.readUInt32BE(s + 10));
          if (!t) return w.simple(c, `ip_table_flush_reply_${GEN}`, ctx, RETVAL.NO_SUCH_FIB);
          for (const [k, en] of t.entries) {
            en.sources.delete(SRC_API);
            if (en.sources.size === 0) t.entries.delete(k);
          }
          w.simple(c, `ip_table_flush_reply_${GEN}`, ctx);
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
          if (fib.sources.length > 255) return w.refuse(c, 'fib_source_add_b3ac2aec', ctx, -162);
          const src = fib.addSource(b[s + 10]!, readName(b, s + 12));
          const [o, at] = w.put(c, 'fib_source_add_reply_604fd6f1', 11, ctx);
          o[at + 10] = src.id;
        },
      },
      fib_source_dump_51077d14: {
        reply: 'fib_source_details_8668acdb', min: 10, errSize: 72,
        fn: (c, _b, _s, _e, ctx) => {
          for (const src of fib.sources) {
            const [o, at] = w.put(c, 'fib_source_details_8668acdb', 72, ctx);
            o[at + 6] = src.priority;
            o[at + 7] = src.id;
            writeName(o, at + 8, src.name);
          }
        },
      },
    };
  }

  /** ip_route_add_del(_v2): VPP's rules for tables, sources and path sets. */
  routeAddDel(c: Conn, b: Buffer, s: number, e: number, ctx: number, v2: boolean): void {
    const replyKey = v2 ? 'ip_route_add_del_v2_reply_1992deab' : 'ip_route_add_del_reply_1992deab';
    const isAdd = b[s + 10] !== 0;
    if (isAdd) this.w.routeOps.add++;
    else this.w.routeOps.del++;
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
    const t = this.w.fib.table(isIp6, tableId);
    if (!t) return this.routeReply(c, replyKey, ctx, RETVAL.NO_SUCH_FIB, 0xffffffff);
    for (let i = 0; i < n; i++) {
      const p = pathsAt + i * PATH_SIZE;
      const type = b.readUInt32BE(p + 14);
      const proto = b.readUInt32BE(p + 22);
      // Out-of-enum values are refused; UDP_ENCAP without an encap object crashed the real VPP
      // (README, hazard-udpencap), the simulator refuses it instead.
      if (type > 10 || type === 3 || proto > 4) return this.routeReply(c, replyKey, ctx, RETVAL.INVALID_VALUE, 0xffffffff);
      const sw = b.readUInt32BE(p);
      if (type === 0 && sw !== 0xffffffff && !this.w.interfaces.has(sw)) return this.routeReply(c, replyKey, ctx, RETVAL.NO_MATCHING_INTERFACE, 0xffffffff);
    }
    let paths: Buffer[];
    if (src >= this.w.fib.sources.length) {
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
      const en = this.w.fib.entry(t, key, isIp6, b, s + 21, len);
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
    o.writeUInt16BE(key === this.routeReplyKey ? this.routeReplyId : key === this.routeReplyV2Key ? this.routeReplyV2Id : this.w.idOf(key), at);
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

  lookup(c: Conn, b: Buffer, s: number, ctx: number, v2: boolean): void {
    const replyKey = v2 ? 'ip_route_lookup_v2_reply_84cc9e03' : 'ip_route_lookup_reply_5d8febcb';
    const t = this.w.fib.table(b[s + 15] === 1, b.readUInt32BE(s + 10));
    const exact = b[s + 14] !== 0;
    const len = b[s + 32]!;
    let en: FibEntry | undefined;
    if (t) {
      if (exact) en = t.entries.get(prefixKey(b[s + 15] === 1, b, s + 16, len));
      else en = longestMatch(t, b, s + 16, len);
    }
    const src = en ? this.w.fib.best(en) : -1;
    if (!t || !en || src < 0) {
      const [o, at] = this.w.put(c, replyKey, v2 ? 38 : 37, ctx);
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
    const [o, at] = this.w.put(c, key, head + paths.length * PATH_SIZE, ctx);
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
