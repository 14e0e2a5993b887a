// What fibmgr wants in VPP and what VPP holds from it, per route: the table of entries, the path
// sets they share (with zebra's next hops translated once per array), the routes of each nexthop
// group, and the counts /state shows. No I/O and no queues: the writer (route-writer.ts) moves
// `have` towards `want`; this module only keeps the two and their bookkeeping right.
import type { Logger } from '../../log.js';
import type { Family, Nexthop, RouteEventRoute } from '../../route/types.js';
import { GroupIndex } from './group-index.js';
import { PathSets, UNKNOWN_PATHS, type PathSet } from './path-sets.js';
import { isNoteQueued } from '../zebra/route-notes.js';
import type { Entry } from './route-entry.js';
import { RouteTable, type TableInfo } from './route-table.js';
import { isSending, isWriteIdle } from '../write/write-flags.js';
import { translatePaths } from './translate.js';
import { HopSets, type Hops, type Translated } from './hop-sets.js';

export type { Translated } from './hop-sets.js';

export interface RouteStateOptions {
  /** Linux ifindex → VPP sw_if_index (undefined: unmapped). */
  interfaceFor(ifindex: number): number | undefined;
  log: Logger;
  /** Counted: a route installed without some of its (unmapped) next hops. */
  partial(): void;
}

export class RouteState {
  readonly routes = new RouteTable();
  readonly sets = new PathSets();
  readonly byGroup = new GroupIndex();
  /** Routes that want something / that VPP holds from us (UNKNOWN_PATHS not counted). */
  desired = 0;
  installed = 0;
  /**
   * The resync generation zebra's routes are confirmed in now (one per zebra session), and how
   * many routes that want something it has confirmed: when that is all of `desired`, the
   * judgement of a replay has nothing to find and need not walk a million entries (resync.ts).
   */
  private gen = 0;
  private confirmed = 0;
  /** Routes zebra has that name no VPP interface (they want nothing and keep their next hops): what the end of a resync looks for. */
  private unmappableCount = 0;

  /** Routes that want something confirmed in the current generation (kept by want and confirm only: a count a walk would find). */
  get confirmedDesired(): number {
    return this.confirmed;
  }

  get unmappable(): number {
    return this.unmappableCount;
  }

  get generation(): number {
    return this.gen;
  }
  /** zebra's next-hop sets, each with its translation under the current interface map. */
  readonly hopSets = new HopSets();
  private readonly lookupIf: { interfaceFor(i: number): number | undefined };

  constructor(private readonly opts: RouteStateOptions) {
    this.lookupIf = { interfaceFor: (i) => opts.interfaceFor(i) };
  }

  /**
   * A route's next hops as its entry keeps them (interned), or null when its translation does not
   * depend on the interface map: no next hops (blackhole, unreachable…). Asked only of a route
   * no reason found on the route itself left out (not-installed.ts routeReason).
   */
  hopsOf(ev: RouteEventRoute): Hops | null {
    if (ev.type !== 'unicast' || ev.nexthops.length === 0) return null;
    return this.hopSets.intern(ev.family, ev.nexthops, ev.nhg !== null);
  }

  /**
   * A route's path set (shared), or why its next hops cannot be installed; `hops` is hopsOf(ev).
   * What the route itself rules out is decided before (not-installed.ts routeReason): the
   * translation of `hops` is shared by every route through them.
   */
  translate(ev: RouteEventRoute, hops: Hops | null): Translated {
    if (hops !== null) {
      const t = this.resolve(hops);
      if (hops.partial && typeof t !== 'string') this.opts.partial();
      return t;
    }
    const t = translatePaths(ev.family, ev.type, ev.nexthops, this.lookupIf);
    return t.ok ? this.sets.intern(t.paths) : t.reason;
  }

  /** A next-hop set's translation under the current interface map (made once per set and map). */
  resolve(h: Hops): Translated {
    const t = h.t;
    // a set freed at refcount 0 is no longer the interned one: translate afresh
    if (t !== null && h.mapGen === this.hopSets.mapGen && (typeof t === 'string' || this.sets.isLive(t))) return t;
    const r = translatePaths(h.family, 'unicast', h.nexthops, this.lookupIf);
    let out: Translated;
    if (!r.ok) out = r.reason;
    else {
      if (r.dropped > 0) this.opts.log.warn({ nexthops: h.nexthops, dropped: r.dropped, kept: r.paths.length }, 'routes through these next hops are installed without those that map to no VPP interface');
      out = this.sets.intern(r.paths);
    }
    h.t = out;
    h.mapGen = this.hopSets.mapGen;
    h.partial = r.ok && r.dropped > 0;
    return out;
  }

  /** A changed nexthop group's next hops (null for a blackhole group: nothing to map). */
  groupHops(family: Family, blackhole: boolean, nexthops: readonly Nexthop[]): Hops | null {
    return blackhole || nexthops.length === 0 ? null : this.hopSets.intern(family, nexthops, true);
  }

