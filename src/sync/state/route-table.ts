// The reconciler's table of routes, shaped for a full Internet table: one small object per route
// and no key string — routes are grouped by (VPP table, family, prefix length) and a network is
// keyed by its address words (Prefix) in an open-addressing table of typed arrays (a Map of a
// million entries costs several cache misses per lookup and a rehash of a 30 MB backing store at
// every doubling). An IPv4 entry keeps its address as one int32; an IPv6 entry keeps the
// decoder's Prefix (no copy) for writing and logs.
import type { PrefixScratch } from '../../route/prefix.js';
import type { Family, Prefix } from '../../route/types.js';
import { networkOf, newEntry, type Entry } from './route-entry.js';

/** One VPP table of one family: shared by all its routes. */
export interface TableInfo {
  readonly family: Family;
  readonly table: number;
  /** "family|table", for logs */
  readonly key: string;
  /** The VPP table exists (created by us or found); reset on every VPP session. */
  ready: boolean;
  /** Why VPP would not create it at the last attempt (null: not refused); its routes wait (parked, write-flags.ts). */
  makeError: string | null;
  /** The last resync generation whose replay mentioned this table. */
  seenGen: number;
  /**
   * The zebra process ("pid@start") whose replay on a reconnect walked this table (zebra walks its
   * VRFs' tables again on a reconnect, not `table N` ones): null when none was seen to.
   */
  walkedBy: string | null;
}

export interface Slot {
  readonly info: TableInfo;
  readonly len: number;
  readonly map: V4Map | V6Map;
}

export class RouteTable {
  /** table id → per family: slots by prefix length */
  private readonly tables = new Map<number, [Slot[], Slot[]]>();
  private readonly infos = new Map<string, TableInfo>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  tableInfo(family: Family, table: number): TableInfo {
    const key = `${family}|${table}`;
    let t = this.infos.get(key);
    if (!t) this.infos.set(key, (t = { family, table, key, ready: false, makeError: null, seenGen: -1, walkedBy: null }));
    return t;
  }

  allTables(): IterableIterator<TableInfo> {
    return this.infos.values();
  }

  private slot(family: Family, table: number, len: number, create: boolean): Slot | undefined {
    let t = this.tables.get(table);
    if (!t) {
      if (!create) return undefined;
      this.tables.set(table, (t = [[], []]));
    }
    const byLen = t[family === 4 ? 0 : 1];
    let s = byLen[len];
    if (!s && create) byLen[len] = s = { info: this.tableInfo(family, table), len, map: family === 4 ? new V4Map(len) : new V6Map() };
    return s;
  }

  /** The entry of (table, prefix); with `create`, a new empty one if there is none. */
  lookup(table: number, p: Prefix, create: false): Entry | undefined;
  lookup(table: number, p: Prefix, create: true): Entry;
  lookup(table: number, p: Prefix, create: boolean): Entry | undefined;
  lookup(table: number, p: Prefix, create: boolean): Entry | undefined {
    const s = this.slot(p.family, table, p.len, create);
    if (!s) return undefined;
    if (p.family === 4) {
      const m = s.map as V4Map;
      let e = m.get(p.w0);
      if (!e && create) {
        e = newEntry(s, p.w0);
        m.set(p.w0, e);
        this.count++;
      }
      return e;
    }
    const m = s.map as V6Map;
    let e = m.get(p);
    if (!e && create) {
      e = newEntry(s, p);
      m.set(p, e);
      this.count++;
    }
    return e;
  }

  delete(e: Entry): void {
    const removed = typeof e.network === 'number' ? (e.slot.map as V4Map).delete(e) : (e.slot.map as V6Map).delete(e.network, e);
    if (removed) this.count--;
  }

  /**
   * The entry's network. An IPv4 one is made anew (for logs and the operator), or set `into` a
   * scratch (a write: valid until the scratch is set again).
   */
  prefixOf(e: Entry, into?: PrefixScratch): Prefix {
    return networkOf(e, into);
  }

