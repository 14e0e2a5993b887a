// Which routes name which nexthop group, so that a changed group re-resolves its own routes and
// not the whole table. Intrusive lists through the entries (two fields each, no Set per route:
// a full table is a million entries).
import type { Entry } from './route-table.js';

export class GroupIndex {
  private readonly heads = new Map<number, Entry>();

  /** Moves `e` to group `nhg`'s list (0: none) and records it in e.nhg. */
  set(e: Entry, nhg: number): void {
    if (e.nhg === nhg) return;
    if (e.nhg !== 0) this.unlink(e);
    e.nhg = nhg;
    if (nhg === 0) return;
    const head = this.heads.get(nhg);
    e.gp = null;
    e.gn = head ?? null;
    if (head) head.gp = e;
    this.heads.set(nhg, e);
  }

  /** The routes naming `nhg`, as an array (the caller may move them meanwhile). */
  routes(nhg: number): Entry[] {
    const out: Entry[] = [];
    for (let e = this.heads.get(nhg) ?? null; e; e = e.gn) out.push(e);
    return out;
  }

  /** Groups that some route names. */
  get size(): number {
    return this.heads.size;
  }

  private unlink(e: Entry): void {
    if (e.gp) e.gp.gn = e.gn;
    else if (e.gn) this.heads.set(e.nhg, e.gn);
    else this.heads.delete(e.nhg);
    if (e.gn) e.gn.gp = e.gp;
    e.gp = e.gn = null;
    e.nhg = 0;
  }
}
