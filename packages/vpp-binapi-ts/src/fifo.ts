// A first-in first-out queue in fixed chunks: O(1) push and shift, no per-item allocation, and
// no array that grows by copying. The VPP client queues requests past its window in one, the sync
// layer its route writes and notifications; after a VPP restart the writer queues every route of
// a full table at once (1.2M), where one growing array cost its final size again in copies left
// for the collector, and cutting the consumed head off cost it once more (bench:real, issue 21).

/** Items per chunk: a chunk is 8 KB of pointers, small enough to come and go young. */
const CHUNK = 1024;

interface Chunk<T> {
  readonly items: (T | undefined)[];
  next: Chunk<T> | null;
}

const newChunk = <T>(): Chunk<T> => ({ items: new Array<T | undefined>(CHUNK), next: null });

export class Fifo<T> {
  /** Items per chunk: pushing past it runs the chunk-boundary code (as a JIT warm-up may want to). */
  static readonly chunkSize = CHUNK;
  /** The chunk read from, at `headAt`; while the queue holds items, headAt < CHUNK. */
  private head: Chunk<T> = newChunk();
  private headAt = 0;
  /** The chunk written to, at `tailAt` (the head's chunk or one linked after it). */
  private tail: Chunk<T> = this.head;
  private tailAt = 0;
  private count = 0;
  /** One emptied chunk kept for the next boundary, so that a queue hovering at one does not allocate. */
  private spare: Chunk<T> | null = null;

  /** Items queued (retain() is how a caller drops items it no longer wants). */
  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.tailAt === CHUNK) {
      const c = this.spare ?? newChunk<T>();
      this.spare = null;
      this.tail.next = c;
      this.tail = c;
      this.tailAt = 0;
    }
    this.tail.items[this.tailAt++] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.head.items[this.headAt];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const h = this.head;
    const item = h.items[this.headAt];
    h.items[this.headAt++] = undefined;
    this.count--;
    if (this.count === 0) {
      // empty: both ends start over in this chunk; what follows it (nothing) is dropped
      this.headAt = this.tailAt = 0;
      this.tail = h;
      h.next = null;
    } else if (this.headAt === CHUNK) {
      this.head = h.next!;
      this.headAt = 0;
      h.next = null;
      this.spare = h;
    }
    return item;
  }

  /**
   * Keeps the items `keep` says yes to, in order (it is asked once per item, oldest first; an item
   * it pushes is asked too, after the others). If it throws, the queue is left as it was.
   */
  retain(keep: (item: T) => boolean): void {
    if (this.count === 0) return;
    // The kept items go to chunks of their own, taken over at the end: the queue's own stay as
    // they are until then, so that what `keep` pushes meanwhile lands after them (and is asked),
    // and a `keep` that throws leaves nothing lost (as the array version did).
    const out = new Fifo<T>();
    let c = this.head;
    let at = this.headAt;
    for (;;) {
      if (c === this.tail && at >= this.tailAt) break;
      if (at === CHUNK) {
        if (c.next === null) break; // the queue was shifted past (by `keep`)
        c = c.next;
        at = 0;
        continue;
      }
      const item = c.items[at++] as T;
      if (keep(item)) out.push(item);
    }
    this.head = out.head;
    this.headAt = out.headAt;
    this.tail = out.tail;
    this.tailAt = out.tailAt;
    this.count = out.count;
  }

  /** Takes everything out, oldest first (what `fn` pushes meanwhile is queued anew). */
  drain(fn: (item: T) => void): void {
    let c: Chunk<T> | null = this.head;
    let at = this.headAt;
    let left = this.count;
    this.head = this.tail = newChunk();
    this.headAt = this.tailAt = this.count = 0;
    this.spare = null;
    while (left > 0 && c !== null) {
      const n = Math.min(CHUNK - at, left);
      for (let i = at; i < at + n; i++) {
        const item = c.items[i] as T;
        c.items[i] = undefined;
        fn(item);
      }
      left -= n;
      c = c.next;
      at = 0;
    }
  }
}
