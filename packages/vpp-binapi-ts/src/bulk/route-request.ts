// ip_route_add_del(_v2) for bulk programming. A full table has a million routes and a few hundred
// path sets, so the paths (167 bytes each, the bulk of every request) are encoded once per set by
// the generated codec — with all its checks — and copied; per route only the head is written:
// context, is_add, table, prefix, path count, source. The prefix comes in binary, as its address
// words (PrefixWords): no text is made per route to be parsed back.
// Same name, CRC and bytes as the generated definition (a test compares them), so the client
// treats it as that message.
import { VppEncodeError } from '../codec/runtime.js';
import type { MessageDef } from '../client/types.js';

/** Bytes of one fib_path on the wire. */
export const PATH_BYTES = 167;

// Buffer's own fill() and copy() validate their arguments in JS and cross into C++ on every
// call: for 18 and a few hundred bytes per route that is most of their cost. The typed-array
// builtins do the same work inside V8.
const fill = Uint8Array.prototype.fill;
const set = Uint8Array.prototype.set;

function u32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/**
 * A network in binary: its family, its length and its address as 32-bit words, most significant
 * first (IPv4 in w0; the words past the family's are not read). A caller whose own prefix objects
 * have these fields hands them over as they are.
 */
export interface PrefixWords {
  readonly family: 4 | 6;
  readonly len: number;
  readonly w0: number; readonly w1: number; readonly w2: number; readonly w3: number;
}

/** The fields this encoder takes (the client adds client_index and context). */
export interface RouteRequest {
  client_index?: number;
  context?: number;
  is_add: boolean;
  table: number;
  prefix: PrefixWords;
  /** Our FIB source (v2 only). */
  src: number;
  /** Encoded fib_path bytes, n × 167 (from pathBytes()). */
  paths: Uint8Array;
}

export type RouteRequestDef = MessageDef<RouteRequest, unknown> & {
  /** The wire bytes of a path array (generated fib_path fields), to hand over as `paths`. */
  pathBytes(paths: readonly object[]): Buffer;
};

/**
 * A definition for `gen` (the generated ip_route_add_del or ip_route_add_del_v2) that writes
 * pre-encoded paths. `pathBytes` turns the generated path fields into the bytes it copies.
 */
export function routeRequestDef(gen: MessageDef): RouteRequestDef {
  const v2 = gen.name.endsWith('_v2');
  const head = v2 ? 40 : 39;
  return {
    name: gen.name,
    crc: gen.crc,
    key: gen.key,
    size: (m) => head + m.paths.length,
    encodeInto(b, off, id, m) {
      const n = m.paths.length / PATH_BYTES;
      // byte stores: Buffer's write methods check their arguments on every call
      b[off] = id >>> 8;
      b[off + 1] = id;
      u32(b, off + 2, m.client_index ?? 0);
      u32(b, off + 6, m.context ?? 0);
      b[off + 10] = m.is_add ? 1 : 0;
      b[off + 11] = 0; // is_multipath = 0: the path set replaces whatever was there
      u32(b, off + 12, m.table);
      fill.call(b, 0, off + 16, off + 38); // stats_index, then the prefix
      const p = m.prefix;
      const len = p.len;
      if (p.family === 4) {
        if (!(len >= 0 && len <= 32)) throw new VppEncodeError(`route.prefix: length ${len} is not 0-32`);
        u32(b, off + 21, p.w0);
      } else {
        if (!(len >= 0 && len <= 128)) throw new VppEncodeError(`route.prefix: length ${len} is not 0-128`);
        b[off + 20] = 1;
        u32(b, off + 21, p.w0);
        u32(b, off + 25, p.w1);
        u32(b, off + 29, p.w2);
        u32(b, off + 33, p.w3);
      }
      b[off + 37] = len;
      b[off + 38] = n;
      if (v2) b[off + 39] = m.src;
      set.call(b, m.paths, off + head);
      return off + head + m.paths.length;
    },
    encode(id, m) {
      const b = Buffer.alloc(head + m.paths.length);
      this.encodeInto(b, 0, id, m);
      return b;
    },
    decode: (buf, start, end) => gen.decode(buf, start, end),
    pathBytes(paths) {
      if (paths.length > 255) throw new Error(`${paths.length} paths do not fit a route (max 255)`);
      const full = gen.encode(0, { is_add: true, route: { table_id: 0, prefix: '0.0.0.0/0', paths, src: 0 } });
      return Buffer.from(full.subarray(head));
    },
  };
}
