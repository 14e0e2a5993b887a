// Deletes held back for a moment: dplane_fpm_nl sends every change as delete + add, and a delete
// that waits `deleteHoldMs` for the add of the same prefix becomes one replacing add, so VPP never
// sees the gap. Insertion order is due order (one hold time for all).
import type { Entry } from '../state/route-entry.js';

export class HeldDeletes {
  private readonly dels = new Map<Entry, number>();
  /** A live iterator over `dels` (a fresh one per look would rescan the holes of taken entries). */
  private iter: IterableIterator<[Entry, number]> | null = null;
  private peeked: [Entry, number] | null = null;

  get size(): number {
    return this.dels.size;
  }

  /** Holds a delete of `e` until `due` (a delete already held keeps its time). */
  hold(e: Entry, due: number): void {
    if (!this.dels.has(e)) this.dels.set(e, due);
  }

  cancel(e: Entry): void {
    this.dels.delete(e);
  }

  /** The oldest held delete, still current (an entry held again since has a later record). */
  peek(): [Entry, number] | null {
    for (;;) {
      if (this.peeked) {
        const [e, due] = this.peeked;
        if (this.dels.get(e) === due) return this.peeked;
        this.peeked = null;
      }
      if (this.dels.size === 0) {
        this.iter = null;
        return null;
      }
      this.iter ??= this.dels.entries();
      const r = this.iter.next();
      if (r.done) {
        this.iter = null; // drained; new deletes get a new iterator
        if (this.dels.size === 0) return null;
        continue;
      }
      this.peeked = r.value;
    }
  }

  /** Takes the delete peek() returned. */
  take(e: Entry): void {
    this.peeked = null;
    this.dels.delete(e);
  }

  /** Drops them all, each handed to `fn`. */
  clear(fn: (e: Entry) => void): void {
    for (const e of this.dels.keys()) fn(e);
    this.dels.clear();
    this.iter = null;
    this.peeked = null;
  }
}