  /**
   * Every entry, as the iterator gives them, without a generator step per entry (the full-table
   * walks at resync and VPP reconnect visit a million). fn may remove entries, not add them.
   */
  forEach(fn: (e: Entry) => void): void {
    for (const [, fams] of this.tables) {
      for (const byLen of fams) {
        for (const s of byLen) {
          if (!s) continue;
          s.map.forEach(fn);
        }
      }
    }
  }

  *[Symbol.iterator](): IterableIterator<Entry> {
    for (const [, fams] of this.tables) {
      for (const byLen of fams) {
        for (const s of byLen) if (s) yield* s.map.values();
      }
    }
  }
}

/** A removed slot: probing goes on past it; an insert may reuse it. */
const GONE: Entry = Object.freeze({ ...newEntry(null as unknown as Slot, 0), gen: -1 });

/**
 * Old slots moved into the grown table per insert (and per lookup outside walks). A rebuild all at
 * once stopped fibmgr for up to 90 ms at a million routes while VPP's socket holds ~3.5 ms of its
 * work; a few slots an operation spread the same work over the ones that follow, and the move is
 * over long before the grown table fills (it grows again at 3/4 full, after at least a quarter of
 * its size in inserts).
 */
const MOVE_STEP = 16;

/**
 * Linear probing over an Int32Array of keys (`words` int32s a key) and an array of entries: what
 * V4Map and V6Map share. Removal leaves a marker rather than shifting entries back, so that
 * iterating while removing (the reconciler does) neither skips nor repeats an entry; markers are
 * dropped when the table is rebuilt. A rebuild (to grow, or to drop markers) is incremental: the
 * previous arrays stay, searched after the new ones, and each insert moves MOVE_STEP of
 * their slots over (a moved slot becomes a marker) until none is left; so does each lookup, but
 * not during a walk of this map (so iterating while removing or looking up stays safe during a
 * move): a table whose inserts stopped right after a growth (a replay's end) would otherwise keep
 * the previous arrays, and search both, for as long as no route is added.
 */
abstract class ProbeMap {
  protected bits: number;
  protected mask: number;
  protected keys: Int32Array;
  protected vals: (Entry | undefined)[];
  private used = 0; // live entries and markers of the current arrays
  /** Live entries, in the current arrays and the previous ones. */
  size = 0;
  /** While a rebuild is under way: the previous arrays, their slots [0, moved) already moved over. */
  protected oldBits = 0;
  protected oldMask = 0;
  protected oldKeys: Int32Array | null = null;
  protected oldVals: (Entry | undefined)[] | null = null;
  private moved = 0;
  /** Walks (forEach, values) under way: lookups move nothing meanwhile. */
  private walking = 0;
  /**
   * Per map, random: a map filled in the slot order of another one with the same hash (a
   * restarted fibmgr adopting VPP's dump of what the previous one wrote in its table's order)
   * would otherwise pile every key onto one ever-growing probe run — 100 s instead of 3 s for a
   * million routes.
   */
  protected readonly seed = (Math.random() * 0x1_0000_0000) | 0;

  constructor(private readonly words: number, cap: number) {
    this.bits = 31 - Math.clz32(cap);
    this.mask = cap - 1;
    this.keys = new Int32Array(words * cap);
    this.vals = new Array<Entry | undefined>(cap).fill(undefined);
  }

  /** A rebuild is under way (the previous arrays are still searched). */
  get rebuilding(): boolean {
    return this.oldVals !== null;
  }

  /** Slots in the current arrays (tests: growth). */
  get capacity(): number {
    return this.vals.length;
  }

  /** Re-adds an entry whose key is at slot i of `keys` (a slot of the previous arrays) to the current ones. */
  protected abstract reinsert(keys: Int32Array, i: number, e: Entry): void;

  /** Makes room for one more entry (call before `claim`, which rebuilding would invalidate). */
  protected reserve(): void {
    if (this.oldVals !== null) this.move(MOVE_STEP);
    if ((this.used + 1) * 4 > this.vals.length * 3) this.rebuild();
  }

