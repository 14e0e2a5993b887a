// ip_route_add_del(_v2) for bulk programming. A full table has a million routes and a few hundred
// path sets, so the paths (167 bytes each, the bulk of every request) are encoded once per set by
// the generated codec — with all its checks — and copied; per route only the head is written:
// context, is_add, table, prefix, path count, source. Same name, CRC and bytes as the generated
// definition (a test compares them), so the client treats it as that message.
import type { MessageDef } from '../vpp/index.js';
import { writePrefix } from '../vpp/codec/runtime.js';

export const PATH_BYTES = 167;

/** The fields this encoder takes (the client adds client_index and context). */
export interface RouteRequest {
  client_index?: number;
  context?: number;
  is_add: boolean;
  table: number;
  prefix: string;
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
      b.writeUInt16BE(id, off);
      b.writeUInt32BE(m.client_index ?? 0, off + 2);
      b.writeUInt32BE(m.context ?? 0, off + 6);
      b[off + 10] = m.is_add ? 1 : 0;
      b[off + 11] = 0; // is_multipath = 0: the path set replaces whatever was there
      b.writeUInt32BE(m.table >>> 0, off + 12);
      b.writeUInt32BE(0, off + 16); // stats_index
      b.fill(0, off + 20, off + 38);
      writePrefix(b, off + 20, m.prefix, 'route.prefix');
      b[off + 38] = n;
      if (v2) b[off + 39] = m.src;
      m.paths.copy(b, off + head);
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
