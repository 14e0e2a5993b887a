// Zebra's life in a campaign, and the truth the oracle judges by. The routing daemons (kernel,
// static, bgp, ospf) each hold what they would give zebra (their intent: BGP peers keep
// announcing while zebra is away); zebra holds what they gave it (its RIB, the best route per
// prefix by distance); its FPM connection streams the RIB to fibmgr as the module of the seed
// writes it — dplane_fpm_nl with nexthop groups (ids that a restarted zebra hands out again from
// the same base), dplane_fpm_nl with inline next hops, or the legacy module (rtm_protocol 11
// for every daemon). The stream is real netlink bytes through the real session decoder.
//
// Zebra's life: a replay at every connect (fast, slow, or with a quiet gap longer than the
// resync grace), FPM cuts and flaps, FRR 10.3's own reset of a connection that stays full for
// 15 s, a restart that comes back with its own routes, then statics, then the daemons' routes in
// parts (sometimes one VRF after another), routes the daemons withdraw while zebra is away, and
// nexthop groups that change under the routes that name them.
import { netlinkFrame, nexthopMsg, routeMsg } from '../fpm/build.js';
import type { Prng } from './prng.js';
import type { FibmgrNode, FpmLink } from './fibmgr-node.js';
import { IFMAP } from './vpp-world.js';
import { parsePrefix, prefixText, walkOrder } from '../../src/route/prefix.js';

export type Proto = 'kernel' | 'static' | 'bgp' | 'ospf';
export const PROTOS: readonly Proto[] = ['kernel', 'static', 'bgp', 'ospf'];
const PROTO_NUM: Record<Proto, number> = { kernel: 2, static: 196, bgp: 186, ospf: 188 };
const DISTANCE: Record<Proto, number> = { kernel: 0, static: 1, bgp: 20, ospf: 110 };
/** rtm_protocol of the legacy zebra_fpm module: 2 for kernel routes, 11 for every daemon's. */
const LEGACY_ZEBRA = 11;

export type FpmModule = 'nl-groups' | 'nl-inline' | 'legacy';

export interface Hop {
  gw: string;
  /** Linux ifindex; 0: none (a recursive next hop). */
  ifindex: number;
}

export interface Content {
  type: 'unicast' | 'blackhole';
  hops: Hop[];
}

export interface RouteId {
  /** zebra's table id (254 main). */
  table: number;
  prefix: string;
  family: 4 | 6;
}

/** A nexthop object zebra defined: one hop, or a group of other ids. */
type NhDef = { hop?: Hop; members?: number[] };

interface RibEntry {
  proto: Proto;
  content: Content;
  /** The nexthop id the route names (groups module, unicast), else null. */
  nh: number | null;
}

/** "table|prefix" in VPP's terms, as the simulator's routes are keyed. */
export function vppKey(r: RouteId): string {
  return `${r.table === 254 ? 0 : r.table}|${r.prefix}`;
}

/** The paths VPP should hold for a route, as the simulator's dump reads them (sim-fib.ts). */
export function pathsText(c: Content): string {
  if (c.type === 'blackhole') return 'drop';
  return c.hops.map((h) => `normal ${h.gw} sw${IFMAP.get(h.ifindex) ?? '*'} w1`).sort().join(', ');
}

const hopKey = (h: Hop) => `${h.gw}%${h.ifindex}`;
const setKey = (hops: Hop[]) => hops.map(hopKey).sort().join(',');

/** What the oracle is told as zebra lives. */
export interface ZebraWitness {
  /**
   * A route message reached fibmgr in a live session (text: the paths it asks for; null: a
   * delete); `held`: zebra still has the route (an add queued before zebra dropped it is not owed).
   */
  delivered(key: string, text: string | null, held: boolean): void;
  /** A nexthop group's change reached fibmgr: routes naming it may now hold `text`. */
  allowed(key: string, text: string): void;
  /** Zebra decided a route is gone (a daemon withdrew it): nothing is owed for it from now. */
  dropped(key: string): void;
  /** The FPM session ended: what it confirmed is owed for the stale time from now. */
  sessionEnded(): void;
  /** Something worth a line in the timeline. */
  note(text: string): void;
}