  /** A changed nexthop group's path set (`hops`: groupHops()), or null when none of its next hops maps. */
  translateGroup(family: Family, blackhole: boolean, hops: Hops | null): PathSet | null {
    if (blackhole) {
      const t = translatePaths(family, 'blackhole', [], this.lookupIf);
      return t.ok ? this.sets.intern(t.paths) : null;
    }
    const t = hops === null ? null : this.resolve(hops);
    return t === null || typeof t === 'string' ? null : t;
  }

  /**
   * The interface map changed at `changed` (Linux ifindexes): every translation is looked at again
   * when next used, and the routes whose next hops name a changed interface are returned (a walk
   * of the table: the map changes at a VPP handshake, not per route).
   */
  interfacesChanged(changed: ReadonlySet<number>): Entry[] {
    const gen = ++this.hopSets.mapGen;
    const touched = new Map<Hops, boolean>();
    const out: Entry[] = [];
    this.routes.forEach((e) => {
      const h = e.hops;
      if (h === null) return;
      let hit = touched.get(h);
      if (hit === undefined) {
        hit = h.ifindexes.some((i) => changed.has(i));
        touched.set(h, hit);
        // what names no changed interface translates as it did
        if (!hit) h.mapGen = gen;
      }
      if (hit) out.push(e);
    });
    return out;
  }

  /**
   * What zebra wants for `e` (naming group `nhg`, through next hops `hops`; a route that wants
   * nothing leaves its group's list, unless zebra has it and no next hop maps: it keeps `hops` for
   * the next interface map). False when it wanted that already.
   */
  want(e: Entry, ps: PathSet | null, nhg: number, hops: Hops | null = null): boolean {
    // a route that wants nothing keeps its group and next hops only while zebra still has it (unmappable)
    this.byGroup.set(e, ps === null && hops === null ? 0 : nhg);
    this.unmappableCount += (ps === null && hops !== null ? 1 : 0) - (e.want === null && e.hops !== null ? 1 : 0);
    e.hops = hops;
    if (e.want === ps) return false;
    this.sets.ref(ps);
    this.sets.unref(e.want);
    const step = e.want === null ? 1 : ps === null ? -1 : 0;
    this.desired += step;
    if (e.gen === this.gen) this.confirmed += step;
    e.want = ps;
    return true;
  }

  /** A new resync generation (a zebra session): no route is confirmed in it yet. */
  newGeneration(): void {
    this.gen++;
    this.confirmed = 0;
  }

  /** zebra sent the route in the current generation (its entry's gen, only ever set here). */
  confirm(e: Entry): void {
    if (e.gen === this.gen) return;
    e.gen = this.gen;
    if (e.want !== null) this.confirmed++;
  }

  /** Every route that wants something was confirmed in generation `gen` (the current one). */
  allConfirmed(gen: number): boolean {
    return gen === this.gen && this.confirmed === this.desired;
  }

  /**
   * What VPP holds from fibmgr for this route (UNKNOWN_PATHS: a write's outcome is unknown), with
   * the set references and the counts kept right.
   */
  have(e: Entry, ps: PathSet | null): void {
    if (e.have === ps) return;
    this.sets.ref(ps);
    this.sets.unref(e.have);
    if (isInstalled(e.have)) this.installed--;
    if (isInstalled(ps)) this.installed++;
    e.have = ps;
  }

  /**
   * A new VPP session's dump begins: what fibmgr believed installed is forgotten, except routes
   * `keep` says VPP still holds (count returned as the installed state).
   */
  forgetHaves(keep: (e: Entry) => boolean): void {
    let kept = 0;
    this.routes.forEach((e) => {
      if (keep(e)) {
        if (isInstalled(e.have)) kept++;
        return;
      }
      this.sets.unref(e.have);
      e.have = null;
    });
    this.installed = kept;
  }

  /**
   * A route that wants nothing, holds nothing, waits for nothing and is not zebra's unmappable one
   * leaves the table. `keptBy`: the writer's work that keeps it, any, or only a write in flight
   * (a route still queued for a write may go: the writer then skips it).
   */
  dropIfEmpty(e: Entry, keptBy: 'any-write' | 'in-flight' = 'any-write'): void {
    if (e.want === null && e.have === null && e.hops === null && !isNoteQueued(e) && (keptBy === 'in-flight' ? !isSending(e) : isWriteIdle(e))) this.routes.delete(e);
  }

  /** Routes per VPP table and family: wanted and installed (for /state and metrics). */
  perTable(): { family: Family; table: number; desired: number; installed: number }[] {
    const m = new Map<TableInfo, { family: Family; table: number; desired: number; installed: number }>();
    for (const e of this.routes) {
      const info = e.slot.info;
      let row = m.get(info);
      if (!row) m.set(info, (row = { family: info.family, table: info.table, desired: 0, installed: 0 }));
      if (e.want) row.desired++;
      if (isInstalled(e.have)) row.installed++;
    }
    return [...m.values()].sort((a, b) => a.family - b.family || a.table - b.table);
  }
}

/** VPP holds this set from us (as far as fibmgr knows). */
function isInstalled(s: PathSet | null): boolean {
  return s !== null && s !== UNKNOWN_PATHS;
}
