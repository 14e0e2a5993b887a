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

/**
 * Slot ids: an entry's id (> 0), an empty slot (probing stops), a removed one (probing goes on
 * past it; an insert may reuse it).
 */
const EMPTY = 0;
const GONE = -1;

/**
 * Old slots moved into the grown table per insert (and per lookup outside walks). A rebuild all at
 * once stopped fibmgr for up to 90 ms at a million routes while VPP's socket holds ~3.5 ms of its
 * work; a few slots an operation spread the same work over the ones that follow, and the move is
 * over long before the grown table fills (it grows again at 3/4 full, after at least a quarter of
 * its size in inserts).
 */
const MOVE_STEP = 16;

/** Entries a chunk of the store holds (a power of two). */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const newChunk = (): (Entry | undefined)[] => new Array<Entry | undefined>(CHUNK).fill(undefined);

/**
 * A map's entries by id (1, 2, …), in chunks of 4,096: the slots hold ids in an Int32Array, so
 * that growing a table allocates no array of references (a JS array of 2M slots took ~50 ms to
 * allocate on the bench's VM, in one step, where an Int32Array of 2M takes 0.1 ms) and moving a
 * slot to the grown table copies an int. Ids of removed entries are reused.
 */
class EntryStore {
  /**
   * Born holding its first chunk. An empty [] is an array of small integers to V8 until its first
   * push makes it one of arrays: code V8 compiled during the warm-up, for stores past that change,
   * was thrown away at the first route of zebra's first sync, whose stores are new and empty
   * (README, Benchmarks, run AD).
   */
  private readonly chunks: (Entry | undefined)[][] = [newChunk()];
  private readonly free: number[] = [];
  private next = 1;

  add(e: Entry): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.next++;
    const c = id >>> CHUNK_BITS;
    if (c === this.chunks.length) this.chunks.push(newChunk());
    this.chunks[c]![id & (CHUNK - 1)] = e;
    return id;
  }

  get(id: number): Entry {
    return this.chunks[id >>> CHUNK_BITS]![id & (CHUNK - 1)]!;
  }

  /** The entry of a slot's id: undefined for an empty or removed slot (a probe that found nothing). */
  at(id: number): Entry | undefined {
    return id > 0 ? this.get(id) : undefined;
  }

  drop(id: number): void {
    this.chunks[id >>> CHUNK_BITS]![id & (CHUNK - 1)] = undefined;
    this.free.push(id);
  }
}

/**
 * Linear probing over an Int32Array of keys (`words` int32s a key) and one of entry ids (the
 * entries in an EntryStore): what V4Map and V6Map share. Removal leaves a marker rather than
 * shifting entries back, so that iterating while removing (the reconciler does) neither skips nor
 * repeats an entry; markers are dropped when the table is rebuilt. A rebuild (to grow, or to drop
 * markers) is incremental: the previous arrays stay, searched after the new ones, and each insert
 * moves MOVE_STEP of their slots over (a moved slot becomes a marker) until none is left; so does
 * each lookup, but not during a walk of this map (so iterating while removing or looking up stays
 * safe during a move): a table whose inserts stopped right after a growth (a replay's end) would
 * otherwise keep the previous arrays, and search both, for as long as no route is added.
 */
