// Hand-written definitions in the shape of the generated ones (src/gen), for the client and
// simulator tests: they keep those tests independent of the generator's output.
import type { MessageDef } from '../src/index.js';
import { makePath, parsePrefix } from '../src/sim/index.js';

function def<T>(
  name: string,
  crc: string,
  size: (m: T) => number,
  write: (b: Buffer, off: number, m: T) => void,
  read: (b: Buffer, s: number, e: number) => T,
): MessageDef<T> {
  return {
    name,
    crc,
    key: `${name}_${crc}`,
    size,
    encodeInto(buf, off, id, m) {
      const n = size(m);
      buf.fill(0, off, off + n);
      buf.writeUInt16BE(id, off);
      write(buf, off, m);
      return off + n;
    },
    encode(id, m) {
      const b = Buffer.alloc(size(m));
      this.encodeInto(b, 0, id, m);
      return b;
    },
    decode: (b, s = 0, e = b.length) => read(b, s, e),
  };
}

interface Req {
  client_index?: number;
  context?: number;
}
const head = (b: Buffer, o: number, m: Req) => {
  b.writeUInt32BE((m.client_index ?? 0) >>> 0, o + 2);
  b.writeUInt32BE((m.context ?? 0) >>> 0, o + 6);
};
interface Reply {
  context: number;
  retval: number;
}
const replyHead = (b: Buffer, s: number): Reply => ({ context: b.readUInt32BE(s + 2), retval: b.readInt32BE(s + 6) });

function simpleReply(name: string, crc = 'e8d4e804') {
  return def<Reply>(name, crc, () => 10, (b, o, m) => { b.writeUInt32BE(m.context, o + 2); b.writeInt32BE(m.retval, o + 6); }, replyHead);
}

export interface PathIn {
  sw_if_index?: number;
  /** text, or the generated codec's shape { address: { ip4 | ip6 } } */
  nh?: string | { address: { ip4?: string; ip6?: string } };
  type?: number;
  weight?: number;
}
export interface RouteAddDel extends Req {
  is_add: boolean;
  is_multipath: boolean;
  route: { table_id: number; prefix: string; paths: PathIn[] };
}

const nhText = (nh: PathIn['nh']) => (typeof nh === 'string' ? nh : nh?.address.ip4 ?? nh?.address.ip6);
const toPath = (p: PathIn) => makePath({ swIfIndex: p.sw_if_index, nh: nhText(p.nh), type: p.type, weight: p.weight });

// Paths are immutable in these tests: encode each object once.
const pathCache = new WeakMap<PathIn, Buffer>();

/** prefix text → af u8, 16-byte address, len u8 at off; dotted IPv4 parsed by hand (it is hot in the bench). */
function writePrefix(b: Buffer, off: number, text: string): void {
  if (text.includes(':')) {
    const p = parsePrefix(text);
    b[off] = 1;
    p.addr.copy(b, off + 1);
    b[off + 17] = p.len;
    return;
  }
  let octet = 0;
  let k = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 46 || ch === 47) {
      b[off + 1 + k++] = octet;
      octet = 0;
      if (ch === 47) break;
    } else octet = octet * 10 + ch - 48;
  }
  b[off] = 0;
  b[off + 17] = i < text.length ? Number(text.slice(i + 1)) : 32;
}

