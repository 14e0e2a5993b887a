// The simulator's FIB: tables per address family, entries per prefix, and per entry one path
// set per FIB source; the source with the lowest priority number is the one forwarding (as VPP).
// Paths are kept as their 167 wire bytes, so that reads give back exactly what was written.
import { formatIp4, formatIp6, parseIpInto, parseLen } from '../codec/ip.js';

export const PATH_SIZE = 167;
export const SRC_INTERFACE = 4;
export const SRC_API = 8;
export const SRC_CLI = 9;

export interface FibSource {
  id: number;
  priority: number;
  name: string;
}

// Built-in sources of the recorded build, in id order (fib-source.json).
const BUILTIN: [number, string][] = [
  [255, 'invalid'], [0, 'special'], [1, 'classify'], [2, 'proxy'], [3, 'interface'], [16, 'SR'],
  [32, 'BIER'], [48, '6RD'], [128, 'API'], [129, 'CLI'], [144, 'LISP'], [160, 'MAP'], [176, 'DHCP'],
  [192, 'IPv6-proxy-nd'], [193, 'IPv6-nd'], [208, 'adjacency'], [224, 'mpls'], [240, 'attached_export'],
  [251, 'recursive-resolution'], [252, 'urpf-exempt'], [253, 'default-route'], [254, 'interpose'], [16, 'path-mtu'],
];

export function builtinSources(): FibSource[] {
  return BUILTIN.map(([priority, name], id) => ({ id, priority, name }));
}

/**
 * The path sets of one entry by source. Nearly every entry has one source, so that one is held
 * in fields and a Map is made only for a second (a Map per route cost the bench a third of its time).
 */
export class SourceSet {
  private id0 = -1;
  private paths0: Buffer[] | undefined;
  private more: Map<number, Buffer[]> | undefined;

  get size(): number {
    return (this.id0 >= 0 ? 1 : 0) + (this.more?.size ?? 0);
  }
  get(id: number): Buffer[] | undefined {
    return id === this.id0 ? this.paths0 : this.more?.get(id);
  }
  has(id: number): boolean {
    return id === this.id0 || (this.more?.has(id) ?? false);
  }
  set(id: number, paths: Buffer[]): this {
    if (id === this.id0 || (this.id0 < 0 && !this.more?.has(id))) {
      this.id0 = id;
      this.paths0 = paths;
    } else (this.more ??= new Map()).set(id, paths);
    return this;
  }
  delete(id: number): boolean {
    if (id === this.id0) {
      this.id0 = -1;
      this.paths0 = undefined;
      return true;
    }
    return this.more?.delete(id) ?? false;
  }
  *keys(): IterableIterator<number> {
    if (this.id0 >= 0) yield this.id0;
    if (this.more) yield* this.more.keys();
  }
}

/**
 * One prefix in one table. It is its own SourceSet (`sources` returns itself) and keeps an IPv4
 * address as a number: a route costs one object besides its Map slot.
 */
export class FibEntry extends SourceSet {
  private readonly v4: number;
  private readonly v6: Buffer | undefined;
  constructor(
    readonly isIp6: boolean,
    addr: Buffer,
    addrOff: number,
    readonly len: number,
    readonly statsIndex: number,
  ) {
    super();
    this.v4 = isIp6 ? 0 : addr.readUInt32BE(addrOff);
    this.v6 = isIp6 ? Buffer.from(addr.subarray(addrOff, addrOff + 16)) : undefined;
  }
  get sources(): SourceSet {
    return this;
  }
  /** 16 bytes; IPv4 in the first 4 */
  get addr(): Buffer {
    if (this.v6) return this.v6;
    const b = Buffer.alloc(16);
    b.writeUInt32BE(this.v4, 0);
    return b;
  }
  /** Writes the address union (16 bytes, zero-filled past IPv4) at off. */
  writeAddr(buf: Buffer, off: number): void {
    if (this.v6) this.v6.copy(buf, off);
    else {
      buf.writeUInt32BE(this.v4, off);
      buf.fill(0, off + 4, off + 16);
    }
  }
}


export interface FibTable {
  tableId: number;
  isIp6: boolean;
  name: string;
  entries: PrefixMap<FibEntry>;
  /** keys of API-source entries marked by ip_table_replace_begin */
  stale: Set<number | string> | null;
}

