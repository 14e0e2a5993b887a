// The session's nexthop objects (RTM_NEWNEXTHOP) and what each id resolves to. Zebra defines
// plain next hops and groups of them; a route names one id. Resolved sets are cached frozen per
// id so that every route of a group shares one array. Which routes use a group is not tracked
// here (that would cost memory per route): a changed group is reported as an event instead.
import type { Nexthop, NexthopGroupEvent } from '../route/types.js';
import type { NexthopDef } from './netlink/nexthop.js';

interface Entry {
  id: number;
  group: { id: number; weight: number }[] | null;
  nexthop: Nexthop | null;
  blackhole: boolean;
  /** null while a member is unknown (or unresolved). */
  resolved: readonly Nexthop[] | null;
}

const EMPTY: readonly Nexthop[] = Object.freeze([]);

export interface ApplyResult {
  events: NexthopGroupEvent[];
  /** Ids that became resolvable without being a change (see apply). */
  resolvable: number[];
}

export class NexthopGroupTable {
  private readonly entries = new Map<number, Entry>();
  /** member id → ids of the groups that list it (also for members not defined yet). */
  private readonly parents = new Map<number, Set<number>>();

  constructor(private readonly maxGroups = 1_000_000) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  /** The next hops a route naming `id` gets: undefined for an unknown id, null while unresolved. */
  resolved(id: number): readonly Nexthop[] | null | undefined {
    const e = this.entries.get(id);
    return e === undefined ? undefined : e.resolved;
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
   * `resolvable` instead, for the routes waiting for it.
   */
  apply(def: NexthopDef): ApplyResult | null {
    const r: ApplyResult = { events: [], resolvable: [] };
    if (def.op === 'del') this.remove(def.id, r);
    else if (!this.define(def, r)) return null;
    return r;
  }

  private define(def: NexthopDef, r: ApplyResult): boolean {
    const old = this.entries.get(def.id);
    if (!old && this.entries.size >= this.maxGroups) return false;
    if (old?.group) for (const m of old.group) this.unlink(m.id, def.id);
    const e: Entry = { id: def.id, group: def.group, nexthop: def.nexthop, blackhole: def.blackhole, resolved: null };
    if (e.group) for (const m of e.group) this.link(m.id, e.id);
    this.entries.set(e.id, e);
    e.resolved = this.resolve(e);
    r.events.push(this.event('add', e, old !== undefined));
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
        if (p?.group) p.group = p.group.filter((m) => m.id !== id);
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
      e.resolved = this.resolve(e);
      if (before !== null) r.events.push(this.event('add', e, true));
      else if (e.resolved !== null) r.resolvable.push(id);
      else continue;
      const ps = this.parents.get(id);
      if (ps) for (const p of ps) if (!seen.has(p)) queue.push(p);
    }
  }

  private resolve(e: Entry): readonly Nexthop[] | null {
    if (e.blackhole) return EMPTY;
    if (e.nexthop) return Object.freeze([e.nexthop]);
    if (!e.group) return EMPTY;
    const out: Nexthop[] = [];
    for (const m of e.group) {
      const sub = this.entries.get(m.id)?.resolved;
      if (sub === undefined || sub === null) return null;
      for (const nh of sub) {
        out.push(Object.freeze({ gateway: nh.gateway, ifindex: nh.ifindex, weight: nh.weight * m.weight, labels: nh.labels }));
      }
    }
    return Object.freeze(out);
  }

  private event(op: 'add', e: Entry, replaced: boolean): NexthopGroupEvent {
    const ev: NexthopGroupEvent = { kind: 'nexthop-group', op, id: e.id };
    if (e.group) ev.group = e.group.map((m) => ({ id: m.id, weight: m.weight }));
    if (e.nexthop) ev.nexthop = e.nexthop;
    if (e.blackhole) ev.blackhole = true;
    if (e.resolved) ev.resolved = e.resolved as Nexthop[];
    if (replaced) ev.replaced = true;
    return ev;
  }

  private link(member: number, parent: number): void {
    let s = this.parents.get(member);
    if (!s) this.parents.set(member, (s = new Set()));
    s.add(parent);
  }

  private unlink(member: number, parent: number): void {
    const s = this.parents.get(member);
    if (!s) return;
    s.delete(parent);
    if (s.size === 0) this.parents.delete(member);
  }
}
