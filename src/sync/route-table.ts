// The reconciler's table of routes, shaped for a full Internet table: one small object per route
// and no key string for IPv4 — routes are grouped by (VPP table, family, prefix length) and an
// IPv4 network is keyed by its address as an int32, which V8 keeps unboxed. IPv6 routes are
// keyed by their prefix text (the decoder's string, no copy).
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

export interface Slot {
  readonly info: TableInfo;
  readonly len: number;
  readonly map: Map<number | string, Entry>;
}

export interface Entry {
  /** What zebra wants here (null: nothing). */
  want: PathSet | null;
  /** What VPP holds here from fibmgr, as far as fibmgr knows. */
  have: PathSet | null;
  /** The resync generation that last confirmed this route (0: adopted from VPP at start). */
  gen: number;
  /** The nexthop group the route refers to (0: none), so that a changed group re-resolves it. */
  nhg: number;
  /** Queue membership and write state (Q_* bits), kept here to spare hash lookups per write. */
  q: number;
  readonly slot: Slot;
  /** IPv4: the network as int32; IPv6: the prefix text. */
  readonly a: number | string;
}

/** "a.b.c.d/len" → [int32 address, len], or null if it is not one. */
export function parseV4(prefix: string): [number, number] | null {
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + c - 48;
      if (++digits > 3 || octet > 255) return null;
    } else if (c === 46 || c === 47) {
      if (digits === 0) return null;
      acc = (acc << 8) | octet;
      octet = 0;
      digits = 0;
      parts++;
      if (c === 47) {
        if (parts !== 4) return null;
        const len = Number(prefix.slice(i + 1));
        if (!Number.isInteger(len) || len < 0 || len > 32) return null;
        return [acc | 0, len];
      }
    } else return null;
  }
  return null;
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
    if (!s && create) byLen[len] = s = { info: this.tableInfo(family, table), len, map: new Map() };
    return s;
  }

  /** The entry of (table, prefix); with `create`, a new empty one if there is none. */
  lookup(family: Family, table: number, prefix: string, create: false): Entry | undefined;
  lookup(family: Family, table: number, prefix: string, create: true): Entry;
  lookup(family: Family, table: number, prefix: string, create: boolean): Entry | undefined;
  lookup(family: Family, table: number, prefix: string, create: boolean): Entry | undefined {
    let key: number | string;
    let len: number;
    if (family === 4) {
      const p = parseV4(prefix);
      if (!p) throw new Error(`not an IPv4 prefix: ${prefix}`);
      [key, len] = p;
    } else {
      key = prefix;
      len = Number(prefix.slice(prefix.lastIndexOf('/') + 1));
    }
    const s = this.slot(family, table, len, create);
    if (!s) return undefined;
    let e = s.map.get(key);
    if (!e && create) {
      e = { want: null, have: null, gen: 0, nhg: 0, q: 0, slot: s, a: key };
      s.map.set(key, e);
      this.count++;
    }
    return e;
  }

  delete(e: Entry): void {
    if (e.slot.map.get(e.a) === e) {
      e.slot.map.delete(e.a);
      this.count--;
    }
  }

  prefixOf(e: Entry): string {
    return typeof e.a === 'number' ? formatV4(e.a, e.slot.len) : e.a;
  }

  *[Symbol.iterator](): IterableIterator<Entry> {
    for (const [, fams] of this.tables) {
      for (const byLen of fams) {
        for (const s of byLen) if (s) yield* s.map.values();
      }
    }
  }
}