export const control_ping = def<Req>('control_ping', '51077d14', () => 10, head, (b, s) => ({ context: b.readUInt32BE(s + 6) }));
export const control_ping_reply = def<Reply & { client_index: number; vpe_pid: number }>(
  'control_ping_reply', 'f6b0b8ca', () => 18, () => {},
  (b, s) => ({ ...replyHead(b, s), client_index: b.readUInt32BE(s + 10), vpe_pid: b.readUInt32BE(s + 14) }),
);
export const ip_route_add_del = def<RouteAddDel>(
  'ip_route_add_del', 'b8ecfe0d',
  (m) => 39 + 167 * m.route.paths.length,
  (b, o, m) => {
    head(b, o, m);
    b[o + 10] = m.is_add ? 1 : 0;
    b[o + 11] = m.is_multipath ? 1 : 0;
    b.writeUInt32BE(m.route.table_id, o + 12);
    writePrefix(b, o + 20, m.route.prefix);
    b[o + 38] = m.route.paths.length;
    const paths = m.route.paths;
    for (let i = 0; i < paths.length; i++) {
      const x = paths[i]!;
      if (x.type !== undefined && (x.type < 0 || x.type > 10)) throw new RangeError(`fib_path_type ${x.type} out of enum`);
      let bytes = pathCache.get(x);
      if (!bytes) pathCache.set(x, (bytes = toPath(x)));
      bytes.copy(b, o + 39 + i * 167);
    }
  },
  () => { throw new Error('not needed'); },
);
export const ip_route_add_del_reply = def<Reply & { stats_index: number }>(
  'ip_route_add_del_reply', '1992deab', () => 14, () => {},
  (b, s) => ({ context: b.readUInt32BE(s + 2), retval: b.readInt32BE(s + 6), stats_index: b.readUInt32BE(s + 10) }),
);
export interface TableReq extends Req {
  table: { table_id: number; is_ip6: boolean; name?: string };
}
export const ip_table_add_del = def<TableReq & { is_add: boolean }>(
  'ip_table_add_del', '0ffdaec0', () => 80,
  (b, o, m) => { head(b, o, m); b[o + 10] = m.is_add ? 1 : 0; b.writeUInt32BE(m.table.table_id, o + 11); b[o + 15] = m.table.is_ip6 ? 1 : 0; b.write(m.table.name ?? '', o + 16); },
  () => { throw new Error('not needed'); },
);
export const ip_table_add_del_reply = simpleReply('ip_table_add_del_reply');
export interface RouteDetails {
  context: number;
  route: { table_id: number; prefix: string; n_paths: number; paths: { sw_if_index: number; type: number; nh4: string }[] };
}
export const ip_route_dump = def<TableReq>(
  'ip_route_dump', 'b9d2e09e', () => 79,
  (b, o, m) => { head(b, o, m); b.writeUInt32BE(m.table.table_id, o + 10); b[o + 14] = m.table.is_ip6 ? 1 : 0; },
  () => { throw new Error('not needed'); },
);
export const ip_route_details = def<RouteDetails>('ip_route_details', 'bda8f315', () => 0, () => {}, (b, s, e) => {
  if (e - s < 33) throw new RangeError(`ip_route_details truncated (${e - s} bytes)`);
  const n = b[s + 32]!;
  if (e - s < 33 + 167 * n) throw new RangeError(`ip_route_details truncated (${e - s} bytes for ${n} paths)`);
  const paths = [];
  for (let i = 0; i < n; i++) {
    const p = s + 33 + i * 167;
    paths.push({ sw_if_index: b.readUInt32BE(p), type: b.readUInt32BE(p + 14), nh4: [...b.subarray(p + 26, p + 30)].join('.') });
  }
  const af = b[s + 14]!;
  const addr = b.subarray(s + 15, s + 31);
  return { context: b.readUInt32BE(s + 2), route: { table_id: b.readUInt32BE(s + 6), prefix: `${af ? addr.toString('hex') : [...addr.subarray(0, 4)].join('.')}/${b[s + 31]}`, n_paths: n, paths } };
});
export const want_interface_events = def<Req & { enable_disable: number; pid: number }>(
  'want_interface_events', '476f5a08', () => 18,
  (b, o, m) => { head(b, o, m); b.writeUInt32BE(m.enable_disable, o + 10); b.writeUInt32BE(m.pid, o + 14); },
  () => { throw new Error('not needed'); },
);
export const want_interface_events_reply = simpleReply('want_interface_events_reply');
export const sw_interface_set_flags = def<Req & { sw_if_index: number; flags: number }>(
  'sw_interface_set_flags', 'f5aec1b8', () => 18,
  (b, o, m) => { head(b, o, m); b.writeUInt32BE(m.sw_if_index, o + 10); b.writeUInt32BE(m.flags, o + 14); },
  () => { throw new Error('not needed'); },
);
export const sw_interface_set_flags_reply = simpleReply('sw_interface_set_flags_reply');
export const sw_interface_event = def<{ pid: number; sw_if_index: number; flags: number; deleted: boolean }>(
  'sw_interface_event', '2d3d95a7', () => 19, () => {},
  (b, s) => ({ pid: b.readUInt32BE(s + 6), sw_if_index: b.readUInt32BE(s + 10), flags: b.readUInt32BE(s + 14), deleted: b[s + 18] !== 0 }),
);
export const show_version = def<Req>('show_version', '51077d14', () => 10, head, () => ({}));
export const show_version_reply = def<Reply & { version: string }>('show_version_reply', 'c919bde1', () => 362, () => {}, (b, s) => ({
  ...replyHead(b, s),
  version: b.toString('latin1', s + 42, s + 74).replace(/\0.*$/s, ''),
}));

export const messages: Record<string, MessageDef> = {
  control_ping, control_ping_reply, ip_route_add_del, ip_route_add_del_reply, ip_table_add_del, ip_table_add_del_reply,
  ip_route_dump, ip_route_details, want_interface_events, want_interface_events_reply, sw_interface_set_flags,
  sw_interface_set_flags_reply, sw_interface_event, show_version, show_version_reply,
};

export function route(prefix: string, nh = '192.0.2.2', table_id = 0): RouteAddDel {
  return { is_add: true, is_multipath: false, route: { table_id, prefix, paths: [{ sw_if_index: 1, nh }] } };
}