  /** The first free slot from `home` on in the current arrays, taken for e; the caller writes its key there (and counts it). */
  protected claim(home: number, e: Entry): number {
    const vals = this.vals;
    const mask = this.mask;
    let i = home;
    while (vals[i] !== undefined && vals[i] !== GONE) i = (i + 1) & mask;
    if (vals[i] === undefined) this.used++;
    vals[i] = e;
    return i;
  }

  /** Removes `e`, probing from its home slot in the current arrays, then from `oldHome` in the previous ones; false if it is in neither. */
  protected remove(home: number, oldHome: number, e: Entry): boolean {
    if (removeFrom(this.vals, this.mask, home, e) || (this.oldVals !== null && removeFrom(this.oldVals, this.oldMask, oldHome, e))) {
      this.size--;
      return true;
    }
    return false;
  }

  /** Starts a rebuild: grows when live entries fill half of it, else only leaves the markers behind. */
  private rebuild(): void {
    if (this.oldVals !== null) this.move(Infinity); // (never in practice: a move ends long before)
    let cap = this.vals.length;
    if ((this.size + 1) * 2 > cap) cap *= 2;
    this.oldBits = this.bits;
    this.oldMask = this.mask;
    this.oldKeys = this.keys;
    this.oldVals = this.vals;
    this.moved = 0;
    this.bits = 31 - Math.clz32(cap);
    this.mask = cap - 1;
    this.keys = new Int32Array(this.words * cap);
    this.vals = new Array<Entry | undefined>(cap).fill(undefined);
    this.used = 0;
  }

  /** A lookup's share of the move (call only while `oldVals` is set). */
  protected moveOnLookup(): void {
    if (this.walking === 0) this.move(MOVE_STEP);
  }

  /** Moves up to `n` slots of the previous arrays over; drops them after the last. */
  private move(n: number): void {
    const vals = this.oldVals!;
    const keys = this.oldKeys!;
    const end = Math.min(vals.length, this.moved + n);
    for (let i = this.moved; i < end; i++) {
      const v = vals[i];
      if (v === undefined || v === GONE) continue;
      this.reinsert(keys, i, v);
      vals[i] = GONE;
    }
    this.moved = end;
    if (end === vals.length) {
      this.oldVals = null;
      this.oldKeys = null;
    }
  }

  forEach(fn: (e: Entry) => void): void {
    this.walking++;
    try {
      eachLive(this.vals, fn);
      if (this.oldVals !== null) eachLive(this.oldVals, fn);
    } finally {
      this.walking--;
    }
  }

  *values(): IterableIterator<Entry> {
    this.walking++;
    try {
      for (const vals of [this.vals, this.oldVals]) {
        if (vals === null) continue;
        for (let i = 0; i < vals.length; i++) {
          const v = vals[i];
          if (v !== undefined && v !== GONE) yield v;
        }
      }
    } finally {
      this.walking--;
    }
  }
}

function removeFrom(vals: (Entry | undefined)[], mask: number, home: number, e: Entry): boolean {
  for (let i = home; ; i = (i + 1) & mask) {
    const v = vals[i];
    if (v === undefined) return false;
    if (v === e) {
      vals[i] = GONE;
      return true;
    }
  }
}

function eachLive(vals: (Entry | undefined)[], fn: (e: Entry) => void): void {
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (v !== undefined && v !== GONE) fn(v);
  }
}

/**
 * IPv4 networks of one prefix length → entries. The home slot keeps blocks of 16 consecutive
 * networks together (zebra sends its table in prefix order, so neighbours share cache lines) and
 * scatters the blocks by a multiplicative hash (so that no address pattern piles up in one region).
 */
export class V4Map extends ProbeMap {
  /** `len`: the prefix length of every key (its host bits are zero and carry no information). */
  constructor(private readonly len: number) {
    super(1, 64);
  }

  /** k's home slot in a table of 2^bits slots (bits ≥ 6: the smallest table has 64). */
  private home(k: number, bits: number): number {
    const n = this.len === 0 ? 0 : k >>> (32 - this.len);
    return ((Math.imul((n >>> 4) ^ this.seed, 0x9e3779b1) >>> (36 - bits)) << 4) | (n & 15);
  }

