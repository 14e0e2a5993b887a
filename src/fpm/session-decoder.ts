// One FPM session's byte stream → route events, in stream order. Owns the per-session state a
// stream needs: the partial frame, the nexthop groups zebra defined, the routes waiting for a
// group that has not arrived yet, and which rtnh_hops convention the sender uses.
import type { ErrorEvent, Nexthop, RouteEvent, RouteEventAdd, RouteEventRoute, RouteIdentity, SkippedEvent, UnusableKind } from '../route/types.js';
import { routeKey } from '../route/types.js';
import { DecodeError } from './decode-error.js';
import { FPM_HEADER_LEN, FPM_MSG_NETLINK, FPM_MSG_PROTOBUF, FrameReader } from './frame.js';
import { NexthopGroupTable, type ApplyResult } from './nexthop-groups.js';
import { u16, u32 } from './netlink/attributes.js';
import {
  AF_MPLS, NLMSG_HDRLEN, RTM_DELNEXTHOP, RTM_DELROUTE, RTM_NEWNEXTHOP, RTM_NEWROUTE, RTMSG_LEN, messageName,
} from './netlink/constants.js';
import { decodeNexthop } from './netlink/nexthop.js';
import { decodeRoute } from './netlink/route.js';
import { decodeLsp } from './netlink/lsp.js';
import { WeightConvention, type WeightMode } from './netlink/weights.js';
import { decodeProtobufRoute } from './protobuf/route.js';

export type { WeightMode } from './netlink/weights.js';

export interface FpmSessionDecoderOptions {
  weights?: WeightMode;
  /** Routes that may wait for their nexthop group at once; one more is an error event. */
  maxPendingRoutes?: number;
  /** Nexthop ids a session may define. */
  maxNexthopGroups?: number;
  /** Member references all of a session's groups may hold together. */
  maxGroupLinks?: number;
}

export interface FpmDecoderStats {
  frames: number;
  /** Route events emitted (adds and deletions). */
  routes: number;
  /** LSP events emitted (adds and deletions). */
  lsps: number;
  nexthopGroups: number;
  skipped: Record<string, number>;
  errors: number;
}

/** The zebra module behind a session, as its messages show it ('unknown' until they do). */
export type FpmSender = 'unknown' | 'dplane_fpm_nl' | 'protobuf';

interface Held {
  route: RouteEventAdd;
  key: string;
  offset: number;
}

function identity(r: RouteEventRoute): RouteIdentity {
  return { family: r.family, table: r.table, prefix: r.prefix, op: r.op, protocol: r.protocol, protocolId: r.protocolId, type: r.type };
}

export class FpmSessionDecoder {
  private broken: ErrorEvent | null = null;
  readonly stats: FpmDecoderStats = { frames: 0, routes: 0, lsps: 0, nexthopGroups: 0, skipped: {}, errors: 0 };
  private bytes = 0;
  private readonly reader = new FrameReader();
  private readonly weights: WeightConvention;
  private readonly groups: NexthopGroupTable;
  private readonly maxPending: number;
  /** group id → routes waiting for it, by route key. */
  private readonly pending = new Map<number, Map<string, Held>>();
  /** route key → the group id it waits for. */
  private readonly pendingByKey = new Map<string, number>();
  private out: RouteEvent[] = [];
  private protobuf = false;

  constructor(opts: FpmSessionDecoderOptions = {}) {
    this.weights = new WeightConvention(opts.weights ?? 'auto');
    this.groups = new NexthopGroupTable({ maxGroups: opts.maxNexthopGroups ?? 1_000_000, maxLinks: opts.maxGroupLinks });
    this.maxPending = opts.maxPendingRoutes ?? 1_000_000;
  }

  /** Non-null once the framing is broken beyond recovery (bad version, length < 4): the session must be closed. */
  get fatal(): ErrorEvent | null {
    return this.broken;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.bytes;
  }

  /** The rtnh_hops convention in force (forced, or what 'auto' concluded so far). */
  get weightConvention(): 'kernel' | 'legacy' {
    return this.weights.current;
  }

  /**
   * Which zebra module this session is, as far as its messages tell: dplane_fpm_nl by the evidence
   * the weight convention goes by (netlink/weights.ts: a nexthop message, an RTA_NH_ID, an
   * rtm_protocol other than 0, 2 and 11); protobuf once a protobuf frame comes. Only dplane_fpm_nl
   * reads what is sent back (route notifications, FRR 8.5 and later).
   */
  get sender(): FpmSender {
    return this.protobuf ? 'protobuf' : this.weights.dplaneFpmNl ? 'dplane_fpm_nl' : 'unknown';
  }