export interface ZebraOptions {
  module: FpmModule;
  /** FRR 10.3: a connection whose output stays blocked 15 s is reset by zebra. */
  resetWhenBlocked: boolean;
  /** Replays may pause longer than the resync grace between two tables (zebra's main thread busy). */
  replayGaps: boolean;
  /** ... or anywhere, inside a table too. */
  replayStalls: boolean;
  resyncGraceMs: number;
  /** Routes per daemon pool (roughly). */
  scale: number;
  /** Include table 200 (the one VPP may refuse to create). */
  table200: boolean;
  /**
   * A restarted zebra's daemons may resend their first routes within the resync grace after its
   * own (kernel, static) routes; otherwise they begin once that first burst has gone quiet.
   */
  earlyRelearn: boolean;
  /** fibmgr sees zebra's process (each zebra's connections name it): else it only has the replay to go by. */
  visible: boolean;
}

interface Pacing {
  name: string;
  chunk: number;
  intervalMs: number;
  /** After this many messages of the replay, one pause of gapMs. */
  gapAt: number;
  gapMs: number;
}

interface Msg {
  bytes: Buffer;
  /** A route message: its key (VPP's, and zebra's), and the paths asked for (null: a delete). */
  route?: { key: string; zkey: string; text: string | null; nh: number | null };
  /** A group change: routes that may now hold new paths. */
  allows?: [string, string][];
}

interface Conn {
  link: FpmLink;
  fib: FibmgrNode;
  queue: Msg[];
  /** Messages of the replay still to go (the pacing applies to them). */
  replayLeft: number;
  sent: number;
  pacing: Pacing;
  defined: Set<number>;
  timer: { cancel(): void } | null;
  blockedSince: number | null;
  closed: boolean;
}

const NO_PACING: Pacing = { name: 'fast', chunk: Infinity, intervalMs: 1, gapAt: Infinity, gapMs: 0 };

type Sched = (ms: number, fn: () => void) => { cancel(): void };

export class ZebraModel {
  readonly routes = new Map<string, RouteId>();
  /** Per daemon: routes it would give zebra, by "table|prefix" (zebra's table). */
  readonly intent: Record<Proto, Map<string, Content>> = { kernel: new Map(), static: new Map(), bgp: new Map(), ospf: new Map() };
  /** Route keys each daemon may announce. */
  readonly pool: Record<Proto, string[]> = { kernel: [], static: [], bgp: [], ospf: [] };
  alive = false;
  generation = 0;
  /** What the daemons gave this zebra. */
  private zin: Record<Proto, Map<string, Content>> = { kernel: new Map(), static: new Map(), bgp: new Map(), ospf: new Map() };
  /** Daemons whose whole intent this zebra has (others are relearning, or not registered). */
  private complete = new Set<Proto>();
  /** Daemons that have begun giving this zebra their routes. */
  private talking = new Set<Proto>();
  readonly rib = new Map<string, RibEntry>();
  /** Routes a restart took from the RIB, by the daemon they were from: owed until that daemon has given this zebra its whole table again. */
  private readonly lostBy = new Map<string, Proto>();
  private nhNext = 1;
  private readonly nhSingle = new Map<string, number>();
  private readonly nhGroup = new Map<string, number>();
  private readonly nhDef = new Map<number, NhDef>();
  private conn: Conn | null = null;
  /** zebra's own timers (relearn, reconnect): cancelled when it dies. */
  private timers: { cancel(): void }[] = [];
  /** fibmgr as zebra finds it at its next connect attempt. */
  fib: FibmgrNode | null = null;
  /** Messages delivered to fibmgr so far, and when last. */
  delivered = 0;
  private lastDeliveryAt = 0;
  /** The nexthop id each route fibmgr got last named, and which zebra gave it (for the timeline). */
  private readonly namedBy = new Map<string, { generation: number; nh: number }>();

  constructor(
    private readonly prng: Prng,
    private readonly o: ZebraOptions,
    private readonly sched: Sched,
    private readonly now: () => number,
    private readonly w: ZebraWitness,
  ) {
    this.buildPools();
  }

  // --- the universe of routes -----------------------------------------------------------------

