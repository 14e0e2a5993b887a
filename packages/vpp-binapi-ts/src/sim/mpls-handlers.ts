// The simulator's MPLS FIB: tables (mpls_table_add_del), label entries per table and EOS bit
// (mpls_route_add_del: the API source only, as VPP's message has no source field), the dump, and
// MPLS enabled per interface. As the real VPP (checked on 26.10): a route before its table is
// NO_SUCH_FIB; a new table holds VPP's special entries for labels 0-2; an add with
// is_multipath 0 replaces; deleting an absent entry answers 0; a non-EOS entry reports eos_proto
// MPLS (2).
import { RETVAL } from '../errors.js';
import { PATH_SIZE } from './fib.js';
import type { Conn, HandlerDef, SimWire } from './wire.js';

const GEN = 'e8d4e804';
const EOS_PROTO_MPLS = 2;

export interface SimLabelEntry {
  table: number;
  label: number;
  eos: boolean;
  eosProto: number;
  /** The paths' wire bytes, as written. */
  paths: Buffer[];
  /** VPP's own (labels 0-2): not an API client's. */
  special: boolean;
}

export class SimMpls {
  readonly tables = new Set<number>();
  readonly entries = new Map<string, SimLabelEntry>();
  readonly enabled = new Set<number>();

  static key(table: number, label: number, eos: boolean): string {
    return `${table}|${label}|${eos ? 1 : 0}`;
  }

  addTable(id: number): void {
    if (this.tables.has(id)) return;
    this.tables.add(id);
    // VPP's special entries: explicit-null (0, 2) and router alert (1), as VPP dumps them: one
    // normal path of protocol MPLS, no interface, no address
    const special = Buffer.alloc(PATH_SIZE);
    special.writeUInt32BE(0xffffffff, 0);
    special[12] = 1;
    special.writeUInt32BE(2, 22);
    for (const label of [0, 1, 2]) {
      for (const eos of [false, true]) {
        this.entries.set(SimMpls.key(id, label, eos), { table: id, label, eos, eosProto: eos ? (label === 2 ? 1 : label === 0 ? 0 : 2) : EOS_PROTO_MPLS, paths: [special], special: true });
      }
    }
  }

  /** The API client entries (what a client installed), for tests. */
  apiEntries(): SimLabelEntry[] {
    return [...this.entries.values()].filter((e) => !e.special);
  }
}

export function mplsHandlers(w: SimWire, m: SimMpls): Record<string, HandlerDef> {
  return {
    mpls_table_add_del_57817512: {
      reply: `mpls_table_add_del_reply_${GEN}`, min: 79, errSize: 10,
      fn: (c, b, s, _e, ctx) => {
        const id = b.readUInt32BE(s + 11);
        if (b[s + 10]) m.addTable(id);
        else {
          m.tables.delete(id);
          for (const [k, en] of m.entries) if (en.table === id) m.entries.delete(k);
        }
        w.simple(c, `mpls_table_add_del_reply_${GEN}`, ctx);
      },
    },
    mpls_route_add_del_8e1d1e07: {
      reply: 'mpls_route_add_del_reply_1992deab', min: 24, errSize: 14,
      fn: (c, b, s, e, ctx) => routeAddDel(w, m, c, b, s, e, ctx),
    },
    mpls_route_dump_935fdefa: {
      reply: 'mpls_route_details_9b5043dc', min: 78, errSize: 18,
      fn: (c, b, s, _e, ctx) => {
        const table = b.readUInt32BE(s + 10);
        for (const en of m.entries.values()) {
          if (en.table !== table) continue;
          const [o, at] = w.put(c, 'mpls_route_details_9b5043dc', 18 + en.paths.length * PATH_SIZE, ctx);
          o.writeUInt32BE(en.table, at + 6);
          o.writeUInt32BE(en.label, at + 10);
          o[at + 14] = en.eos ? 1 : 0;
          o[at + 15] = en.eos ? en.eosProto : EOS_PROTO_MPLS;
          o[at + 17] = en.paths.length;
          en.paths.forEach((p, i) => p.copy(o, at + 18 + i * PATH_SIZE));
        }
      },
    },
    sw_interface_set_mpls_enable_ae6cfcfb: {
      reply: `sw_interface_set_mpls_enable_reply_${GEN}`, min: 15, errSize: 10,
      fn: (c, b, s, _e, ctx) => {
        const sw = b.readUInt32BE(s + 10);
        if (!w.interfaces.has(sw)) return w.simple(c, `sw_interface_set_mpls_enable_reply_${GEN}`, ctx, RETVAL.INVALID_SW_IF_INDEX);
        if (b[s + 14]) m.enabled.add(sw);
        else m.enabled.delete(sw);
        w.simple(c, `sw_interface_set_mpls_enable_reply_${GEN}`, ctx);
      },
    },
  };
}

function routeAddDel(w: SimWire, m: SimMpls, c: Conn, b: Buffer, s: number, e: number, ctx: number): void {
  const reply = (rv: number): void => {
    const [o, at] = w.put(c, 'mpls_route_add_del_reply_1992deab', 14, ctx);
    o.writeInt32BE(rv, at + 6);
    o.writeUInt32BE(0xffffffff, at + 10);
  };
  const isAdd = b[s + 10] !== 0;
  const multipath = b[s + 11] !== 0;
  const table = b.readUInt32BE(s + 12);
  const label = b.readUInt32BE(s + 16);
  const eos = b[s + 20] !== 0;
  const n = b[s + 23]!;
  if (e - s < 24 + n * PATH_SIZE || label >= 1 << 20) return reply(RETVAL.INVALID_VALUE);
  if (!m.tables.has(table)) return reply(RETVAL.NO_SUCH_FIB);
  const paths: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const p = s + 24 + i * PATH_SIZE;
    const sw = b.readUInt32BE(p);
    if (b.readUInt32BE(p + 14) === 0 && sw !== 0xffffffff && !w.interfaces.has(sw)) return reply(RETVAL.NO_MATCHING_INTERFACE);
    paths.push(Buffer.from(b.subarray(p, p + PATH_SIZE)));
  }
  const key = SimMpls.key(table, label, eos);
  const have = m.entries.get(key);
  if (isAdd) {
    if (n === 0) return reply(-52); // NO_PATHS_IN_ROUTE
    const keep = multipath && have ? [...have.paths, ...paths.filter((p) => !have.paths.some((h) => h.equals(p)))] : paths;
    m.entries.set(key, { table, label, eos, eosProto: eos ? b[s + 21]! : EOS_PROTO_MPLS, paths: keep, special: false });
  } else if (have && !have.special) {
    const left = n === 0 ? [] : have.paths.filter((h) => !paths.some((p) => p.equals(h)));
    if (left.length) have.paths = left;
    else m.entries.delete(key);
  }
  reply(0);
}