/**
 * A Map from prefixKey() to V. IPv4 keys are split by prefix length into Maps keyed by the
 * address as an int32, which V8 keeps as small integers: one Map keyed by u32·64+len (a heap
 * number) made inserting 1M routes about twice as slow.
 */
export class PrefixMap<V> {
  private readonly v4: (Map<number, V> | undefined)[] = [];
  private readonly other = new Map<string, V>();
  private count = 0;

  get size(): number {
    return this.count;
  }
  get(key: number | string): V | undefined {
    if (typeof key === 'string') return this.other.get(key);
    const len = key % 64;
    return this.v4[len]?.get(((key - len) / 64) | 0);
  }
  has(key: number | string): boolean {
    return this.get(key) !== undefined;
  }
  set(key: number | string, v: V): this {
    let m: Map<number | string, V>;
    let k: number | string;
    if (typeof key === 'string') {
      m = this.other as Map<number | string, V>;
      k = key;
    } else {
      const len = key % 64;
      m = (this.v4[len] ??= new Map()) as Map<number | string, V>;
      k = ((key - len) / 64) | 0;
    }
    const before = m.size;
    m.set(k, v);
    this.count += m.size - before;
    return this;
  }
  delete(key: number | string): boolean {
    let done: boolean;
    if (typeof key === 'string') done = this.other.delete(key);
    else {
      const len = key % 64;
      done = this.v4[len]?.delete(((key - len) / 64) | 0) ?? false;
    }
    if (done) this.count--;
    return done;
  }
  *[Symbol.iterator](): IterableIterator<[number | string, V]> {
    for (let len = 0; len < this.v4.length; len++) {
      const m = this.v4[len];
      if (m) for (const [a, v] of m) yield [(a >>> 0) * 64 + len, v];
    }
    yield* this.other;
  }
  *values(): IterableIterator<V> {
    for (const [, v] of this) yield v;
  }
}

const KEY6 = Buffer.alloc(17);

/** Map key of a prefix: a number for IPv4 (cheap on the hot path), a string for IPv6. */
export function prefixKey(isIp6: boolean, addr: Buffer, addrOff: number, len: number): number | string {
  if (!isIp6) return addr.readUInt32BE(addrOff) * 64 + len;
  // 17 latin1 characters (address, length) in one flat string: cheap to hash
  addr.copy(KEY6, 0, addrOff, addrOff + 16);
  KEY6[16] = len;
  return KEY6.toString('latin1');
}

/** "10.0.0.0/8" or "2001:db8::/32" (an address alone: a host route) → af, 16 address bytes, length. */
export function parsePrefix(text: string): { isIp6: boolean; addr: Buffer; len: number } {
  const slash = text.indexOf('/');
  const addr = Buffer.alloc(16);
  const fam = parseIpInto(text, addr, 0, 0, slash < 0 ? text.length : slash);
  if (fam === 0) throw new Error(`bad prefix ${text}`);
  const len = slash < 0 ? (fam === 4 ? 32 : 128) : parseLen(text, slash);
  if (len < 0 || len > (fam === 4 ? 32 : 128)) throw new Error(`bad prefix length in ${text}`);
  return { isIp6: fam === 6, addr, len };
}

export function formatPrefix(e: { isIp6: boolean; addr: Buffer; len: number }): string {
  return `${e.isIp6 ? formatIp6(e.addr, 0) : formatIp4(e.addr, 0)}/${e.len}`;
}