  private addRoute(proto: Proto, table: number, text: string, initial: number): void {
    const prefix = prefixText(parsePrefix(text)); // as VPP's dump will print it
    const family = prefix.includes(':') ? 6 : 4;
    const key = `${table}|${prefix}`;
    if (!this.routes.has(key)) this.routes.set(key, { table, prefix, family });
    this.pool[proto].push(key);
    if (this.prng.chance(initial)) this.intent[proto].set(key, this.content(proto, family));
  }

  private buildPools(): void {
    const n = this.o.scale;
    this.addRoute('kernel', 254, '0.0.0.0/0', 1);
    this.addRoute('kernel', 254, '198.51.100.0/24', 1);
    this.addRoute('kernel', 254, '::/0', 1);
    for (let i = 0; i < Math.max(4, n / 8); i++) this.addRoute('static', 254, `192.168.${i}.0/24`, 0.7);
    for (let i = 0; i < 3; i++) this.addRoute('static', 254, `2001:db8:5:${i}::/64`, 0.7);
    this.addRoute('static', 100, '10.100.250.0/24', 0.7);
    for (let i = 0; i < Math.max(4, n / 6); i++) this.addRoute('ospf', 254, `172.16.${i}.0/24`, 0.7);
    for (let i = 0; i < n / 2; i++) this.addRoute('bgp', 254, `10.${1 + (i >> 8)}.${i & 255}.0/24`, 0.75);
    for (let i = 0; i < n / 6; i++) this.addRoute('bgp', 254, `2001:db8:${(i + 16).toString(16)}::/48`, 0.75);
    for (let i = 0; i < n / 4; i++) this.addRoute('bgp', 100, `10.100.${i}.0/24`, 0.75);
    for (let i = 0; i < n / 10; i++) this.addRoute('bgp', 100, `2001:db8:100:${i.toString(16)}::/64`, 0.75);
    if (this.o.table200) for (let i = 0; i < n / 6; i++) this.addRoute('bgp', 200, `10.200.${i}.0/24`, 0.8);
    // statics that override a BGP route of the same prefix (the route changes protocol)
    for (const key of this.prng.sample(this.pool.bgp.filter((k) => k.startsWith('254|10.')), 2)) {
      const r = this.routes.get(key)!;
      this.addRoute('static', r.table, r.prefix, 0.3);
    }
  }

  private static readonly HOPS4: Hop[] = [
    { gw: '10.0.0.1', ifindex: 2 }, { gw: '10.0.0.2', ifindex: 2 }, { gw: '10.0.1.1', ifindex: 3 },
    { gw: '10.0.1.2', ifindex: 3 }, { gw: '192.0.2.9', ifindex: 0 }, { gw: '192.0.2.10', ifindex: 0 },
  ];
  private static readonly HOPS6: Hop[] = [
    { gw: 'fe80::1', ifindex: 2 }, { gw: 'fe80::2', ifindex: 3 }, { gw: '2001:db8:ff::1', ifindex: 0 }, { gw: '2001:db8:ff::2', ifindex: 0 },
  ];

