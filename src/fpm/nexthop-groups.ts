// The session's nexthop objects (RTM_NEWNEXTHOP) and what each id resolves to. Zebra defines
// plain next hops and groups of them; a route names one id. Resolved sets are cached frozen per
// id so that every route of a group shares one array. Which routes use a group is not tracked
// here (that would cost memory per route): a changed group is reported as an event instead.
//
// Groups hold single next hops only, as the kernel's and zebra's do: a group listing a group is
// unusable (a stream of nested groups would otherwise multiply out to millions of paths). An id
// that cannot be used (nested, too large, an unusable member, an encapsulation we do not take)
// stays defined as unusable, so that routes naming it are reported rather than held forever.
import type { Nexthop, NexthopGroupEvent, UnusableKind } from '../route/types.js';
import type { NexthopDef } from './netlink/nexthop.js';

export interface Unusable {
  what: UnusableKind;
  reason: string;
}

interface Entry {
  id: number;
  group: { id: number; weight: number }[] | null;
  nexthop: Nexthop | null;
  blackhole: boolean;
  /** null while a member is unknown (or unresolved), or when the id is unusable. */
  resolved: readonly Nexthop[] | null;
  /** Why routes naming this id cannot be installed; set by the decoder or by resolution. */
  given: Unusable | null;
  bad: Unusable | null;
}

const EMPTY: readonly Nexthop[] = Object.freeze([]);

export interface ApplyResult {
  events: NexthopGroupEvent[];
  /** Ids that became resolvable without being a change (see apply). */
  resolvable: number[];
  /** Ids that became unusable without having been resolved (routes waiting for them give up). */
  unusable: number[];
}

export interface NexthopGroupLimits {
  /** Nexthop ids a session may define. */
  maxGroups?: number;
  /** Member references all groups together may hold (each costs a parents link). */
  maxLinks?: number;
}

export class NexthopGroupTable {
  private readonly entries = new Map<number, Entry>();
  /** member id → ids of the groups that list it (also for members not defined yet). */
  private readonly parents = new Map<number, Set<number>>();
  private links = 0;
  private readonly maxGroups: number;
  private readonly maxLinks: number;