  /** Routes waiting for a nexthop group. */
  get pendingRoutes(): number {
    return this.pendingByKey.size;
  }

  /** Bytes as read from the socket (any split). Returns the events completed by them, in stream order. */
  push(chunk: Buffer): RouteEvent[] {
    if (this.broken) return [];
    const out: RouteEvent[] = (this.out = []);
    this.bytes += chunk.length;
    this.reader.push(chunk, this.onFrame);
    if (this.reader.fatal) {
      this.broken = { kind: 'error', offset: this.reader.fatal.offset, reason: this.reader.fatal.reason, what: 'malformed' };
      this.stats.errors++;
      out.push(this.broken);
    }
    this.out = [];
    return out;
  }

  /**
   * The stream ended (a file's end, not a live session's): an error for a frame cut short and for
   * every route still waiting for its nexthop group.
   */
  end(): RouteEvent[] {
    const out: RouteEvent[] = [];
    if (this.broken) return out;
    if (this.reader.pending > 0) {
      out.push(this.error(this.reader.offset, `stream ends inside a frame (${this.reader.pending} bytes of it)`));
    }
    for (const [id, held] of this.pending) {
      for (const h of held.values()) {
        out.push(this.error(h.offset, `route ${h.route.prefix} table ${h.route.table} waits for nexthop group ${id}, which never resolved`, 'group-unusable', identity(h.route)));
      }
    }
    this.pending.clear();
    this.pendingByKey.clear();
    return out;
  }

  private error(offset: number, reason: string, what: UnusableKind = 'malformed', route?: RouteIdentity): ErrorEvent {
    this.stats.errors++;
    const ev: ErrorEvent = { kind: 'error', offset, reason, what };
    if (route) ev.route = route;
    return ev;
  }

  private readonly onFrame = (type: number, buf: Buffer, start: number, end: number, at: number): void => {
    this.stats.frames++;
    if (type === FPM_MSG_NETLINK) this.netlinkFrame(buf, start, end, at);
    else if (type === FPM_MSG_PROTOBUF) {
      this.protobuf = true;
      this.guard(at, () => this.route(decodeProtobufRoute(buf, start, end), at));
    } else this.out.push(this.error(at, `unknown FPM message type ${type}`, 'unknown-frame'));
  };