  /** Paths a daemon would give a route (a blackhole now and then, mostly from statics). */
  content(proto: Proto, family: 4 | 6): Content {
    if (proto === 'kernel') return { type: 'unicast', hops: [family === 4 ? { gw: '192.0.2.1', ifindex: 2 } : { gw: 'fe80::1', ifindex: 2 }] };
    if (this.prng.chance(proto === 'static' ? 0.15 : 0.03)) return { type: 'blackhole', hops: [] };
    const pool = family === 4 ? ZebraModel.HOPS4 : ZebraModel.HOPS6;
    const k = this.prng.chance(0.6) ? 1 : this.prng.between(2, 3);
    const hops = this.prng.sample(pool, k).sort((a, b) => hopKey(a).localeCompare(hopKey(b)));
    if (proto !== 'bgp') return { type: 'unicast', hops };
    // BGP routes share a few next-hop sets (their peers'): a nexthop group serves many routes
    const sets = family === 4 ? ZebraModel.BGP4 : ZebraModel.BGP6;
    let h = 0;
    for (const c of setKey(hops)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return { type: 'unicast', hops: sets[h % sets.length]! };
  }

  private static readonly BGP4: Hop[][] = [
    [{ gw: '10.0.0.1', ifindex: 2 }, { gw: '10.0.1.1', ifindex: 3 }],
    [{ gw: '10.0.0.2', ifindex: 2 }, { gw: '192.0.2.9', ifindex: 0 }],
    [{ gw: '10.0.1.2', ifindex: 3 }],
    [{ gw: '10.0.0.1', ifindex: 2 }, { gw: '10.0.1.2', ifindex: 3 }, { gw: '192.0.2.10', ifindex: 0 }],
  ];
  private static readonly BGP6: Hop[][] = [
    [{ gw: 'fe80::1', ifindex: 2 }, { gw: 'fe80::2', ifindex: 3 }],
    [{ gw: '2001:db8:ff::1', ifindex: 0 }],
    [{ gw: '2001:db8:ff::2', ifindex: 0 }, { gw: 'fe80::1', ifindex: 2 }],
  ];

  // --- the daemons: what they would give zebra --------------------------------------------------

  /** A daemon announces, changes or withdraws one route (zebra learns it if it is up and has that daemon). */
  daemonChange(proto: Proto, key: string, c: Content | null): void {
    if (c) this.intent[proto].set(key, c);
    else this.intent[proto].delete(key);
    if (!this.alive) return;
    // a daemon still relearning sends its changes as it learns them: a new route goes at once, once it talks to zebra
    if (this.complete.has(proto) || this.zin[proto].has(key) || (c && (this.talking.has(proto) || this.o.earlyRelearn))) this.give(proto, key, c);
  }

  /** Daemon `proto` gives this zebra `key` (null: withdraws it): the RIB follows. */
  private give(proto: Proto, key: string, c: Content | null): void {
    this.talking.add(proto);
    if (c) this.zin[proto].set(key, c);
    else this.zin[proto].delete(key);
    this.select(key);
  }

  /** The best route of a prefix, by distance: a change goes to fibmgr. */
  private select(key: string): void {
    let best: Proto | null = null;
    for (const p of PROTOS) if (this.zin[p].has(key) && (best === null || DISTANCE[p] < DISTANCE[best])) best = p;
    const old = this.rib.get(key);
    if (best === null) {
      if (!old) return;
      this.rib.delete(key);
      this.w.dropped(vppKey(this.routes.get(key)!));
      this.send(key, null, old.proto, null);
      return;
    }
    const content = this.zin[best].get(key)!;
    const nh = this.nhFor(content);
    if (old && old.proto === best && old.nh === nh && setKey(old.content.hops) === setKey(content.hops) && old.content.type === content.type) return;
    const e = { proto: best, content, nh };
    this.rib.set(key, e);
    this.lostBy.delete(key);
    // dplane_fpm_nl writes a change as a delete and an add of the prefix in one frame
    this.send(key, e, best, old && this.o.module !== 'legacy' ? old.proto : null);
  }

  // --- nexthop ids (dplane_fpm_nl with groups) ---------------------------------------------------

  private nhFor(c: Content): number | null {
    if (this.o.module !== 'nl-groups' || c.type !== 'unicast') return null;
    const singles = c.hops.map((h) => this.single(h));
    if (singles.length === 1) return singles[0]!;
    return this.nhId(this.nhGroup, setKey(c.hops), { members: singles });
  }

  private single(h: Hop): number {
    return this.nhId(this.nhSingle, hopKey(h), { hop: h });
  }

  /** The id zebra gave `key` in `ids`, or the next one, defined as `def`. */
  private nhId(ids: Map<string, number>, key: string, def: NhDef): number {
    let id = ids.get(key);
    if (id === undefined) {
      id = this.nhNext++;
      ids.set(key, id);
      this.nhDef.set(id, def);
    }
    return id;
  }

  private nhBytes(id: number): Buffer {
    const d = this.nhDef.get(id)!;
    if (d.hop) return nexthopMsg({ id, gateway: d.hop.gw, oif: d.hop.ifindex || undefined });
    return nexthopMsg({ id, group: d.members!.map((m) => ({ id: m })) });
  }

  /** Defines `id` (and its members) in the session before a message names it. */
  private define(c: Conn, id: number, out: Msg[]): void {
    if (c.defined.has(id)) return;
    const d = this.nhDef.get(id)!;
    for (const m of d.members ?? []) this.define(c, m, out);
    c.defined.add(id);
    out.push({ bytes: this.nhBytes(id) });
  }

  /**
   * A nexthop group changes under the routes that name it (a BGP next hop resolves elsewhere): with
   * groups, one RTM_NEWNEXTHOP redefines it and the routes are not resent; inline, each route is.
   */
  groupChange(): string | null {
    if (!this.alive) return null;
    const bySet = new Map<string, string[]>();
    for (const [key, e] of this.rib) {
      if (e.content.type !== 'unicast' || e.content.hops.length < 2 || e.proto === 'kernel') continue;
      const k = this.o.module === 'nl-groups' ? `#${e.nh}` : setKey(e.content.hops);
      bySet.set(k, [...(bySet.get(k) ?? []), key]);
    }
    if (bySet.size === 0) return null;
    const [which, keys] = this.prng.pick([...bySet]);
    const first = this.rib.get(keys[0]!)!;
    const family = this.routes.get(keys[0]!)!.family;
    const pool = family === 4 ? ZebraModel.HOPS4 : ZebraModel.HOPS6;
    let hops: Hop[];
    do hops = this.prng.sample(pool, this.prng.between(2, 3)).sort((a, b) => hopKey(a).localeCompare(hopKey(b)));
    while (setKey(hops) === setKey(first.content.hops));
    const content: Content = { type: 'unicast', hops };
    // the daemons' view follows (a relearn after a restart gives the new paths)
    for (const key of keys) {
      const e = this.rib.get(key)!;
      this.intent[e.proto].set(key, content);
      this.zin[e.proto].set(key, content);
    }
    if (this.o.module !== 'nl-groups') {
      for (const key of keys) this.select(key);
      return `${keys.length} routes via ${setKey(first.content.hops)} move to ${setKey(hops)} (each resent)`;
    }
    const id = first.nh!;
    const old = setKey(first.content.hops);
    const singles = hops.map((h) => this.single(h));
    this.nhDef.set(id, { members: singles });
    if (this.nhGroup.get(old) === id) this.nhGroup.delete(old);
    if (!this.nhGroup.has(setKey(hops))) this.nhGroup.set(setKey(hops), id);
    for (const key of keys) this.rib.set(key, { ...this.rib.get(key)!, content });
    const c = this.conn;
    if (c && c.defined.has(id)) {
      const out: Msg[] = [];
      for (const s of singles) this.define(c, s, out);
      const text = pathsText(content);
      out.push({ bytes: this.nhBytes(id), allows: keys.map((k) => [vppKey(this.routes.get(k)!), text]) });
      this.enqueue(c, out);
    }
    let older = 0;
    for (const [key, n] of this.namedBy) if (n.nh === id && n.generation < this.generation && !keys.includes(key)) older++;
    return `group ${which.slice(1)} (${keys.length} routes) ${old} → ${setKey(hops)}${older ? `; ${older} routes an older zebra gave name id ${id} too` : ''}`;
  }

  // --- the FPM stream ------------------------------------------------------------------------------

  private protocolOf(p: Proto): number {
    return this.o.module === 'legacy' && p !== 'kernel' ? LEGACY_ZEBRA : PROTO_NUM[p];
  }

  /** A route's message; a delete names the protocol of the route it deletes, as zebra's does. */
  private routeBytes(key: string, e: RibEntry | null, was: Proto): Buffer {
    const r = this.routes.get(key)!;
    const table = { rtmTable: r.table < 256 ? r.table : 252, tableAttr: r.table };
    if (!e) return routeMsg({ op: 'del', prefix: r.prefix, ...table, protocol: this.protocolOf(was) });
    const protocol = this.protocolOf(e.proto);
    if (e.content.type === 'blackhole') return routeMsg({ prefix: r.prefix, ...table, protocol, type: 6 });
    if (e.nh !== null) return routeMsg({ prefix: r.prefix, ...table, protocol, nhId: e.nh });
    const hops = e.content.hops;
    if (hops.length === 1) return routeMsg({ prefix: r.prefix, ...table, protocol, gateway: hops[0]!.gw, oif: hops[0]!.ifindex || undefined });
    return routeMsg({ prefix: r.prefix, ...table, protocol, multipath: hops.map((h) => ({ gateway: h.gw, ifindex: h.ifindex })) });
  }

  /** A route's messages: the nexthop objects it needs first, then the route (after the delete of the route it replaces, `replaces`, in the same frame). */
  private routeMsgs(c: Conn, key: string, e: RibEntry | null, was: Proto, replaces: Proto | null = null): Msg[] {
    const out: Msg[] = [];
    if (e?.nh != null) this.define(c, e.nh, out);
    const bytes = this.routeBytes(key, e, was);
    out.push({
      bytes: replaces ? Buffer.concat([this.routeBytes(key, null, replaces), bytes]) : bytes,
      route: { key: vppKey(this.routes.get(key)!), zkey: key, text: e ? pathsText(e.content) : null, nh: e?.nh ?? null },
    });
    return out;
  }

  private send(key: string, e: RibEntry | null, was: Proto, replaces: Proto | null): void {
    const c = this.conn;
    if (c) this.enqueue(c, this.routeMsgs(c, key, e, was, replaces));
  }

  private enqueue(c: Conn, msgs: Msg[]): void {
    c.queue.push(...msgs);
    if (c.timer === null && c.blockedSince === null) c.timer = this.sched(this.prng.between(1, 20), () => this.pump(c));
  }

  /** zebra tries to connect to fibmgr (dplane_fpm_nl retries every second while it cannot). */
  connect(): void {
    if (!this.alive || this.conn) return;
    const fib = this.fib;
    let c: Conn | null = null;
    const link = fib?.accept((why) => c && this.lost(c, why), this.o.visible ? `zebra#${this.generation}` : null) ?? null;
    if (!fib || !link) {
      this.later(1000, () => this.connect());
      return;
    }
    c = {
      link, fib, queue: [], replayLeft: 0, sent: 0, pacing: NO_PACING, defined: new Set(), timer: null, blockedSince: null, closed: false,
    };
    this.conn = c;
    // the replay: zebra walks its tables, each in its walk order (a pre-order walk of the trie)
    const net = (key: string) => parsePrefix(this.routes.get(key)!.prefix);
    const keys = [...this.rib.keys()].sort((a, b) => this.order(a) - this.order(b) || walkOrder(net(a), net(b)));
    const msgs: Msg[] = [];
    /** Where the walk passes from one table (and family) to the next. */
    const boundaries: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const e = this.rib.get(key)!;
      if (i > 0 && this.order(key) !== this.order(keys[i - 1]!)) boundaries.push(msgs.length);
      msgs.push(...this.routeMsgs(c, key, e, e.proto));
    }
    c.pacing = this.pacing(msgs.length, boundaries);
    c.replayLeft = msgs.length;
    this.w.note(`zebra: FPM session ${link.id} up, replay of ${keys.length} routes (${c.pacing.name})`);
    c.queue.push(...msgs);
    c.timer = this.sched(1, () => this.pump(c!));
  }

