// ip_route_add_del(_v2) for bulk programming. A full table has a million routes and a few hundred
// path sets, so the paths (167 bytes each, the bulk of every request) are encoded once per set by
// the generated codec — with all its checks — and copied; per route only the head is written:
// context, is_add, table, prefix, path count, source. An IPv4 prefix comes as the int32 the
// route table keys it by (no text made per route to be parsed back), an IPv6 one as its text,
// read by a parser for the plain hex form (anything else goes through the codec's). Same name, CRC and bytes as the generated
// definition (a test compares them), so the client treats it as that message.
import type { MessageDef } from '../vpp/index.js';
import { VppEncodeError, writePrefix } from '../vpp/codec/runtime.js';
import { parseV6, writeV6Words } from './route-table.js';
import { pathFields } from './vpp-fields.js';
import type { VppPath } from './vpp-port.js';

export const PATH_BYTES = 167;

// Buffer's own fill() and copy() validate their arguments in JS and cross into C++ on every
// call: for 18 and a few hundred bytes per route that is most of their cost. The typed-array
// builtins do the same work inside V8.
const fill = Uint8Array.prototype.fill;
const set = Uint8Array.prototype.set;

function u32(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** The fields this encoder takes (the client adds client_index and context). */
export interface RouteRequest {
  client_index?: number;
  context?: number;
  is_add: boolean;
  table: number;
  /** Prefix text, or an IPv4 network as an int32 (its length in `len`). */
  prefix: string | number;
  len?: number;
  /** Our FIB source (v2 only). */
  src: number;
  /** Encoded fib_path bytes, n × 167 (from pathBytes()). */
  paths: Buffer;
}

/**
 * A definition for `gen` (the generated ip_route_add_del or ip_route_add_del_v2) that writes
 * pre-encoded paths. `pathBytes` turns the generated path fields into the bytes it copies.
 */
export function routeRequestDef(gen: MessageDef): MessageDef<RouteRequest, unknown> & { pathBytes(paths: readonly object[]): Buffer } {
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
      if (typeof p === 'number') {
        const len = m.len ?? 32;
        if (!(len >= 0 && len <= 32)) throw new VppEncodeError(`route.prefix: length ${len} is not 0-32`);
        u32(b, off + 21, p);
        b[off + 37] = len;
      } else if (!writeIp6Prefix(b, off + 20, p)) {
        fill.call(b, 0, off + 20, off + 38);
        writePrefix(b, off + 20, p, 'route.prefix');
      }
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

/**
 * "hex:hex::hex/len" into a prefix (af 1, 16 bytes, length) at o (parsed as the route table does); false, with
 * some of the area written over, for any other text (dotted tails, bad groups): the caller then
 * hands it to the codec, which writes it or says why not.
 */
export function writeIp6Prefix(b: Buffer, o: number, s: string): boolean {
  const len = parseV6(s, W6);
  if (len < 0) return false;
  b[o] = 1;
  writeV6Words(W6, b, o + 1);
  b[o + 17] = len;
  return true;
}

/** Scratch words for parseV6 (one route at a time). */
const W6 = new Int32Array(4);

const NO_PATHS: Buffer = Buffer.alloc(0);

/**
 * One route write at a time as a request of `def` (from routeRequestDef): the request object is
 * reused (a client reads it during its call only) and a path array's bytes are encoded once.
 * VppAdapter and the dry run write through it, so both send the same bytes.
 */
export class RouteWrites {
  readonly def: ReturnType<typeof routeRequestDef>;
  private readonly pathCache = new WeakMap<readonly VppPath[], Buffer>();
  private readonly req: RouteRequest = { client_index: 0, context: 0, is_add: true, table: 0, prefix: '', len: 0, src: 0, paths: NO_PATHS };

  constructor(gen: MessageDef) {
    this.def = routeRequestDef(gen);
  }

  /** The request for a replace (paths) or delete (null); throws when the paths cannot be encoded. */
  request(table: number, prefix: string | number, len: number, paths: readonly VppPath[] | null, src: number): RouteRequest {
    let bytes: Buffer = NO_PATHS;
    if (paths !== null) {
      const cached = this.pathCache.get(paths);
      if (cached) bytes = cached;
      else this.pathCache.set(paths, (bytes = this.def.pathBytes(paths.map(pathFields))));
    }
    const r = this.req;
    r.is_add = paths !== null;
    r.table = table;
    r.prefix = prefix;
    r.len = len;
    r.src = src;
    r.paths = bytes;
    return r;
  }
}
