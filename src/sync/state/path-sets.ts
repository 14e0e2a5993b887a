// Path sets shared by every route that uses them: a full table has a million routes and a few
// hundred distinct next-hop sets, so a route holds a reference, not its own paths — that is most
// of what keeps the desired table near 100 bytes a route — and "unchanged" is one comparison.
import { pathsKey } from '../vpp/vpp-fields.js';
import type { VppPath } from '../vpp/vpp-port.js';

export interface PathSet {
  readonly key: string;
  readonly paths: readonly VppPath[];
  /** How many route slots (wanted or installed) hold it; freed at zero. */
  refs: number;
}

/**
 * What VPP holds for a route when a write's outcome is unknown (VPP did not answer in time: it
 * may have applied the write, or may yet). Equal to no wanted set, so the route is written again
 * at the next chance; never interned, never counted as installed.
 */
export const UNKNOWN_PATHS: PathSet = { key: '(unknown)', paths: [], refs: 0 };

export class PathSets {
  private readonly byKey = new Map<string, PathSet>();

  /** The shared set equal to these paths (in any order). Take a reference with ref(). */
  intern(paths: readonly VppPath[]): PathSet {
    const key = pathsKey(paths);
    let s = this.byKey.get(key);
    if (!s) {
      s = { key, paths, refs: 0 };
      this.byKey.set(key, s);
    }
    return s;
  }

  /**
   * intern() for callers that hand equal sets over as one array (a dump's paths): each array is
   * keyed once, through `cache`. Takes no reference.
   */
  internOnce(paths: readonly VppPath[], cache: WeakMap<readonly object[], PathSet>): PathSet {
    let s = cache.get(paths);
    if (s === undefined || !this.isLive(s)) cache.set(paths, (s = this.intern(paths)));
    return s;
  }

  ref(s: PathSet | null): PathSet | null {
    if (s && s !== UNKNOWN_PATHS) s.refs++;
    return s;
  }

  unref(s: PathSet | null): void {
    if (s && s !== UNKNOWN_PATHS && --s.refs <= 0) this.byKey.delete(s.key);
  }

  /** Forgets `s` if nothing holds it (interned only to compare). */
  dropUnused(s: PathSet): void {
    if (s.refs <= 0 && this.byKey.get(s.key) === s) this.byKey.delete(s.key);
  }

  /** Whether `s` is still the interned set for its paths (a set freed at zero is not). */
  isLive(s: PathSet): boolean {
    return this.byKey.get(s.key) === s;
  }

  get size(): number {
    return this.byKey.size;
  }
}