  private order(key: string): number {
    const r = this.routes.get(key)!;
    return (r.table === 254 ? 0 : r.table) * 10 + r.family;
  }

  /**
   * How this replay reaches fibmgr: at once, in chunks, or in chunks with a stall longer than the
   * resync grace — between two tables (replayGaps), or anywhere, inside a table too (replayStalls).
   */
  private pacing(length: number, boundaries: number[]): Pacing {
    const grace = this.o.resyncGraceMs;
    const kind = this.prng.weighted({ fast: 5, slow: 3, gap: this.o.replayGaps || this.o.replayStalls ? 2 : 0 });
    if (kind === 'fast') return NO_PACING;
    const chunk = this.prng.between(5, 40);
    const intervalMs = this.prng.between(50, Math.floor(grace / 2));
    const slow: Pacing = { name: `slow: ${chunk} every ${intervalMs} ms`, chunk, intervalMs, gapAt: Infinity, gapMs: 0 };
    if (kind === 'slow') return slow;
    const gapMs = this.prng.between(Math.ceil(grace * 1.2), grace * 4);
    const anywhere = this.o.replayStalls && (!this.o.replayGaps || this.prng.chance(0.5));
    const gapAt = anywhere ? this.prng.between(1, Math.max(1, length - 1)) : boundaries.length ? this.prng.pick(boundaries) : Infinity;
    if (gapAt === Infinity) return slow;
    return { name: `slow with a ${gapMs} ms stall after ${gapAt} messages: ${chunk} every ${intervalMs} ms`, chunk, intervalMs, gapAt, gapMs };
  }

