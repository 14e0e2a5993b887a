// The reconciler's table of routes, shaped for a full Internet table: one small object per route
// and no key string for IPv4 — routes are grouped by (VPP table, family, prefix length) and an
// IPv4 network is keyed by its address as an int32 in an open-addressing table of typed arrays
// (a Map of a million entries costs several cache misses per lookup and a rehash of a 30 MB
// backing store at every doubling). IPv6 networks likewise, as four int32 words read from the
// prefix text (hashing the decoder's text costs more: it is built piecewise, so V8 first copies
// it flat); the entry keeps that text (the decoder's string, no copy) for writing and logs.
import { parsePrefix } from '../route/prefix.js';
import type { Family } from '../route/types.js';
import type { PathSet } from './path-sets.js';

/** One VPP table of one family: shared by all its routes. */
export interface TableInfo {
  readonly family: Family;
  readonly table: number;
  /** "family|table", for logs */
  readonly key: string;
  /** The VPP table exists (created by us or found); reset on every VPP session. */
  ready: boolean;
  /** The last resync generation whose replay mentioned this table. */
  seenGen: number;
}

export const Q_ADD = 1;
export const Q_DEL = 2;
export const Q_SENDING = 4;
export const Q_RETRY = 8;
/** Scratch bit of a queue compaction. */
export const Q_MARK = 16;

export interface Slot {
  readonly info: TableInfo;
  readonly len: number;
  readonly map: V4Map | V6Map;
}

export interface Entry {
  /** What zebra wants here (null: nothing). */
  want: PathSet | null;
  /** What VPP holds here from fibmgr, as far as fibmgr knows. */
  have: PathSet | null;
  /** The resync generation that last confirmed this route (0: adopted from VPP at start). */
  gen: number;
  /** The nexthop group the route refers to (0: none), so that a changed group re-resolves it (GroupIndex keeps it). */
  nhg: number;
  /** Neighbours in the GroupIndex list of routes naming the same group. */
  gp: Entry | null;
  gn: Entry | null;
  /** zebra's protocol name for the route ('' when adopted from VPP), for the stale rule. */
  proto: string;
  /** Queue membership and write state (Q_* bits), kept here to spare hash lookups per write. */
  q: number;
  /** zebra's table id for the route (what a notification echoes; -1: zebra has not sent it). */
  zt: number;
  /** Notification state (N_* bits of reconciler.ts) over zebra's rtm_protocol (bits 0-7) and rtm_type (8-15). */
  n: number;
  readonly slot: Slot;
  /** IPv4: the network as int32; IPv6: the prefix text. */
  readonly a: number | string;
}

/**
 * "a.b.c.d/len" → the address (unsigned) × 64 + len, or -1 if it is not one: two numbers
 * without allocating a pair per route.
 */
export function parseV4(prefix: string): number {
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + c - 48;
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46 || c === 47) {
      if (digits === 0) return -1;
      acc = (acc << 8) | octet;
      octet = 0;
      digits = 0;
      parts++;
      if (c === 47) {
        if (parts !== 4) return -1;
        let len = 0;
        const n = prefix.length - i - 1;
        if (n < 1 || n > 2) return -1;
        for (let j = i + 1; j < prefix.length; j++) {
          const d = prefix.charCodeAt(j) - 48;
          if (d < 0 || d > 9) return -1;
          len = len * 10 + d;
        }
        if (len > 32) return -1;
        return (acc >>> 0) * 64 + len;
      }
    } else return -1;
  }
  return -1;
}