  get(k: number): Entry | undefined {
    if (this.oldVals !== null) this.moveOnLookup();
    return find4(this.keys, this.vals, this.mask, this.home(k, this.bits), k)
      ?? (this.oldVals === null ? undefined : find4(this.oldKeys!, this.oldVals, this.oldMask, this.home(k, this.oldBits), k));
  }

  /** Adds an entry for a key that is not in the table. */
  set(k: number, e: Entry): void {
    this.reserve();
    this.keys[this.claim(this.home(k, this.bits), e)] = k;
    this.size++;
  }

  /** Removes `e` if it is in the table. */
  delete(e: Entry): boolean {
    const k = e.network as number;
    return this.remove(this.home(k, this.bits), this.oldVals === null ? 0 : this.home(k, this.oldBits), e);
  }

  protected reinsert(keys: Int32Array, i: number, e: Entry): void {
    const k = keys[i]!;
    this.keys[this.claim(this.home(k, this.bits), e)] = k;
  }
}

function find4(keys: Int32Array, vals: (Entry | undefined)[], mask: number, home: number, k: number): Entry | undefined {
  for (let i = home; ; i = (i + 1) & mask) {
    const v = vals[i];
    if (v === undefined) return undefined;
    if (keys[i] === k && v !== GONE) return v;
  }
}

/** V4Map for IPv6 networks: four int32 words a key, scattered by a multiplicative hash. */
export class V6Map extends ProbeMap {
  constructor() {
    super(4, 16);
  }

  /** The key's home slot in a table of 2^bits slots. */
  private home(k0: number, k1: number, k2: number, k3: number, bits: number): number {
    let h = Math.imul(k0 ^ this.seed, 0x9e3779b1) ^ k1;
    h = Math.imul(h, 0x85ebca6b) ^ k2;
    h = Math.imul(h, 0xc2b2ae35) ^ k3;
    return Math.imul(h ^ (h >>> 15), 0x9e3779b1) >>> (32 - bits);
  }

  get(p: Prefix): Entry | undefined {
    const k0 = p.w0, k1 = p.w1, k2 = p.w2, k3 = p.w3;
    if (this.oldVals !== null) this.moveOnLookup();
    return find6(this.keys, this.vals, this.mask, this.home(k0, k1, k2, k3, this.bits), k0, k1, k2, k3)
      ?? (this.oldVals === null ? undefined : find6(this.oldKeys!, this.oldVals, this.oldMask, this.home(k0, k1, k2, k3, this.oldBits), k0, k1, k2, k3));
  }

  /** Adds an entry for a key that is not in the table. */
  set(p: Prefix, e: Entry): void {
    this.reserve();
    this.put(p.w0, p.w1, p.w2, p.w3, e);
    this.size++;
  }

  /** Removes `e` if it is the entry of p. */
  delete(p: Prefix, e: Entry): boolean {
    return this.remove(this.home(p.w0, p.w1, p.w2, p.w3, this.bits), this.oldVals === null ? 0 : this.home(p.w0, p.w1, p.w2, p.w3, this.oldBits), e);
  }

  protected reinsert(keys: Int32Array, i: number, e: Entry): void {
    this.put(keys[4 * i]!, keys[4 * i + 1]!, keys[4 * i + 2]!, keys[4 * i + 3]!, e);
  }

  private put(k0: number, k1: number, k2: number, k3: number, e: Entry): void {
    const o = 4 * this.claim(this.home(k0, k1, k2, k3, this.bits), e);
    this.keys[o] = k0;
    this.keys[o + 1] = k1;
    this.keys[o + 2] = k2;
    this.keys[o + 3] = k3;
  }
}

function find6(keys: Int32Array, vals: (Entry | undefined)[], mask: number, home: number, k0: number, k1: number, k2: number, k3: number): Entry | undefined {
  for (let i = home; ; i = (i + 1) & mask) {
    const v = vals[i];
    if (v === undefined) return undefined;
    const o = 4 * i;
    if (keys[o] === k0 && keys[o + 1] === k1 && keys[o + 2] === k2 && keys[o + 3] === k3 && v !== GONE) return v;
  }
}
