// Which routes name which nexthop group, so that a changed group re-resolves its own routes and
// not the whole table. Intrusive lists through the entries (two fields each, no Set per route:
// a full table is a million entries).
//
// A group id means something only within the FPM session that defined it: each session's decoder
// has a group table of its own, and a restarted zebra numbers its groups afresh. So the lists
// belong to a generation (newGeneration() at every session start): a route of an older session
// keeps the id it named (for the operator) but leaves the lists, and is never re-resolved through
// a newer session's group of the same id — it keeps its paths until zebra sends it again.
import type { Entry } from './route-entry.js';

export class GroupIndex {
  private readonly heads = new Map<number, Entry>();

  /** Moves `e` to group `nhg`'s list of this generation (0: none) and records it in e.nhg. */
  set(e: Entry, nhg: number): void {
    if (e.nhg === nhg && (nhg === 0 || this.linked(e))) return;
    if (e.nhg !== 0) this.unlink(e);
    e.nhg = nhg;
    if (nhg === 0) return;
    const head = this.heads.get(nhg);
    e.groupPrev = null;
    e.groupNext = head ?? null;
    if (head) head.groupPrev = e;
    this.heads.set(nhg, e);
  }

  /** The routes naming `nhg` in this generation, as an array (the caller may move them meanwhile). */
  routes(nhg: number): Entry[] {
    const out: Entry[] = [];
    for (let e = this.heads.get(nhg) ?? null; e; e = e.groupNext) out.push(e);
    return out;
  }

  /**
   * A new FPM session: its group ids are not the last session's. Every route leaves its list (a
   * walk of the routes that name a group, as the session's resync walks the table anyway).
   */
  newGeneration(): void {
    for (const head of this.heads.values()) {
      for (let e: Entry | null = head; e !== null; ) {
        const next: Entry | null = e.groupNext;
        e.groupPrev = e.groupNext = null;
        e = next;
      }
    }
    this.heads.clear();
  }

  /** Groups that some route of this generation names. */
  get size(): number {
    return this.heads.size;
  }

  /** `e` is in its group's list (not left behind by a newer generation). */
  private linked(e: Entry): boolean {
    return e.groupPrev !== null || this.heads.get(e.nhg) === e;
  }

  private unlink(e: Entry): void {
    if (e.groupPrev) e.groupPrev.groupNext = e.groupNext;
    else if (this.heads.get(e.nhg) === e) {
      if (e.groupNext) this.heads.set(e.nhg, e.groupNext);
      else this.heads.delete(e.nhg);
    }
    if (e.groupNext) e.groupNext.groupPrev = e.groupPrev;
    e.groupPrev = e.groupNext = null;
    e.nhg = 0;
  }
}