export class SimFib {
  readonly tables = new Map<string, FibTable>();
  sources: FibSource[] = builtinSources();
  /** Routes left behind when their table was deleted (VPP keeps them alive, see README). */
  orphans = 0;
  private nextStats = 1;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.last = undefined;
    this.tables.clear();
    this.sources = builtinSources();
    this.orphans = 0;
    this.nextStats = 1;
    this.addTable(false, 0, 'ipv4-VRF:0');
    this.addTable(true, 0, 'ipv6-VRF:0');
  }

  // The last table looked up: bulk programming hits the same one again and again.
  private last: FibTable | undefined;

  table(isIp6: boolean, tableId: number): FibTable | undefined {
    const l = this.last;
    if (l && l.tableId === tableId && l.isIp6 === isIp6) return l;
    const t = this.tables.get(`${isIp6 ? 6 : 4}:${tableId >>> 0}`);
    if (t) this.last = t;
    return t;
  }

  addTable(isIp6: boolean, tableId: number, name: string): FibTable {
    const have = this.table(isIp6, tableId);
    if (have) return have;
    const t: FibTable = {
      tableId,
      isIp6,
      name: name || `${isIp6 ? 'ipv6' : 'ipv4'}-VRF:${tableId}`,
      entries: new PrefixMap(),
      stale: null,
    };
    this.tables.set(`${isIp6 ? 6 : 4}:${tableId >>> 0}`, t);
    return t;
  }

  deleteTable(isIp6: boolean, tableId: number): void {
    if (tableId === 0) return;
    const t = this.table(isIp6, tableId);
    if (!t) return;
    this.orphans += t.entries.size;
    this.last = undefined;
    this.tables.delete(`${isIp6 ? 6 : 4}:${tableId >>> 0}`);
  }

  addSource(priority: number, name: string): FibSource {
    const src = { id: this.sources.length, priority, name };
    this.sources.push(src);
    return src;
  }

  source(id: number): FibSource | undefined {
    return this.sources[id];
  }

  /** The forwarding source of an entry: lowest priority number, then lowest id. */
  best(e: FibEntry): number {
    let bestId = -1;
    let bestPrio = 1e9;
    for (const id of e.sources.keys()) {
      const p = this.sources[id]?.priority ?? 1e6;
      if (p < bestPrio || (p === bestPrio && id < bestId)) {
        bestPrio = p;
        bestId = id;
      }
    }
    return bestId;
  }

  entry(t: FibTable, key: number | string, isIp6: boolean, addr: Buffer, addrOff: number, len: number): FibEntry {
    let e = t.entries.get(key);
    if (!e) {
      e = new FibEntry(isIp6, addr, addrOff, len, this.nextStats++);
      t.entries.set(key, e);
    }
    return e;
  }

  /** Test helper: the entry for "table, prefix" (IPv4 or IPv6 by the text). */
  get(tableId: number, prefix: string): FibEntry | undefined {
    const p = parsePrefix(prefix);
    return this.table(p.isIp6, tableId)?.entries.get(prefixKey(p.isIp6, p.addr, 0, p.len));
  }

  /** Test helper: installs a route as another client would (CLI source by default). */
  add(tableId: number, prefix: string, paths: Buffer[], src = SRC_CLI): FibEntry {
    const p = parsePrefix(prefix);
    const t = this.table(p.isIp6, tableId) ?? this.addTable(p.isIp6, tableId, '');
    const e = this.entry(t, prefixKey(p.isIp6, p.addr, 0, p.len), p.isIp6, p.addr, 0, p.len);
    e.sources.set(src, paths.map((b) => Buffer.from(b)));
    return e;
  }

  /** Number of entries that a source contributes to, over all tables. */
  countBySource(): Map<number, number> {
    const out = new Map<number, number>();
    for (const t of this.tables.values())
      for (const e of t.entries.values()) for (const s of e.sources.keys()) out.set(s, (out.get(s) ?? 0) + 1);
    return out;
  }

  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.entries.size;
    return n;
  }
}

/** A path in wire form, for tests and the sim's own entries. */
export function makePath(p: {
  swIfIndex?: number;
  tableId?: number;
  weight?: number;
  preference?: number;
  type?: number;
  flags?: number;
  proto?: number;
  nh?: string;
  labels?: number[];
}): Buffer {
  const b = Buffer.alloc(PATH_SIZE);
  b.writeUInt32BE((p.swIfIndex ?? 0xffffffff) >>> 0, 0);
  b.writeUInt32BE(p.tableId ?? 0, 4);
  b[12] = p.weight ?? 1;
  b[13] = p.preference ?? 0;
  b.writeUInt32BE(p.type ?? 0, 14);
  b.writeUInt32BE(p.flags ?? 0, 18);
  b.writeUInt32BE(p.proto ?? (p.nh?.includes(':') ? 1 : 0), 22);
  if (p.nh) parsePrefix(p.nh).addr.copy(b, 26);
  const labels = p.labels ?? [];
  b[54] = labels.length;
  labels.forEach((l, i) => b.writeUInt32BE(l, 55 + i * 7 + 1));
  return b;
}