abstract class ProbeMap {
  protected bits: number;
  protected mask: number;
  protected keys: Int32Array;
  protected ids: Int32Array;
  protected readonly store = new EntryStore();
  private used = 0; // live entries and markers of the current arrays
  /** Live entries, in the current arrays and the previous ones. */
  size = 0;
  /** While a rebuild is under way: the previous arrays, their slots [0, moved) already moved over. */
  protected oldBits = 0;
  protected oldMask = 0;
  protected oldKeys: Int32Array | null = null;
  protected oldIds: Int32Array | null = null;
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
    this.ids = new Int32Array(cap);
  }

  /** A rebuild is under way (the previous arrays are still searched). */
  get rebuilding(): boolean {
    return this.oldIds !== null;
  }

  /** Slots in the current arrays (tests: growth). */
  get capacity(): number {
    return this.ids.length;
  }

  /** Re-adds the entry `id` whose key is at slot i of `keys` (a slot of the previous arrays) to the current ones. */
  protected abstract reinsert(keys: Int32Array, i: number, id: number): void;

  /** Makes room for one more entry (call before `claim`, which rebuilding would invalidate). */
  protected reserve(): void {
    if (this.oldIds !== null) this.move(MOVE_STEP);
    if ((this.used + 1) * 4 > this.ids.length * 3) this.rebuild();
  }

  /** The first free slot from `home` on in the current arrays, taken for entry `id`; the caller writes its key there (and counts it). */
  protected claim(home: number, id: number): number {
    const ids = this.ids;
    const mask = this.mask;
    let i = home;
    while (ids[i]! > 0) i = (i + 1) & mask;
    if (ids[i] === EMPTY) this.used++;
    ids[i] = id;
    return i;
  }

  /** Removes `e`, probing from its home slot in the current arrays, then from `oldHome` in the previous ones; false if it is in neither. */
  protected remove(home: number, oldHome: number, e: Entry): boolean {
    if (this.removeFrom(this.ids, this.mask, home, e) || (this.oldIds !== null && this.removeFrom(this.oldIds, this.oldMask, oldHome, e))) {
      this.size--;
      return true;
    }
    return false;
  }

  private removeFrom(ids: Int32Array, mask: number, home: number, e: Entry): boolean {
    for (let i = home; ; i = (i + 1) & mask) {
      const id = ids[i]!;
      if (id === EMPTY) return false;
      if (id > 0 && this.store.get(id) === e) {
        ids[i] = GONE;
        this.store.drop(id);
        return true;
      }
    }
  }

  /** Starts a rebuild: grows when live entries fill half of it, else only leaves the markers behind. */
  private rebuild(): void {
    if (this.oldIds !== null) this.move(Infinity); // (never in practice: a move ends long before)
    let cap = this.ids.length;
    if ((this.size + 1) * 2 > cap) cap *= 2;
    this.oldBits = this.bits;
    this.oldMask = this.mask;
    this.oldKeys = this.keys;
    this.oldIds = this.ids;
    this.moved = 0;
    this.bits = 31 - Math.clz32(cap);
    this.mask = cap - 1;
    this.keys = new Int32Array(this.words * cap);
    this.ids = new Int32Array(cap);
    this.used = 0;
  }

  /** A lookup's share of the move (call only while `oldIds` is set). */
  protected moveOnLookup(): void {
    if (this.walking === 0) this.move(MOVE_STEP);
  }

  /** Moves up to `n` slots of the previous arrays over; drops them after the last. */
  private move(n: number): void {
    const ids = this.oldIds!;
    const keys = this.oldKeys!;
    const end = Math.min(ids.length, this.moved + n);
    for (let i = this.moved; i < end; i++) {
      const id = ids[i]!;
      if (id <= 0) continue;
      this.reinsert(keys, i, id);
      ids[i] = GONE;
    }
    this.moved = end;
    if (end === ids.length) {
      this.oldIds = null;
      this.oldKeys = null;
    }
  }

  forEach(fn: (e: Entry) => void): void {
    this.walking++;
    try {
      this.eachLive(this.ids, fn);
      if (this.oldIds !== null) this.eachLive(this.oldIds, fn);
    } finally {
      this.walking--;
    }
  }

  private eachLive(ids: Int32Array, fn: (e: Entry) => void): void {
    const store = this.store;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id > 0) fn(store.get(id));
    }
  }

  *values(): IterableIterator<Entry> {
    this.walking++;
    try {
      for (const ids of [this.ids, this.oldIds]) {
        if (ids === null) continue;
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          if (id > 0) yield this.store.get(id);
        }
      }
    } finally {
      this.walking--;
    }
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
    if (this.oldIds !== null) this.moveOnLookup();
    const id = find4(this.keys, this.ids, this.mask, this.home(k, this.bits), k);
    return this.store.at(id === EMPTY && this.oldIds !== null ? find4(this.oldKeys!, this.oldIds, this.oldMask, this.home(k, this.oldBits), k) : id);
  }

  /** Adds an entry for a key that is not in the table. */
  set(k: number, e: Entry): void {
    this.reserve();
    this.keys[this.claim(this.home(k, this.bits), this.store.add(e))] = k;
    this.size++;
  }

  /** Removes `e` if it is in the table. */
  delete(e: Entry): boolean {
    const k = e.network as number;
    return this.remove(this.home(k, this.bits), this.oldIds === null ? 0 : this.home(k, this.oldBits), e);
  }

  protected reinsert(keys: Int32Array, i: number, id: number): void {
    const k = keys[i]!;
    this.keys[this.claim(this.home(k, this.bits), id)] = k;
  }
}

/** The id of key k's entry, or EMPTY. */
function find4(keys: Int32Array, ids: Int32Array, mask: number, home: number, k: number): number {
  for (let i = home; ; i = (i + 1) & mask) {
    const id = ids[i]!;
    if (id === EMPTY) return EMPTY;
    if (keys[i] === k && id > 0) return id;
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
    if (this.oldIds !== null) this.moveOnLookup();
    const id = find6(this.keys, this.ids, this.mask, this.home(k0, k1, k2, k3, this.bits), k0, k1, k2, k3);
    return this.store.at(id === EMPTY && this.oldIds !== null ? find6(this.oldKeys!, this.oldIds, this.oldMask, this.home(k0, k1, k2, k3, this.oldBits), k0, k1, k2, k3) : id);
  }

  /** Adds an entry for a key that is not in the table. */
  set(p: Prefix, e: Entry): void {
    this.reserve();
    this.put(p.w0, p.w1, p.w2, p.w3, this.store.add(e));
    this.size++;
  }

  /** Removes `e` if it is the entry of p. */
  delete(p: Prefix, e: Entry): boolean {
    return this.remove(this.home(p.w0, p.w1, p.w2, p.w3, this.bits), this.oldIds === null ? 0 : this.home(p.w0, p.w1, p.w2, p.w3, this.oldBits), e);
  }

  protected reinsert(keys: Int32Array, i: number, id: number): void {
    this.put(keys[4 * i]!, keys[4 * i + 1]!, keys[4 * i + 2]!, keys[4 * i + 3]!, id);
  }

  private put(k0: number, k1: number, k2: number, k3: number, id: number): void {
    const o = 4 * this.claim(this.home(k0, k1, k2, k3, this.bits), id);
    this.keys[o] = k0;
    this.keys[o + 1] = k1;
    this.keys[o + 2] = k2;
    this.keys[o + 3] = k3;
  }
}

/** The id of the key's entry, or EMPTY. */
function find6(keys: Int32Array, ids: Int32Array, mask: number, home: number, k0: number, k1: number, k2: number, k3: number): number {
  for (let i = home; ; i = (i + 1) & mask) {
    const id = ids[i]!;
    if (id === EMPTY) return EMPTY;
    const o = 4 * i;
    if (keys[o] === k0 && keys[o + 1] === k1 && keys[o + 2] === k2 && keys[o + 3] === k3 && id > 0) return id;
  }
}