  constructor(limits: NexthopGroupLimits | number = {}) {
    const l = typeof limits === 'number' ? { maxGroups: limits } : limits;
    this.maxGroups = l.maxGroups ?? 1_000_000;
    this.maxLinks = l.maxLinks ?? 4 * this.maxGroups;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Member references held (bounded by maxLinks). */
  get linkCount(): number {
    return this.links;
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  /** The next hops a route naming `id` gets: undefined for an unknown id, null while unresolved or unusable. */
  resolved(id: number): readonly Nexthop[] | null | undefined {
    const e = this.entries.get(id);
    return e === undefined ? undefined : e.resolved;
  }

  /** Why a route naming `id` cannot be installed, or null. */
  unusable(id: number): Unusable | null {
    return this.entries.get(id)?.bad ?? null;
  }

  /** True when `id` stands for a blackhole (a group all of whose members are blackholes too). */
  isBlackhole(id: number): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    if (e.blackhole) return true;
    if (!e.group) return false;
    for (const m of e.group) if (!this.entries.get(m.id)?.blackhole) return false;
    return true;
  }

  /**
   * Applies a definition or deletion; null when the table is full. `events` holds its own event
   * first, then one (replaced: true) for every other group that was resolved and changed because
   * of it: routes may use those. A group that only now became resolvable (its last missing member
   * arrived, as in zebra's replay order) is no change to anything a route uses: it is listed in
   * `resolvable` instead, for the routes waiting for it (`unusable` likewise).
   */
  apply(def: NexthopDef): ApplyResult | null {
    const r: ApplyResult = { events: [], resolvable: [], unusable: [] };
    if (def.op === 'del') this.remove(def.id, r);
    else if (!this.define(def, null, r)) return null;
    return r;
  }

  /** Defines `id` as unusable (its message named it but could not be used); null when full. */
  reject(id: number, why: Unusable): ApplyResult | null {
    const r: ApplyResult = { events: [], resolvable: [], unusable: [] };
    const def: NexthopDef = { op: 'add', id, group: null, nexthop: null, blackhole: false };
    return this.define(def, why, r) ? r : null;
  }

  private define(def: NexthopDef, given: Unusable | null, r: ApplyResult): boolean {
    const old = this.entries.get(def.id);
    if (!old && this.entries.size >= this.maxGroups) return false;
    const adds = def.group?.length ?? 0;
    const drops = old?.group?.length ?? 0;
    if (this.links - drops + adds > this.maxLinks) return false;
    if (old?.group) for (const m of old.group) this.unlink(m.id, def.id);
    const e: Entry = { id: def.id, group: def.group, nexthop: def.nexthop, blackhole: def.blackhole, resolved: null, given, bad: null };
    if (e.group) for (const m of e.group) this.link(m.id, e.id);
    this.entries.set(e.id, e);
    this.resolve(e);
    r.events.push(this.event('add', e, old !== undefined));
    if (!old && e.bad) r.unusable.push(e.id);
    const ps = this.parents.get(e.id);
    if (ps) this.propagate(ps, r);
    return true;
  }

  private remove(id: number, r: ApplyResult): void {
    const old = this.entries.get(id);
    r.events.push({ kind: 'nexthop-group', op: 'del', id });
    if (!old) return;
    if (old.group) for (const m of old.group) this.unlink(m.id, id);
    this.entries.delete(id);
    // As in the kernel, a deleted next hop leaves the groups that listed it.
    const ps = this.parents.get(id);
    if (ps) {
      this.parents.delete(id);
      for (const pid of ps) {
        const p = this.entries.get(pid);
        if (p?.group) {
          const before = p.group.length;
          p.group = p.group.filter((m) => m.id !== id);
          this.links -= before - p.group.length;
        }
      }
      this.propagate(ps, r);
    }
  }

  /** Re-resolves the given groups and, breadth first, their parents; each group once (cycles end). */
  private propagate(start: Iterable<number>, r: ApplyResult): void {
    const seen = new Set<number>();
    const queue = [...start];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i];
      if (seen.has(id)) continue;
      seen.add(id);
      const e = this.entries.get(id);
      if (!e) continue;
      const before = e.resolved;
      const wasBad = e.bad;
      this.resolve(e);
      if (before !== null || (wasBad !== null && (e.bad === null || e.bad.reason !== wasBad.reason))) {
        r.events.push(this.event('add', e, true));
      } else if (e.resolved !== null) r.resolvable.push(id);
      else if (e.bad !== null && wasBad === null) r.unusable.push(id);
      else continue;
      const ps = this.parents.get(id);
      if (ps) for (const p of ps) if (!seen.has(p)) queue.push(p);
    }
  }

  private resolve(e: Entry): void {
    e.bad = e.given;
    e.resolved = null;
    if (e.bad) return;
    if (e.blackhole) {
      e.resolved = EMPTY;
      return;
    }
    if (e.nexthop) {
      e.resolved = Object.freeze([e.nexthop]);
      return;
    }
    if (!e.group) {
      e.resolved = EMPTY;
      return;
    }
    const out: Nexthop[] = [];
    let waiting = false;
    for (const m of e.group) {
      const sub = this.entries.get(m.id);
      if (sub?.group) {
        e.bad = { what: 'nested-group', reason: `nexthop group ${e.id} lists group ${m.id}: groups hold single next hops only` };
        return;
      }
      if (sub?.bad) {
        e.bad = { what: 'group-unusable', reason: `nexthop group ${e.id}: member ${m.id} is unusable (${sub.bad.reason})` };
        return;
      }
      const set = sub?.resolved;
      if (set === undefined || set === null) {
        waiting = true;
        continue;
      }
      for (const nh of set) {
        out.push(Object.freeze({ gateway: nh.gateway, family: nh.family, ifindex: nh.ifindex, weight: nh.weight * m.weight, labels: nh.labels }));
      }
    }
    if (!waiting) e.resolved = Object.freeze(out);
  }

  private event(op: 'add', e: Entry, replaced: boolean): NexthopGroupEvent {
    const ev: NexthopGroupEvent = { kind: 'nexthop-group', op, id: e.id };
    if (e.group) ev.group = e.group.map((m) => ({ id: m.id, weight: m.weight }));
    if (e.nexthop) ev.nexthop = e.nexthop;
    if (e.blackhole) ev.blackhole = true;
    if (e.resolved) ev.resolved = e.resolved as Nexthop[];
    if (e.bad) ev.unusable = { what: e.bad.what, reason: e.bad.reason };
    if (replaced) ev.replaced = true;
    return ev;
  }

  private link(member: number, parent: number): void {
    let s = this.parents.get(member);
    if (!s) this.parents.set(member, (s = new Set()));
    s.add(parent);
    this.links++;
  }

  private unlink(member: number, parent: number): void {
    this.links--;
    const s = this.parents.get(member);
    if (!s) return;
    s.delete(parent);
    if (s.size === 0) this.parents.delete(member);
  }
}
