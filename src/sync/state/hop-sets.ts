// zebra's next-hop sets as routes hold them: each distinct set once (a full table has a million
// routes and a few hundred sets), with the Linux interfaces it names and its translation under
// the current interface map. A route keeps its set (Entry.hops), so that a change of the map
// translates again exactly the routes whose next hops name a changed interface — including those
// no next hop of which mapped before, which VPP holds nothing for.
import type { Family, Nexthop } from '../../route/types.js';
import type { PathSet } from './path-sets.js';
import type { PathsReason } from './not-installed.js';

/** A next-hop set's translation (a route's, once nothing on the route itself left it out): the shared path set, or why it cannot be installed. */
export type Translated = PathSet | PathsReason;

export interface Hops {
  readonly family: Family;
  readonly nexthops: readonly Nexthop[];
  /** The Linux interfaces the next hops name (each once). */
  readonly ifindexes: readonly number[];
  /** The translation, valid while `mapGen` is the current map's (HopSets.mapGen). */
  t: Translated | null;
  mapGen: number;
  /** The translation left out next hops that map to no VPP interface. */
  partial: boolean;
}

/** Distinct sets kept for sharing; past it the cache starts afresh (routes keep theirs). */
const MAX_KEYED = 65536;

export class HopSets {
  /** Bumped at every change of the interface map: older translations are looked at again. */
  mapGen = 0;
  private byKey = new Map<string, Hops>();
  /** A nexthop group's set, by the decoder's shared array (per family: the paths' protocol is the route's). */
  private readonly byArray = [new WeakMap<readonly Nexthop[], Hops>(), new WeakMap<readonly Nexthop[], Hops>()];

  /**
   * The interned set of these next hops for a route of `family`. `shared`: the array is a nexthop
   * group's, handed to every route naming it (found by identity, no key built).
   */
  intern(family: Family, nexthops: readonly Nexthop[], shared: boolean): Hops {
    const arrays = this.byArray[family === 4 ? 0 : 1]!;
    if (shared) {
      const h = arrays.get(nexthops);
      if (h !== undefined) return h;
    }
    const key = hopsKey(family, nexthops);
    let h = this.byKey.get(key);
    if (h === undefined) {
      if (this.byKey.size >= MAX_KEYED) this.byKey = new Map();
      h = { family, nexthops, ifindexes: ifindexesOf(nexthops), t: null, mapGen: -1, partial: false };
      this.byKey.set(key, h);
    }
    if (shared) arrays.set(nexthops, h);
    return h;
  }
}

function ifindexesOf(nexthops: readonly Nexthop[]): number[] {
  const out: number[] = [];
  for (const n of nexthops) if (n.ifindex !== null && !out.includes(n.ifindex)) out.push(n.ifindex);
  return out;
}

/** Equal next hops (in the same order) give equal text. */
function hopsKey(family: Family, nexthops: readonly Nexthop[]): string {
  let k = family === 4 ? '4' : '6';
  for (const n of nexthops) k += ` ${n.gateway ?? '-'}/${n.ifindex ?? '-'}/${n.weight}/${n.labels.length === 0 ? '' : n.labels.join('.')}`;
  return k;
}
