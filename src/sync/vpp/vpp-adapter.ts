// The VPP port over the binary API client: ownership (our own FIB source when VPP offers the
// _v2 route messages, else the API source), tables, interface mapping and route programming.
import { readFileSync } from 'node:fs';
import type { Logger } from '../../log.js';
import { prefixText, v4Prefix } from '../../route/prefix.js';
import type { Family, Prefix } from '../../route/types.js';
import { isRetvalError, type MessageDef, type VppClient } from 'vpp-binapi-ts';
import { specFromDetails } from './vpp-fields.js';
import { RouteWrites } from '../write/route-writes.js';
import type { RouteRequest } from 'vpp-binapi-ts';
import { readRouteHead, type RouteHead } from './route-details.js';
import { MPLS_MESSAGES, VppMpls } from '../mpls/vpp-mpls.js';

import type { InterfaceMapEntry, MplsPort, Ownership, Pace, VppPath, VppPort, VppRouteSpec, Written, AdoptSink } from './vpp-port.js';

export const SOURCE_NAME = 'fibmgr';
/** Better than the API source (128) and the CLI (129), worse than interface routes (3). */
export const SOURCE_PRIORITY = 100;

/** The messages the adapter speaks, by name (the generated `messages` object satisfies this). */
export type AdapterMessages = Record<string, MessageDef>;

export const REQUIRED = [
  'ip_route_add_del', 'ip_route_dump', 'ip_table_add_del', 'ip_table_dump', 'sw_interface_dump', 'control_ping',
] as const;
export const OPTIONAL = ['fib_source_add', 'fib_source_dump', 'ip_route_add_del_v2', 'ip_route_v2_dump', 'lcp_itf_pair_get', 'ip_route_lookup_v2', ...MPLS_MESSAGES] as const;

export interface VppAdapterOptions {
  client: VppClient;
  messages: AdapterMessages;
  interfaceMap?: InterfaceMapEntry[];
  logger: Logger;
  /**
   * A client of its own for audits (connected for each audit, closed after): a full table's dump
   * then never queues ahead of the route writes' replies on the main connection.
   */
  auditClient?: () => VppClient;
  /** Linux name → ifindex (default: /sys/class/net/NAME/ifindex of fibmgr's own namespace). */
  linuxIfindex?: (name: string) => number | undefined;
}