  /** Hands zebra's queued bytes to fibmgr at the session's pace, waiting while fibmgr is congested. */
  private pump(c: Conn): void {
    c.timer = null;
    if (c.closed || c.queue.length === 0) return;
    if (c.link.congested) {
      if (c.blockedSince === null) {
        c.blockedSince = this.now();
        const since = c.blockedSince;
        if (this.o.resetWhenBlocked) {
          this.later(15_000, () => {
            if (!c.closed && c.blockedSince === since) {
              this.w.note('zebra: FPM output blocked for 15 s: zebra resets the connection (FRR 10.3)');
              this.cut(c, 'reset by zebra: output blocked 15 s', 1000);
            }
          });
        }
        c.fib.whenDrained(() => {
          c.blockedSince = null;
          if (!c.closed && c.timer === null) c.timer = this.sched(1, () => this.pump(c));
        });
      }
      return;
    }
    const inReplay = c.replayLeft > 0;
    let n = inReplay ? Math.min(c.pacing.chunk, c.replayLeft) : c.queue.length;
    let gap = 0;
    if (inReplay && c.sent < c.pacing.gapAt && c.sent + n >= c.pacing.gapAt) {
      n = c.pacing.gapAt - c.sent;
      gap = c.pacing.gapMs;
    }
    const msgs = c.queue.splice(0, n);
    if (inReplay) c.replayLeft -= msgs.length;
    c.sent += msgs.length;
    this.delivered += msgs.length;
    this.lastDeliveryAt = this.now();
    // what fibmgr is handed first counts first (its write may complete within this call)
    for (const m of msgs) {
      // an add queued before zebra dropped the route (its delete follows) is not zebra's any more
      if (m.route) {
        this.w.delivered(m.route.key, m.route.text, this.rib.has(m.route.zkey));
        if (m.route.nh !== null) this.namedBy.set(m.route.zkey, { generation: this.generation, nh: m.route.nh });
        else this.namedBy.delete(m.route.zkey);
      }
      for (const [k, t] of m.allows ?? []) this.w.allowed(k, t);
    }
    c.link.deliver(Buffer.concat(msgs.map((m) => netlinkFrame(m.bytes))));
    if (inReplay && c.replayLeft === 0) this.w.note(`zebra: replay of session ${c.link.id} delivered`);
    if (gap > 0) this.w.note(`zebra: replay stalls ${gap} ms (longer than the resync grace)`);
    if (c.closed || c.queue.length === 0) return;
    c.timer = this.sched(gap || (c.replayLeft > 0 ? c.pacing.intervalMs : 1), () => this.pump(c));
  }

