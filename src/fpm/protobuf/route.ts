// One protobuf FPM frame (an fpm.Message) → a route event. The legacy module sends changes as
// plain adds that replace the route; deletions carry only the key, so their protocol is "unknown".
import { DecodeError } from '../decode-error.js';
import { formatIPv4, formatIPv6, prefixFromBytes } from '../../route/prefix.js';
import type { Nexthop, RouteEventRoute, RouteType, SkippedEvent } from '../../route/types.js';
import { FpmMessage } from './schema.js';

const MSG_ADD_ROUTE = 1, MSG_DELETE_ROUTE = 2;
const AF_IPV4 = 1, AF_IPV6 = 2;
const SAF_MULTICAST = 2;
const ROUTE_TYPES: RouteType[] = ['unspec', 'unicast', 'unreachable', 'blackhole'];
const PROTOCOLS = ['unknown', 'local', 'connected', 'kernel', 'static', 'rip', 'ripng', 'ospf', 'isis', 'bgp', 'other'];
const MESSAGE_TYPES = ['UNKNOWN_MSG', 'ADD_ROUTE', 'DELETE_ROUTE'];

// protobufjs' decoded shapes (keepCase): proto2 fields that were absent are not own properties.
interface PbPrefix { length?: number; bytes?: Uint8Array }
interface PbNexthop { if_id?: { index?: number }; address?: { v4?: { value?: number }; v6?: { bytes?: Uint8Array } } }
interface PbRoute {
  vrf_id?: number; address_family?: number; sub_address_family?: number; key?: { prefix?: PbPrefix };
  route_type?: number; protocol?: number; metric?: number; nexthops?: PbNexthop[];
}
interface PbMessage { type?: number; add_route?: PbRoute; delete_route?: PbRoute }

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const scratch = Buffer.alloc(16);

export function decodeProtobufRoute(buf: Buffer, start: number, end: number): RouteEventRoute | SkippedEvent {
  let msg: PbMessage;
  try {
    msg = FpmMessage.decode(buf.subarray(start, end)) as unknown as PbMessage;
  } catch (e) {
    throw new DecodeError(`protobuf: ${(e as Error).message}`);
  }
  const type = msg.type ?? 0;
  if (type === MSG_ADD_ROUTE || type === MSG_DELETE_ROUTE) {
    const field = type === MSG_ADD_ROUTE ? 'add_route' : 'delete_route';
    if (!has(msg, field)) throw new DecodeError(`protobuf ${MESSAGE_TYPES[type]} without ${field}`);
    return route(msg[field]!, type === MSG_DELETE_ROUTE);
  }
  return { kind: 'skipped', what: `protobuf ${MESSAGE_TYPES[type] ?? `message type ${type}`}` };
}

function route(r: PbRoute, del: boolean): RouteEventRoute | SkippedEvent {
  const af = r.address_family ?? 0;
  if (af !== AF_IPV4 && af !== AF_IPV6) throw new DecodeError(`protobuf route with address family ${af}`);
  if (r.sub_address_family === SAF_MULTICAST) return { kind: 'skipped', what: 'protobuf multicast route' };
  const family = af === AF_IPV4 ? 4 : 6;
  const prefix = r.key?.prefix;
  if (!prefix || !has(prefix, 'length')) throw new DecodeError('protobuf route without key.prefix');
  const len = prefix.length!;
  const size = family === 4 ? 4 : 16;
  if (len > size * 8) throw new DecodeError(`protobuf prefix length ${len} too long for IPv${family}`);
  const bytes = prefix.bytes ?? new Uint8Array(0);
  if (bytes.length < (len + 7) >> 3 || bytes.length > size) {
    throw new DecodeError(`protobuf prefix /${len} with ${bytes.length} address bytes`);
  }
  scratch.fill(0);
  scratch.set(bytes, 0);
  const net = prefixFromBytes(family, scratch, 0, len);
  const routeType = del ? 'unspec' : ROUTE_TYPES[r.route_type ?? 0] ?? 'unspec';
  return {
    kind: 'route', op: del ? 'del' : 'add', family, table: r.vrf_id ?? 0, prefix: net, type: routeType,
    protocol: del ? 'unknown' : PROTOCOLS[r.protocol ?? 0] ?? String(r.protocol), metric: del ? 0 : r.metric ?? 0,
    nhg: null, nexthops: routeType === 'unicast' ? nexthops(r.nexthops ?? []) : [],
  };
}

function nexthops(list: PbNexthop[]): Nexthop[] {
  const out: Nexthop[] = [];
  for (const nh of list) {
    let gateway: string | null = null;
    let family: 4 | 6 | null = null;
    const a = nh.address;
    if (a?.v4 && has(a.v4, 'value')) {
      scratch.writeUInt32BE(a.v4.value! >>> 0, 0);
      gateway = formatIPv4(scratch);
      family = 4;
    } else if (a?.v6) {
      const b = a.v6.bytes ?? new Uint8Array(0);
      if (b.length !== 16) throw new DecodeError(`protobuf IPv6 next hop with ${b.length} bytes`);
      gateway = formatIPv6(b);
      family = 6;
    }
    const index = nh.if_id?.index ?? 0;
    if (gateway === null && index === 0) continue;
    out.push({ gateway, family, ifindex: index === 0 ? null : index, weight: 1, labels: [] });
  }
  return out;
}