/** A Linux interface's ifindex in fibmgr's own network namespace, by name (/sys/class/net). */
export function sysIfindex(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

export class VppAdapter implements VppPort {
  private readonly c: VppClient;
  private readonly m: AdapterMessages;
  private readonly log: Logger;
  private readonly opts: VppAdapterOptions;
  private ownership: Ownership = { mode: 'api' };
  private tables = new Set<string>();
  private ifmap = new Map<number, number>();
  private reconnectCbs: (() => void)[] = [];
  private disconnectCbs: ((reason: string) => void)[] = [];
  private sent = 0;
  private answered = 0;

  constructor(opts: VppAdapterOptions) {
    this.opts = opts;
    this.c = opts.client;
    this.m = opts.messages;
    this.log = opts.logger.child({ component: 'vpp' });
    this.c.on('connected', (info) => {
      this.tables.clear();
      if (info.reconnect) for (const cb of this.reconnectCbs) cb();
    });
    this.c.on('disconnected', ({ reason }) => {
      for (const cb of this.disconnectCbs) cb(reason);
    });
  }

  get connected(): boolean {
    return this.c.connected;
  }

  private mplsPort: VppMpls | null = null;

  /** VPP's MPLS FIB, where this VPP offers its messages (checked per session: a VPP may change). */
  get mpls(): MplsPort | undefined {
    if (!MPLS_MESSAGES.every((n) => this.offers(n))) return undefined;
    return (this.mplsPort ??= new VppMpls(this.c, (n) => this.def(n)));
  }

  get inflight(): number {
    return this.sent - this.answered;
  }

  get mode(): Ownership {
    return this.ownership;
  }

  onReconnect(cb: () => void): void {
    this.reconnectCbs.push(cb);
  }

  onDisconnect(cb: (reason: string) => void): void {
    this.disconnectCbs.push(cb);
  }

  resetSession(reason: string): void {
    this.c.reset(reason);
  }

  private def(name: string): MessageDef {
    const d = this.m[name];
    if (!d) throw new Error(`no definition for VPP message ${name}`);
    return d;
  }

  private offers(name: string): boolean {
    const d = this.m[name];
    return !!d && this.c.has(d);
  }

  async prepare(adopt: AdoptSink): Promise<{ ownership: Ownership; installed: number }> {
    this.tables.clear();
    this.ownership = await this.findSource();
    await this.loadInterfaces();
    adopt.begin(this.ownership);
    const installed = this.ownership.mode === 'source' ? await this.dumpOurs(this.ownership.sourceId!, (spec) => adopt.route(spec)) : 0;
    this.log.info({ ownership: this.ownership.mode, source: this.ownership.sourceId, installed, mappedInterfaces: this.ifmap.size }, 'VPP session prepared');
    return { ownership: this.ownership, installed };
  }

  private async findSource(): Promise<Ownership> {
    const can = ['fib_source_add', 'fib_source_dump', 'ip_route_add_del_v2', 'ip_route_v2_dump'].every((n) => this.offers(n));
    if (!can) {
      this.log.warn({}, 'VPP lacks fib_source_add / ip_route_add_del_v2 / ip_route_v2_dump: using the API source (routes of other API clients cannot be told apart; nothing is adopted at start)');
      return { mode: 'api' };
    }
    // fib_source_add hands out a new id on every call, even for a known name: look first.
    const sources = await this.c.dump<any, any>(this.def('fib_source_dump'), {});
    const mine = sources.map((d) => d.src).find((s) => s?.name === SOURCE_NAME);
    if (mine) return { mode: 'source', sourceId: Number(mine.id) };
    const r = await this.c.request<any, any>(this.def('fib_source_add'), { src: { priority: SOURCE_PRIORITY, name: SOURCE_NAME } });
    this.log.info({ source: r.id, priority: SOURCE_PRIORITY }, 'allocated FIB source fibmgr');
    return { mode: 'source', sourceId: Number(r.id) };
  }

  /** The new map is built aside and replaces the old one whole: lookups never see it half-loaded. */
  private async loadInterfaces(): Promise<void> {
    const ifmap = new Map<number, number>();
    const entries = this.opts.interfaceMap ?? [];
    const linkIfindex = this.opts.linuxIfindex ?? sysIfindex;
    const byName = new Map<string, number>();
    if (entries.some((e) => typeof e.vpp === 'string')) {
      const details = await this.c.dump<any, any>(this.def('sw_interface_dump'), { sw_if_index: 0xffffffff, name_filter_valid: false, name_filter: '' });
      for (const d of details) byName.set(String(d.interface_name), Number(d.sw_if_index));
    }
    for (const e of entries) {
      const ifindex = typeof e.linux === 'number' ? e.linux : linkIfindex(e.linux);
      const sw = typeof e.vpp === 'number' ? e.vpp : byName.get(e.vpp);
      if (ifindex === undefined) this.log.warn({ linux: e.linux, vpp: e.vpp }, 'interface map: no such Linux interface');
      else if (sw === undefined) this.log.warn({ linux: e.linux, vpp: e.vpp }, 'interface map: no such VPP interface');
      else ifmap.set(ifindex, sw);
    }
    // linux-cp: each pair's host tap (what zebra's next hops name, by Linux ifindex) stands for
    // a VPP interface. An explicit --interface-map entry wins over a pair.
    if (this.offers('lcp_itf_pair_get')) {
      const pairs = await this.c.dump<any, any>(this.def('lcp_itf_pair_get'), { cursor: 0 });
      for (const p of pairs) {
        const ifindex = Number(p.vif_index);
        if (!ifmap.has(ifindex)) ifmap.set(ifindex, Number(p.phy_sw_if_index));
      }
      this.log.info({ pairs: pairs.map((p) => ({ host: p.host_if_name, ifindex: p.vif_index, swIfIndex: p.phy_sw_if_index, netns: p.netns })) }, 'linux-cp interface pairs');
    }
    this.ifmap = ifmap;
  }

  /**
   * Streams our routes, table by table, into `adopt`, read as they arrive (route-details.ts): the
   * generated decoder runs once per distinct path set, and equal sets hand over the same array.
   */
  private async dumpOurs(src: number, onRoute: (spec: VppRouteSpec) => void, c: VppClient = this.c): Promise<number> {
    let n = 0;
    const details = this.def('ip_route_v2_details');
    const head: RouteHead = { family: 4, table: 0, prefix: v4Prefix(0, 0), pathStart: 0, pathEnd: 0 };
    // path bytes (as a latin1 string) → the set they decode to, or null: a path fibmgr never installs
    const sets = new Map<string, VppPath[] | null>();
    const tables = await c.dump<any, any>(this.def('ip_table_dump'), {});
    for (const t of tables) {
      const table = t.table;
      await c.dumpRaw(this.def('ip_route_v2_dump'), { src, table: { table_id: table.table_id, is_ip6: table.is_ip6, name: '' } }, (buf, s, e) => {
        if (!readRouteHead(buf, s, e, head)) {
          this.log.warn({ table: table.table_id }, 'a route of our source that does not decode: left alone');
          return;
        }
        const key = buf.toString('latin1', head.pathStart, head.pathEnd);
        let paths = sets.get(key);
        if (paths === undefined) {
          // bounded: a VPP with more distinct sets than this only costs more decoding
          if (sets.size >= 65536) sets.clear();
          paths = specFromDetails((details.decode(buf, s, e) as any).route)?.paths ?? null;
          sets.set(key, paths);
        }
        if (paths) {
          n++;
          onRoute({ family: head.family, table: head.table, prefix: head.prefix, paths });
        } else this.log.warn({ table: table.table_id, prefix: head.prefix }, 'a route of our source has a path fibmgr never installs: left alone');
      });
      this.tables.add(`${table.is_ip6 ? 6 : 4}|${table.table_id}`);
    }
    return n;
  }

  async readOurs(onRoute: (spec: VppRouteSpec) => void, pace?: Pace): Promise<number> {
    if (!this.c.connected) throw new Error('VPP is not connected');
    if (this.ownership.mode !== 'source') throw new Error('fibmgr uses the API source here (VPP lacks ip_route_v2_dump): its routes cannot be told from other clients\'');
    const make = this.opts.auditClient;
    if (!make) return this.dumpOurs(this.ownership.sourceId!, onRoute);
    const c = make();
    try {
      await c.connect();
      // on a connection of its own the dump can wait in the socket while zebra's changes go first
      let waiting = false;
      const paced = !pace ? onRoute : (spec: VppRouteSpec) => {
        onRoute(spec);
        if (!waiting && pace.busy()) {
          waiting = true;
          c.pause();
          pace.whenFree(() => {
            waiting = false;
            c.resume();
          });
        }
      };
      return await this.dumpOurs(this.ownership.sourceId!, paced, c);
    } finally {
      await c.close().catch(() => undefined);
    }
  }

  async lookupRoute(table: number, prefix: Prefix): Promise<{ source: number; ours: boolean; paths: VppPath[] } | null> {
    if (!this.offers('ip_route_lookup_v2')) throw new Error('VPP lacks ip_route_lookup_v2');
    try {
      const r = await this.c.request<any, any>(this.def('ip_route_lookup_v2'), { table_id: table, exact: 1, prefix: prefixText(prefix) });
      const spec = specFromDetails(r.route);
      return { source: Number(r.route.src), ours: this.ownership.mode === 'source' && Number(r.route.src) === this.ownership.sourceId, paths: spec?.paths ?? [] };
    } catch (err) {
      // VPP answers an exact lookup of a prefix it does not hold with an error
      if (isRetvalError(err)) return null;
      throw err;
    }
  }

  async ensureTable(family: Family, table: number): Promise<void> {
    const key = `${family}|${table}`;
    if (table === 0 || this.tables.has(key)) return;
    await this.c.request(this.def('ip_table_add_del'), { is_add: true, table: { table_id: table, is_ip6: family === 6, name: '' } });
    this.tables.add(key);
    this.log.info({ family, table }, 'created VPP table');
  }

  /** Route writes as ip_route_add_del(_v2) requests, by message. */
  private routeWrites: Record<string, RouteWrites> = {};

  private writesOf(name: 'ip_route_add_del' | 'ip_route_add_del_v2'): RouteWrites {
    return (this.routeWrites[name] ??= new RouteWrites(this.def(name)));
  }

  private written: Written = () => {};
  private readonly ackTo = (token: number, err: Error | null): void => {
    this.answered++;
    // The client keeps tokens as doubles (InFlight's sToken) and can hand one back as a heap
    // number: kept in the writer's free list, it turned that list into an array of doubles in the
    // warm-up's writers but not in zebra's, so V8 threw away its compiled send ~15 ms into
    // zebra's first sync (README, Benchmarks, run AD). The writer's tokens are small integers:
    // `| 0` keeps them small integers (Smis) in V8's eyes too, and changes no value.
    this.written(token | 0, err);
  };

  onWritten(cb: Written): void {
    this.written = cb;
  }

  get room(): number {
    return this.c.room;
  }

  flush(): void {
    this.c.flush();
  }

  write(token: number, table: number, prefix: Prefix, paths: readonly VppPath[] | null): void {
    const w = this.writesOf(this.ownership.mode === 'source' ? 'ip_route_add_del_v2' : 'ip_route_add_del');
    let r: RouteRequest;
    try {
      r = w.request(table, prefix, paths, this.ownership.sourceId ?? 0);
    } catch (err) {
      queueMicrotask(() => this.written(token, err as Error));
      return;
    }
    this.sent++;
    this.c.requestAckTo(w.def, r, token, this.ackTo);
  }

  interfaceFor(linuxIfindex: number): number | undefined {
    return this.ifmap.get(linuxIfindex);
  }

  get interfaces(): ReadonlyMap<number, number> {
    return this.ifmap;
  }
}
