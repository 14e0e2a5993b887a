// A first-in first-out queue over an array with a moving head: O(1) push and shift, no per-item
// allocation; the array is cut down once the consumed head outweighs what is left. The VPP
// client queues requests past its window in one, the sync layer its route writes and
// notifications.
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Items queued (retain() is how a caller drops items it no longer wants). */
  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Keeps the items `keep` says yes to, in order (it is asked once per item, oldest first). */
  retain(keep: (item: T) => boolean): void {
    const out: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (keep(item)) out.push(item);
    }
    this.items = out;
    this.head = 0;
  }

  /** Takes everything out, oldest first. */
  drain(fn: (item: T) => void): void {
    const items = this.items;
    const head = this.head;
    this.items = [];
    this.head = 0;
    for (let i = head; i < items.length; i++) fn(items[i]!);
  }
}