  /** fibmgr closed the connection (it stopped, died, or refused the stream). */
  private lost(c: Conn, why: string): void {
    if (c.closed) return;
    this.w.note(`zebra: FPM session ${c.link.id} closed (${why})`);
    this.drop(c);
    this.later(this.prng.between(200, 3000), () => this.connect());
  }

  private drop(c: Conn): void {
    c.queue = [];
    c.closed = true;
    c.timer?.cancel();
    c.timer = null;
    if (this.conn === c) this.conn = null;
    this.w.sessionEnded();
  }

  private cut(c: Conn, why: string, reconnectMs: number): void {
    if (c.closed) return;
    c.link.close(why);
    this.drop(c);
    this.later(reconnectMs, () => this.connect());
  }

  /** The FPM connection breaks (zebra lives): reconnects after `reconnectMs`. */
  cutFpm(reconnectMs: number): boolean {
    const c = this.conn;
    if (!c) return false;
    this.cut(c, 'FPM connection cut', reconnectMs);
    return true;
  }

  get connected(): boolean {
    return this.conn !== null;
  }

  /** zebra's replay or updates still to be handed over. */
  get backlog(): number {
    return this.conn?.queue.length ?? 0;
  }

  // --- zebra's process -----------------------------------------------------------------------------

  private later(ms: number, fn: () => void): void {
    const t = this.sched(ms, () => {
      this.timers = this.timers.filter((x) => x !== t);
      fn();
    });
    this.timers.push(t);
  }