export function formatV4(a: number, len: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
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
    if (!t) this.infos.set(key, (t = { family, table, key, ready: false, seenGen: -1 }));
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
  lookup(family: Family, table: number, prefix: string, create: false): Entry | undefined;
  lookup(family: Family, table: number, prefix: string, create: true): Entry;
  lookup(family: Family, table: number, prefix: string, create: boolean): Entry | undefined;
  lookup(family: Family, table: number, prefix: string, create: boolean): Entry | undefined {
    if (family === 4) {
      const p = parseV4(prefix);
      if (p < 0) throw new Error(`not an IPv4 prefix: ${prefix}`);
      const len = p % 64;
      const key = ((p - len) / 64) | 0;
      const s = this.slot(4, table, len, create);
      if (!s) return undefined;
      const m = s.map as V4Map;
      let e = m.get(key);
      if (!e && create) {
        e = { want: null, have: null, gen: 0, nhg: 0, gp: null, gn: null, proto: '', q: 0, zt: -1, n: 0, slot: s, a: key };
        m.set(key, e);
        this.count++;
      }
      return e;
    }
    const w = this.w6;
    const len = this.v6Words(prefix);
    const s = this.slot(6, table, len, create);
    if (!s) return undefined;
    const m = s.map as V6Map;
    let e = m.get(w);
    if (!e && create) {
      e = { want: null, have: null, gen: 0, nhg: 0, gp: null, gn: null, proto: '', q: 0, zt: -1, n: 0, slot: s, a: prefix };
      m.set(w, e);
      this.count++;
    }
    return e;
  }

  private readonly w6 = new Int32Array(4);

  /** An IPv6 prefix's words into w6; its length. */
  private v6Words(prefix: string): number {
    const w = this.w6;
    const len = parseV6(prefix, w);
    if (len >= 0) return len;
    // an IPv4-mapped tail: the long way
    const p = parsePrefix(prefix);
    if (p.family !== 6) throw new Error(`not an IPv6 prefix: ${prefix}`);
    for (let i = 0; i < 4; i++) w[i] = p.bytes.readInt32BE(4 * i);
    return p.len;
  }

  delete(e: Entry): void {
    const removed = typeof e.a === 'number'
      ? (e.slot.map as V4Map).delete(e)
      : (this.v6Words(e.a), (e.slot.map as V6Map).delete(this.w6, e));
    if (removed) this.count--;
  }

  prefixOf(e: Entry): string {
    return typeof e.a === 'number' ? formatV4(e.a, e.slot.len) : e.a;
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
const GONE: Entry = Object.freeze({ want: null, have: null, gen: -1, nhg: 0, gp: null, gn: null, proto: '', q: 0, zt: -1, n: 0, slot: null as unknown as Slot, a: 0 }) as Entry;

/**
 * Linear probing over an Int32Array of keys (`words` int32s a key) and an array of entries: what
 * V4Map and V6Map share. Removal leaves a marker rather than shifting entries back, so that
 * iterating while removing (the reconciler does) neither skips nor repeats an entry; markers are
 * dropped when the table is rebuilt.
 */
abstract class ProbeMap {
  protected bits: number;
  protected mask: number;
  protected keys: Int32Array;
  protected vals: (Entry | undefined)[];
  private used = 0; // live entries and markers
  size = 0;
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

  /** Re-adds an entry whose key is at slot i of `keys` (during a rebuild). */
  protected abstract reinsert(keys: Int32Array, i: number, e: Entry): void;

  /** Makes room for one more entry (call before `claim`, which rebuilding would invalidate). */
  protected reserve(): void {
    if ((this.used + 1) * 4 > this.vals.length * 3) this.rebuild();
  }

  /** The first free slot from `home` on, taken for e; the caller writes its key there. */
  protected claim(home: number, e: Entry): number {
    const vals = this.vals;
    const mask = this.mask;
    let i = home;
    while (vals[i] !== undefined && vals[i] !== GONE) i = (i + 1) & mask;
    if (vals[i] === undefined) this.used++;
    vals[i] = e;
    this.size++;
    return i;
  }

  /** Removes `e`, probing from its home slot; false if it is not there. */
  protected remove(home: number, e: Entry): boolean {
    const vals = this.vals;
    const mask = this.mask;
    for (let i = home; ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return false;
      if (v === e) {
        vals[i] = GONE;
        this.size--;
        return true;
      }
    }
  }

  /** Grows when live entries fill half of it, else only sweeps the markers out. */
  private rebuild(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    let cap = oldVals.length;
    if ((this.size + 1) * 2 > cap) cap *= 2;
    this.bits = 31 - Math.clz32(cap);
    this.mask = cap - 1;
    this.keys = new Int32Array(this.words * cap);
    this.vals = new Array<Entry | undefined>(cap).fill(undefined);
    this.used = 0;
    this.size = 0;
    for (let i = 0; i < oldVals.length; i++) {
      const v = oldVals[i];
      if (v !== undefined && v !== GONE) this.reinsert(oldKeys, i, v);
    }
  }

  forEach(fn: (e: Entry) => void): void {
    const vals = this.vals;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined && v !== GONE) fn(v);
    }
  }

  *values(): IterableIterator<Entry> {
    const vals = this.vals;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined && v !== GONE) yield v;
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

  private home(k: number): number {
    const n = this.len === 0 ? 0 : k >>> (32 - this.len);
    return ((Math.imul((n >>> 4) ^ this.seed, 0x9e3779b1) >>> (36 - this.bits)) << 4) | (n & 15);
  }

  get(k: number): Entry | undefined {
    const vals = this.vals;
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(k); ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      if (keys[i] === k && v !== GONE) return v;
    }
  }

  /** Adds an entry for a key that is not in the table. */
  set(k: number, e: Entry): void {
    this.reserve();
    this.keys[this.claim(this.home(k), e)] = k;
  }

  /** Removes `e` if it is in the table. */
  delete(e: Entry): boolean {
    return this.remove(this.home(e.a as number), e);
  }

  protected reinsert(keys: Int32Array, i: number, e: Entry): void {
    const k = keys[i]!;
    this.keys[this.claim(this.home(k), e)] = k;
  }
}