  /** Runs one message's decoding; whatever goes wrong becomes an error event for that message. */
  private guard(offset: number, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.caught(offset, e);
    }
  }

  private caught(offset: number, e: unknown): void {
    // Anything but a DecodeError is a bug of ours; it still only costs this message.
    if (!(e instanceof DecodeError)) {
      this.out.push(this.error(offset, `internal error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`));
      return;
    }
    if (e.route && e.route.src === undefined) {
      // A newer message for the route supersedes one still waiting for its group (a source-specific
      // route is another route than the plain one of its destination).
      if (this.pendingByKey.size > 0) this.unhold(routeKey(e.route.table, e.route.prefix));
    }
    const ev = this.error(offset, e.message, e.what, e.route);
    if (e.lsp) {
      ev.lsp = e.lsp.label;
      ev.lspOp = e.lsp.op;
    }
    this.out.push(ev);
    if (e.nexthopId !== undefined) {
      const r = this.groups.reject(e.nexthopId, { what: e.what, reason: e.message });
      if (r) this.nexthopResult(r);
    }
  }

  private netlinkFrame(buf: Buffer, start: number, end: number, at: number): void {
    // Stream offset of body byte p: the frame's offset plus the header.
    const base = at + FPM_HEADER_LEN - start;
    for (let p = start; p < end; ) {
      if (end - p < NLMSG_HDRLEN) {
        this.out.push(this.error(base + p, `${end - p} trailing bytes in a netlink frame, too short for a message header`));
        return;
      }
      const len = u32(buf, p);
      if (len < NLMSG_HDRLEN || len > end - p) {
        this.out.push(this.error(base + p, `netlink message length ${len} does not fit the ${end - p} bytes left in its frame`));
        return;
      }
      const type = u16(buf, p + 4);
      const s = p + NLMSG_HDRLEN, e = p + len, off = base + p;
      if (type === RTM_NEWROUTE || type === RTM_DELROUTE) {
        // guard() inlined: a closure per route message is a measurable share of decoding
        try {
          if (e - s >= RTMSG_LEN) this.weights.routeProtocol(buf[s + 5]!);
          if (e - s >= RTMSG_LEN && buf[s] === AF_MPLS) {
            this.out.push(decodeLsp(buf, s, e, type, this.weights.convert));
            this.stats.lsps++;
          } else {
            const r = decodeRoute(buf, s, e, type, this.weights.convert);
            if (r.kind === 'route' && r.nhg !== null) this.weights.routeNexthopId();
            this.route(r, off);
          }
        } catch (err) {
          this.caught(off, err);
        }
      } else if (type === RTM_NEWNEXTHOP || type === RTM_DELNEXTHOP) {
        this.guard(off, () => {
          this.weights.nexthopMessage();
          this.nexthop(decodeNexthop(buf, s, e, type), off);
        });
      } else this.skip(messageName(type));
      p += (len + 3) & ~3;
    }
  }

  private skip(what: string): void {
    this.stats.skipped[what] = (this.stats.skipped[what] ?? 0) + 1;
    const ev: SkippedEvent = { kind: 'skipped', what };
    this.out.push(ev);
  }

  private route(r: RouteEventRoute | SkippedEvent, offset: number): void {
    if (r.kind === 'skipped') {
      this.skip(r.what);
      return;
    }
    if (this.pendingByKey.size > 0) this.unhold(routeKey(r.table, r.prefix));
    if (r.op === 'add' && r.nhg !== null) {
      const set = this.groups.resolved(r.nhg);
      if (set === null && this.groups.unusable(r.nhg)) {
        this.unusableRoute(r, offset, this.groups.unusable(r.nhg)!.reason);
        return;
      }
      if (set === undefined || set === null) {
        this.hold(r, offset);
        return;
      }
      this.withGroup(r, set);
    }
    this.stats.routes++;
    this.out.push(r);
  }

  private withGroup(r: RouteEventAdd, set: readonly Nexthop[]): void {
    // A unicast route through a blackhole nexthop object is a blackhole route.
    if (set.length === 0 && r.type === 'unicast' && this.groups.isBlackhole(r.nhg!)) r.type = 'blackhole';
    r.nexthops = r.type === 'unicast' ? (set as Nexthop[]) : [];
  }

  private unusableRoute(r: RouteEventAdd, offset: number, why: string): void {
    this.out.push(this.error(offset, `route ${r.prefix} table ${r.table} names nexthop group ${r.nhg}: ${why}`, 'group-unusable', identity(r)));
  }

  private hold(r: RouteEventAdd, offset: number): void {
    if (this.pendingByKey.size >= this.maxPending) {
      this.out.push(this.error(offset, `route ${r.prefix} table ${r.table}: more than ${this.maxPending} routes wait for nexthop groups`, 'too-many-waiting', identity(r)));
      return;
    }
    const key = routeKey(r.table, r.prefix);
    let m = this.pending.get(r.nhg!);
    if (!m) this.pending.set(r.nhg!, (m = new Map()));
    m.set(key, { route: r, key, offset });
    this.pendingByKey.set(key, r.nhg!);
  }

  /** A newer message for the same route supersedes one still waiting. */
  private unhold(key: string): void {
    const id = this.pendingByKey.get(key);
    if (id === undefined) return;
    this.pendingByKey.delete(key);
    const m = this.pending.get(id)!;
    m.delete(key);
    if (m.size === 0) this.pending.delete(id);
  }

  private nexthop(def: ReturnType<typeof decodeNexthop>, offset: number): void {
    const r = this.groups.apply(def);
    if (r === null) {
      this.out.push(this.error(offset, `nexthop ${def.id}: the session already holds the most nexthop ids or group members it may`, 'too-many-groups'));
      return;
    }
    this.nexthopResult(r);
  }

  private nexthopResult(r: ApplyResult): void {
    for (const ev of r.events) {
      this.stats.nexthopGroups++;
      this.out.push(ev);
      if (ev.resolved) this.release(ev.id, ev.resolved);
      else if (ev.unusable) this.giveUp(ev.id, ev.unusable.reason);
    }
    for (const id of r.resolvable) this.release(id, this.groups.resolved(id)!);
    for (const id of r.unusable) this.giveUp(id, this.groups.unusable(id)!.reason);
  }

  /** Routes waiting for a group that turned out unusable: each becomes an error naming it. */
  private giveUp(id: number, why: string): void {
    const m = this.pending.get(id);
    if (!m) return;
    this.pending.delete(id);
    for (const h of m.values()) {
      this.pendingByKey.delete(h.key);
      this.unusableRoute(h.route, h.offset, why);
    }
  }

  private release(id: number, set: readonly Nexthop[]): void {
    const m = this.pending.get(id);
    if (!m) return;
    this.pending.delete(id);
    for (const h of m.values()) {
      this.pendingByKey.delete(h.key);
      this.withGroup(h.route, set);
      this.stats.routes++;
      this.out.push(h.route);
    }
  }
}