  /** zebra starts: its own routes at once, then statics, then the daemons relearn in parts. */
  start(opts: { relearn: boolean }): void {
    this.alive = true;
    this.generation++;
    this.nhNext = 1; // a new zebra hands out nexthop ids from the same base
    this.nhSingle.clear();
    this.nhGroup.clear();
    this.nhDef.clear();
    this.complete.clear();
    this.talking.clear();
    for (const p of PROTOS) this.zin[p] = new Map();
    this.rib.clear();
    this.learnAll('kernel');
    if (!opts.relearn) {
      for (const p of PROTOS) this.learnAll(p);
    } else {
      this.later(this.prng.between(300, 2500), () => this.learnAll('static'));
      for (const p of ['bgp', 'ospf'] as const) {
        const keys = [...this.intent[p].keys()];
        const byTable = p === 'bgp' && this.prng.chance(0.4);
        const ordered = byTable ? keys.sort((a, b) => this.order(a) - this.order(b)) : this.prng.sample(keys, keys.length);
        const parts = p === 'bgp' ? this.prng.between(1, 4) : this.prng.between(1, 2);
        const first = this.prng.between(1500, 12_000);
        const gaps = Array.from({ length: parts }, () => this.prng.between(1000, 20_000));
        const part = (i: number) => {
          // without early relearn, a daemon's first routes wait until zebra's first burst reached fibmgr and went quiet
          if (i === 0 && !this.o.earlyRelearn && !this.firstBurstQuiet()) return this.later(500, () => part(0));
          const slice = ordered.slice(Math.floor((i * ordered.length) / parts), Math.floor(((i + 1) * ordered.length) / parts));
          for (const key of slice) {
            const c = this.intent[p].get(key);
            if (c) this.give(p, key, c);
          }
          if (i === parts - 1) this.learnAll(p);
          this.w.note(`zebra: ${p} relearned part ${i + 1}/${parts} (${slice.length} routes${byTable ? ', table by table' : ''})`);
          if (i + 1 < parts) this.later(gaps[i]!, () => part(i + 1));
        };
        this.later(first, () => part(0));
      }
    }
    this.later(this.prng.between(50, 1500), () => this.connect());
  }

  /** zebra's session is up, its replay delivered, and nothing went to fibmgr for longer than the resync grace. */
  private firstBurstQuiet(): boolean {
    const c = this.conn;
    return c !== null && c.replayLeft === 0 && c.queue.length === 0 && this.now() - this.lastDeliveryAt >= this.o.resyncGraceMs + 500;
  }

  /** The daemon has given this zebra its whole intent. */
  learnAll(p: Proto): void {
    if (!this.alive) return;
    for (const [key, c] of this.intent[p]) if (this.zin[p].get(key) !== c) this.give(p, key, c);
    for (const key of [...this.zin[p].keys()]) if (!this.intent[p].has(key)) this.give(p, key, null);
    this.complete.add(p);
    // the daemon's whole table is back: what a restart took and it did not give again is gone for good
    for (const [key, from] of this.lostBy) {
      if (from !== p || this.rib.has(key)) continue;
      this.lostBy.delete(key);
      this.w.dropped(vppKey(this.routes.get(key)!));
    }
  }

  /** Every daemon relearned now (a quiet period begins). */
  settle(): void {
    for (const p of PROTOS) if (!this.complete.has(p)) this.learnAll(p);
  }

  /** kill -9 zebra: the session ends without a word; the RIB is gone, not withdrawn. */
  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    const c = this.conn;
    if (c) {
      c.link.close('zebra died');
      this.drop(c);
    }
    for (const t of this.timers) t.cancel();
    this.timers = [];
    for (const p of PROTOS) this.zin[p] = new Map();
    this.complete.clear();
    this.talking.clear();
    for (const [key, e] of this.rib) this.lostBy.set(key, e.proto);
    this.rib.clear();
  }

  /** Routes of the RIB that fibmgr should install (all of them: no connected routes here). */
  expected(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, e] of this.rib) out.set(vppKey(this.routes.get(key)!), pathsText(e.content));
    return out;
  }
}