/**
 * "hex:hex::hex/len" → the address as four big-endian int32 words in w, and the length; -1 for
 * any other text (an IPv4-mapped tail, say), with w undefined.
 */
/** Four address words (as parseV6 leaves them) as 16 bytes at `off`. */
export function writeV6Words(w: Int32Array, out: Uint8Array, off: number): void {
  for (let k = 0; k < 4; k++) {
    const x = w[k]!;
    const p = off + 4 * k;
    out[p] = x >>> 24;
    out[p + 1] = (x >>> 16) & 255;
    out[p + 2] = (x >>> 8) & 255;
    out[p + 3] = x & 255;
  }
}

export function parseV6(s: string, w: Int32Array): number {
  const slash = s.lastIndexOf('/');
  if (slash < 0 || s.length - slash < 2 || s.length - slash > 4) return -1;
  let len = 0;
  for (let i = slash + 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    len = len * 10 + d;
  }
  if (len > 128) return -1;
  w[0] = w[1] = w[2] = w[3] = 0;
  const dbl = s.indexOf('::');
  if (dbl >= slash) return -1;
  if (dbl < 0) return groups6(s, 0, slash, w, 0) === 8 ? len : -1;
  const head = dbl === 0 ? 0 : groups6(s, 0, dbl, w, 0);
  if (head < 0 || head > 7) return -1;
  if (dbl + 2 < slash) {
    let tail = 1;
    for (let i = dbl + 2; i < slash; i++) if (s.charCodeAt(i) === 58) tail++;
    if (head + tail > 7 || groups6(s, dbl + 2, slash, w, 8 - tail) !== tail) return -1;
  }
  return len;
}

/** Colon-separated hex groups of s[from, to) into w as 16-bit groups from index `at`: how many, or -1. */
function groups6(s: string, from: number, to: number, w: Int32Array, at: number): number {
  let n = 0;
  let v = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 58 : s.charCodeAt(i);
    if (c === 58) {
      if (digits === 0 || at + n > 7) return -1;
      const g = at + n;
      w[g >> 1]! |= (g & 1) === 0 ? v << 16 : v;
      n++;
      v = 0;
      digits = 0;
      continue;
    }
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    if (++digits > 4) return -1;
    v = (v << 4) | d;
  }
  return n;
}

/** V4Map for IPv6 networks: four int32 words a key, scattered by a multiplicative hash. */
export class V6Map extends ProbeMap {
  constructor() {
    super(4, 16);
  }

  private home(k0: number, k1: number, k2: number, k3: number): number {
    let h = Math.imul(k0 ^ this.seed, 0x9e3779b1) ^ k1;
    h = Math.imul(h, 0x85ebca6b) ^ k2;
    h = Math.imul(h, 0xc2b2ae35) ^ k3;
    return Math.imul(h ^ (h >>> 15), 0x9e3779b1) >>> (32 - this.bits);
  }

  get(w: Int32Array): Entry | undefined {
    const k0 = w[0]!, k1 = w[1]!, k2 = w[2]!, k3 = w[3]!;
    const vals = this.vals;
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(k0, k1, k2, k3); ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      const o = 4 * i;
      if (keys[o] === k0 && keys[o + 1] === k1 && keys[o + 2] === k2 && keys[o + 3] === k3 && v !== GONE) return v;
    }
  }

  /** Adds an entry for a key that is not in the table. */
  set(w: Int32Array, e: Entry): void {
    this.reserve();
    this.put(w[0]!, w[1]!, w[2]!, w[3]!, e);
  }

  /** Removes `e` if it is the entry of w. */
  delete(w: Int32Array, e: Entry): boolean {
    return this.remove(this.home(w[0]!, w[1]!, w[2]!, w[3]!), e);
  }

  protected reinsert(keys: Int32Array, i: number, e: Entry): void {
    this.put(keys[4 * i]!, keys[4 * i + 1]!, keys[4 * i + 2]!, keys[4 * i + 3]!, e);
  }

  private put(k0: number, k1: number, k2: number, k3: number, e: Entry): void {
    const o = 4 * this.claim(this.home(k0, k1, k2, k3), e);
    this.keys[o] = k0;
    this.keys[o + 1] = k1;
    this.keys[o + 2] = k2;
    this.keys[o + 3] = k3;
  }
}
