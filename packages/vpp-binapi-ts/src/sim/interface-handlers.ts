// The simulator's interfaces: dumps and details, admin state, loopbacks, addresses, interface
// events, and the linux-cp pairs lcp_itf_pair_get lists.
import { RETVAL } from '../errors.js';
import { writeName } from '../client/handshake.js';
import type { Conn, HandlerDef, SimInterface, SimWire } from './wire.js';

const GEN = 'e8d4e804';

export function interfaceHandlers(w: SimWire): Record<string, HandlerDef> {
  return {
    sw_interface_dump_aa610c27: {
      reply: 'sw_interface_details_6c221fc7', min: 19, errSize: 295,
      fn: (c, b, s, e, ctx) => {
        const only = b.readUInt32BE(s + 10);
        const filterValid = b[s + 14] !== 0;
        const flen = b.readUInt32BE(s + 15);
        const filter = filterValid ? b.toString('latin1', s + 19, Math.min(e, s + 19 + flen)) : '';
        for (const i of [...w.interfaces.values()].sort((x, y) => x.swIfIndex - y.swIfIndex)) {
          if (only !== 0xffffffff && i.swIfIndex !== only) continue;
          if (filterValid && !i.name.includes(filter)) continue;
          interfaceDetails(w, c, ctx, i);
        }
      },
    },
    want_interface_events_476f5a08: {
      reply: `want_interface_events_reply_${GEN}`, min: 18, errSize: 10,
      fn: (c, b, s, _e, ctx) => {
        c.events = b.readUInt32BE(s + 10) !== 0;
        c.eventPid = b.readUInt32BE(s + 14);
        w.simple(c, `want_interface_events_reply_${GEN}`, ctx);
      },
    },
    sw_interface_set_flags_f5aec1b8: {
      reply: `sw_interface_set_flags_reply_${GEN}`, min: 18, errSize: 10,
      fn: (c, b, s, _e, ctx) => {
        const i = w.interfaces.get(b.readUInt32BE(s + 10));
        if (!i) return w.simple(c, `sw_interface_set_flags_reply_${GEN}`, ctx, RETVAL.INVALID_SW_IF_INDEX);
        // A loopback's link follows its admin state.
        i.flags = b.readUInt32BE(s + 14) & 1 ? 3 : 0;
        w.simple(c, `sw_interface_set_flags_reply_${GEN}`, ctx);
        w.interfaceEvent(i, false);
      },
    },
    create_loopback_instance_d36a3ee2: {
      reply: 'create_loopback_instance_reply_5383d31f', min: 21, errSize: 14,
      fn: (c, b, s, _e, ctx) => {
        const idx = Math.max(...w.interfaces.keys()) + 1;
        const inst = b[s + 16] ? b.readUInt32BE(s + 17) : idx - 1;
        const mac = [...b.subarray(s + 10, s + 16)].map((x) => x.toString(16).padStart(2, '0')).join(':');
        const i: SimInterface = { swIfIndex: idx, name: `loop${inst}`, flags: 0, mac, mtu: 9000, devType: 'Loopback' };
        w.interfaces.set(idx, i);
        const [o, at] = w.put(c, 'create_loopback_instance_reply_5383d31f', 14, ctx);
        o.writeUInt32BE(idx, at + 10);
        w.interfaceEvent(i, false);
      },
    },
    sw_interface_add_del_address_5463d73b: {
      reply: `sw_interface_add_del_address_reply_${GEN}`, min: 34, errSize: 10,
      fn: (c, b, s, _e, ctx) => {
        const i = w.interfaces.get(b.readUInt32BE(s + 10));
        if (!i) return w.simple(c, `sw_interface_add_del_address_reply_${GEN}`, ctx, RETVAL.INVALID_SW_IF_INDEX);
        const addr = Buffer.from(b.subarray(s + 16, s + 34)); // af, 16-byte union, len
        const list = (i.addresses ??= []);
        if (b[s + 15]) list.length = 0;
        else if (b[s + 14]) {
          if (!list.some((a) => a.equals(addr))) list.push(addr);
        } else {
          const k = list.findIndex((a) => a.equals(addr));
          if (k < 0) return w.simple(c, `sw_interface_add_del_address_reply_${GEN}`, ctx, -60); // ADDRESS_NOT_FOUND_FOR_INTERFACE
          list.splice(k, 1);
        }
        w.simple(c, `sw_interface_add_del_address_reply_${GEN}`, ctx);
      },
    },
    ip_address_dump_2d033de4: {
      reply: 'ip_address_details_ee29b797', min: 15, errSize: 28,
      fn: (c, b, s, _e, ctx) => {
        const i = w.interfaces.get(b.readUInt32BE(s + 10));
        const af = b[s + 14] ? 1 : 0;
        for (const a of i?.addresses ?? []) {
          if (a[0] !== af) continue;
          const [o, at] = w.put(c, 'ip_address_details_ee29b797', 28, ctx);
          o.writeUInt32BE(i!.swIfIndex, at + 6);
          a.copy(o, at + 10);
        }
      },
    },
    // linux-cp: a stream of pair details closed by the reply (cursor ~0: nothing more).
    lcp_itf_pair_get_f75ba505: {
      reply: 'lcp_itf_pair_get_reply_53b48f5d', min: 14, errSize: 14,
      fn: (c, _b, _s, _e, ctx) => {
        for (const p of w.lcpPairs) {
          const [o, at] = w.put(c, 'lcp_itf_pair_details_8b5481af', 67, ctx);
          o.writeUInt32BE(p.phySwIfIndex, at + 6);
          o.writeUInt32BE(p.hostSwIfIndex, at + 10);
          o.writeUInt32BE(p.vifIndex, at + 14);
          o.write(p.hostIfName.slice(0, 15), at + 18, 'latin1');
          o.write((p.netns ?? '').slice(0, 31), at + 35, 'latin1');
        }
        const [o, at] = w.put(c, 'lcp_itf_pair_get_reply_53b48f5d', 14, ctx);
        o.writeUInt32BE(0xffffffff, at + 10);
      },
    },
  };
}

function interfaceDetails(w: SimWire, c: Conn, ctx: number, i: SimInterface): void {
  const [o, at] = w.put(c, 'sw_interface_details_6c221fc7', 295, ctx);
  o.writeUInt32BE(i.swIfIndex, at + 6);
  o.writeUInt32BE(i.swIfIndex, at + 10);
  (i.mac ?? '00:00:00:00:00:00').split(':').forEach((x, k) => (o[at + 14 + k] = parseInt(x, 16)));
  o.writeUInt32BE(i.flags ?? 0, at + 20);
  o.writeUInt16BE(i.mtu ?? 0, at + 36);
  for (let k = 0; k < 4; k++) o.writeUInt32BE(i.mtu ?? 0, at + 38 + k * 4);
  writeName(o, at + 103, i.name);
  writeName(o, at + 167, i.devType ?? '');
}
