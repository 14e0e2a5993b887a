// ip_route_v2_details for adoption, read straight from the wire. A restarted fibmgr adopts a full
// table — a million details — whose paths fall into a few hundred distinct sets: decoding every
// detail through the generated codec (objects for each 167-byte path, addresses as text) and keying
// its paths again cost more than the rest of the adoption. Here only the head is read per detail
// (table, prefix, path count); the path bytes are the key of a cache of decoded sets, so the
// generated decoder runs once per distinct set. Layout as the generated decoder reads it
// (ip.api.json): msg id u16, context u32, then the route: table_id u32, stats_index u32,
// prefix {af u8, address 16, len u8}, n_paths u8, src u8, n × fib_path (167 bytes).
import { v4Prefix, v6Prefix } from '../../route/prefix.js';
import type { Family, Prefix } from '../../route/types.js';
import { PATH_BYTES } from 'vpp-binapi-ts';

const HEAD = 34;

/** One detail's head; `paths` is [pathStart, pathEnd) in the buffer the detail was read from. */
export interface RouteHead {
  family: Family;
  table: number;
  prefix: Prefix;
  pathStart: number;
  pathEnd: number;
}

/** Reads a detail's head into `out`; false when the bytes are not a well-formed ip_route_v2_details. */
export function readRouteHead(buf: Buffer, s: number, e: number, out: RouteHead): boolean {
  if (e - s < HEAD) return false;
  const af = buf[s + 14]!;
  const len = buf[s + 31]!;
  const n = buf[s + 32]!;
  if ((af !== 0 && af !== 1) || len > (af === 0 ? 32 : 128) || e - s < HEAD + n * PATH_BYTES) return false;
  out.family = af === 0 ? 4 : 6;
  out.table = buf.readUInt32BE(s + 6);
  out.prefix = af === 0
    ? v4Prefix(buf.readInt32BE(s + 15), len)
    : v6Prefix(buf.readInt32BE(s + 15), buf.readInt32BE(s + 19), buf.readInt32BE(s + 23), buf.readInt32BE(s + 27), len);
  out.pathStart = s + HEAD;
  out.pathEnd = s + HEAD + n * PATH_BYTES;
  return true;
}
