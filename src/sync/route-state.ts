// What fibmgr wants in VPP and what VPP holds from it, per route: the table of entries, the path
// sets they share (with zebra's next hops translated once per array), the routes of each nexthop
// group, and the counts /state shows. No I/O and no queues: the writer (route-writer.ts) moves
// `have` towards `want`; this module only keeps the two and their bookkeeping right.
import type { Logger } from '../log.js';
import type { Family, Nexthop, RouteEventRoute } from '../route/types.js';
import { GroupIndex } from './group-index.js';
import { PathSets, type PathSet } from './path-sets.js';
import { N_QUEUED } from './route-notes.js';
import { RouteTable, type Entry, type TableInfo } from './route-table.js';
import { isConnected, translatePaths, type PathSkip } from './translate.js';

/** A translation cached per next-hop array (a nexthop group's routes all share one). */
export type Translated = PathSet | PathSkip;

export interface RouteStateOptions {
  installConnected: boolean;
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
  /** Routes that want something / that VPP holds from us. */
  desired = 0;
  installed = 0;
  /** Translations by next-hop array; dropped when the interface map may have changed. */
  private cache = new WeakMap<object, Translated>();
  private readonly lookupIf: { interfaceFor(i: number): number | undefined };

  constructor(private readonly opts: RouteStateOptions) {
    this.lookupIf = { interfaceFor: (i) => opts.interfaceFor(i) };
  }

  /** A route's path set (shared), or why it is not installed. Cached per next-hop array. */
  translate(ev: RouteEventRoute): Translated {
    if (!this.opts.installConnected && isConnected(ev)) return 'connected';
    const cacheable = ev.nhg !== null && ev.type === 'unicast' && ev.nexthops.length > 0;
    if (cacheable) {
      const hit = this.cache.get(ev.nexthops);
      // a set freed at refcount 0 is no longer the interned one: translate afresh
      if (hit !== undefined && (typeof hit === 'string' || this.sets.isLive(hit))) return hit;
    }
    const t = translatePaths(ev.family, ev.type, ev.nexthops, this.lookupIf);
    let out: Translated;
    if (!t.ok) out = t.reason;
    else {
      if (t.dropped > 0) {
        this.opts.partial();
        this.opts.log.warn({ route: ev.prefix, table: ev.table, dropped: t.dropped, kept: t.paths.length }, 'route installed without its unmapped interface-only next hops');
      }
      out = this.sets.intern(t.paths);
    }
    if (cacheable) this.cache.set(ev.nexthops, out);
    return out;
  }

  /** A changed nexthop group's next hops as a path set, or null when none maps. */
  translateGroup(family: Family, blackhole: boolean, nexthops: Nexthop[]): PathSet | null {
    const t = translatePaths(family, blackhole ? 'blackhole' : 'unicast', nexthops, this.lookupIf);
    return t.ok ? this.sets.intern(t.paths) : null;
  }

  /** The interface map may have changed (a new VPP session): translate afresh. */
  forgetTranslations(): void {
    this.cache = new WeakMap();
  }

  /**
   * What zebra wants for `e` (naming group `nhg`; a route that wants nothing leaves its group's
   * list). False when it wanted that already.
   */
  want(e: Entry, ps: PathSet | null, nhg: number): boolean {
    this.byGroup.set(e, ps === null ? 0 : nhg);
    if (e.want === ps) return false;
    this.sets.ref(ps);
    this.sets.unref(e.want);
    if (e.want === null) this.desired++;
    if (ps === null) this.desired--;
    e.want = ps;
    return true;
  }

  /** What VPP holds from fibmgr for this route, with the set references and the count kept right. */
  have(e: Entry, ps: PathSet | null): void {
    if (e.have === ps) return;
    this.sets.ref(ps);
    this.sets.unref(e.have);
    if (e.have === null) this.installed++;
    if (ps === null) this.installed--;
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
        kept++;
        return;
      }
      this.sets.unref(e.have);
      e.have = null;
    });
    this.installed = kept;
  }

  /**
   * A route that wants nothing, holds nothing and waits for nothing leaves the table. `busy`: the
   * queue bits that keep it (a route still queued for a write may go: the writer then skips it).
   */
  dropIfEmpty(e: Entry, busy = ~0): void {
    if (e.want === null && e.have === null && (e.q & busy) === 0 && (e.n & N_QUEUED) === 0) this.routes.delete(e);
  }

  /** Routes per VPP table and family: wanted and installed (for /state and metrics). */
  perTable(): { family: Family; table: number; desired: number; installed: number }[] {
    const m = new Map<TableInfo, { family: Family; table: number; desired: number; installed: number }>();
    for (const e of this.routes) {
      const info = e.slot.info;
      let row = m.get(info);
      if (!row) m.set(info, (row = { family: info.family, table: info.table, desired: 0, installed: 0 }));
      if (e.want) row.desired++;
      if (e.have) row.installed++;
    }
    return [...m.values()].sort((a, b) => a.family - b.family || a.table - b.table);
  }
}
