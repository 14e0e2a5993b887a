// What the generated codec (src/gen) calls: bounds-checked reading, address and prefix text,
// fixed and variable strings, enum checks. Hand-written and small, so that the generated files
// stay plain straight-line code.
import { formatIp4, formatIp6, parseIpInto, parseLen } from './ip.js';
import { hasCode } from '../error-code.js';

/** A value that cannot be encoded as the definition says (nothing is written to the socket). */
export class VppEncodeError extends Error {
  override name = 'VppEncodeError';
  readonly code = 'VPP_ENCODE';
}

/** A field the definition cannot encode (holds across copies of the package, as every is…() does). */
export const isEncodeError = hasCode<VppEncodeError>('VPP_ENCODE');

/** Bytes that do not hold the message the id says (truncated, or a count that overruns). */
export class VppDecodeError extends Error {
  override name = 'VppDecodeError';
  readonly code = 'VPP_DECODE';
}

/** Bytes that do not hold their message. */
export const isDecodeError = hasCode<VppDecodeError>('VPP_DECODE');

/** A read cursor: buffer, position, end. */
export interface Rd {
  b: Buffer;
  o: number;
  e: number;
  /** The message being read, for error text. */
  m: string;
}

export function need(r: Rd, n: number): void {
  if (r.o + n > r.e) throw new VppDecodeError(`${r.m}: truncated: need ${n} more bytes at offset ${r.o}, ${Math.max(0, r.e - r.o)} left`);
}

// --- numbers -------------------------------------------------------------------------------

const U = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

/** A field's integer, range-checked (a wrong value must fail here, not in VPP). */
export function uint(v: unknown, bytes: 1 | 2 | 4, f: string, name?: string): number {
  if (typeof v === 'number' && v >= 0 && v <= U[bytes] && Number.isInteger(v)) return v;
  if (v === undefined || v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new VppEncodeError(`${at(f, name)}: ${JSON.stringify(v)} is not a u${bytes * 8}`);
}

export function at(f: string, name?: string): string {
  return name === undefined ? f : `${f}.${name}`;
}

export function sint(v: unknown, bytes: 1 | 2 | 4, f: string, name?: string): number {
  const field = at(f, name);
  if (v === undefined || v === null) return 0;
  const n = v as number;
  const lim = 2 ** (bytes * 8 - 1);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -lim || n >= lim) {
    throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not an i${bytes * 8}`);
  }
  return n;
}

export function big(v: unknown, signed: boolean, f: string, name?: string): bigint {
  const field = at(f, name);
  if (v === undefined || v === null) return 0n;
  let n: bigint;
  try {
    n = typeof v === 'bigint' ? v : BigInt(v as number);
  } catch {
    throw new VppEncodeError(`${field}: ${String(v)} is not a ${signed ? 'i64' : 'u64'}`);
  }
  if (signed ? n < -(2n ** 63n) || n >= 2n ** 63n : n < 0n || n >= 2n ** 64n) {
    throw new VppEncodeError(`${field}: ${n} is out of range for ${signed ? 'i64' : 'u64'}`);
  }
  return n;
}

export function f64(v: unknown, f: string, name?: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number') throw new VppEncodeError(`${at(f, name)}: ${JSON.stringify(v)} is not a number`);
  return v;
}

/**
 * An enum value: only the definition's values. `flags` enums (enumflags, and enums named
 * *_flags that VPP ORs together) take any combination of their bits.
 */
export function enumValue(v: unknown, values: ReadonlySet<number>, flagsMask: number, enumName: string, f: string, name?: string): number {
  if (typeof v === 'number' && values.has(v)) return v;
  if (v === undefined || v === null) return values.has(0) || flagsMask >= 0 ? 0 : throwEnum(v, at(f, name), enumName);
  if (flagsMask >= 0 && typeof v === 'number' && Number.isInteger(v) && v >= 0 && (v & ~flagsMask) === 0) return v;
  return throwEnum(v, at(f, name), enumName);
}

function throwEnum(v: unknown, field: string, enumName: string): never {
  throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not a value of ${enumName}`);
}

// --- counts --------------------------------------------------------------------------------

/** The length of a counted array; a count given beside it must agree. */
export function count(given: unknown, arr: ArrayLike<unknown> | undefined | null, max: number, f: string, name: string): number {
  const n = arr ? arr.length : 0;
  if (n <= max && (given === undefined || given === n)) return n;
  const field = at(f, name);
  if (given !== undefined && given !== null && given !== n) {
    throw new VppEncodeError(`${field}: says ${String(given)} but the array has ${n} elements`);
  }
  if (n > max) throw new VppEncodeError(`${field}: ${n} elements do not fit its counter (max ${max})`);
  return n;
}

export function fixedArray<T>(arr: ArrayLike<T> | undefined | null, len: number, f: string, name: string): ArrayLike<T> {
  if (!arr) return [];
  if (arr.length > len) throw new VppEncodeError(`${at(f, name)}: ${arr.length} elements, the array holds ${len}`);
  return arr;
}

// --- byte arrays ---------------------------------------------------------------------------

export function bytesOf(v: unknown, field: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return Uint8Array.from(v.map((x) => uint(x, 1, field)));
  throw new VppEncodeError(`${field}: expected bytes`);
}

export function writeBytes(b: Buffer, o: number, v: Uint8Array, len: number, field: string): void {
  if (v.length > len) throw new VppEncodeError(`${field}: ${v.length} bytes, the field holds ${len}`);
  b.set(v, o);
}

export function readBytes(r: Rd, len: number): Buffer {
  need(r, len);
  const out = Buffer.from(r.b.subarray(r.o, r.o + len));
  r.o += len;
  return out;
}

// --- strings -------------------------------------------------------------------------------

/** string x[N]: N bytes, NUL-padded; longer text is an error (VPP would cut it silently). */
export function writeFixedString(b: Buffer, o: number, v: unknown, len: number, field: string): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v !== 'string') throw new VppEncodeError(`${field}: expected a string`);
  const n = Buffer.byteLength(v);
  if (n > len) throw new VppEncodeError(`${field}: ${n} bytes, the field holds ${len}`);
  b.write(v, o, len, 'utf8');
}

export function readFixedString(r: Rd, len: number): string {
  need(r, len);
  let end = r.o;
  const lim = r.o + len;
  while (end < lim && r.b[end] !== 0) end++;
  const s = r.b.toString('utf8', r.o, end);
  r.o = lim;
  return s;
}

export function varStringSize(v: unknown): number {
  return typeof v === 'string' ? 4 + Buffer.byteLength(v) : 4;
}

/** string x[]: u32 length, then the bytes. */
export function writeVarString(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined || v === null) v = '';
  if (typeof v !== 'string') throw new VppEncodeError(`${field}: expected a string`);
  const n = b.write(v, o + 4, 'utf8');
  b.writeUInt32BE(n, o);
  return o + 4 + n;
}

export function readVarString(r: Rd): string {
  need(r, 4);
  const n = r.b.readUInt32BE(r.o);
  r.o += 4;
  need(r, n);
  // VPP's own strings sometimes carry their C terminator.
  let end = r.o + n;
  while (end > r.o && r.b[end - 1] === 0) end--;
  const s = r.b.toString('utf8', r.o, end);
  r.o += n;
  return s;
}

// --- addresses -----------------------------------------------------------------------------

export { formatIp4, formatIp6 };

/** ip4_address: text or 4 bytes. */
export function writeIp4(b: Buffer, o: number, v: unknown, field: string): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v === 'string') {
    if (parseIpInto(v, b, o) !== 4) throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not an IPv4 address`);
    return;
  }
  writeBytes(b, o, bytesOf(v, field), 4, field);
}

/** ip6_address: text or 16 bytes. */
export function writeIp6(b: Buffer, o: number, v: unknown, field: string): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v === 'string') {
    if (parseIpInto(v, b, o) !== 6) throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not an IPv6 address`);
    return;
  }
  writeBytes(b, o, bytesOf(v, field), 16, field);
}

export function readIp4(r: Rd): string {
  need(r, 4);
  const s = formatIp4(r.b, r.o);
  r.o += 4;
  return s;
}

export function readIp6(r: Rd): string {
  need(r, 16);
  const s = formatIp6(r.b, r.o);
  r.o += 16;
  return s;
}

/** An address_union value: { ip4 } or { ip6 } (text or bytes), or bare text. */
export interface AddressUnionIn {
  ip4?: string | Uint8Array;
  ip6?: string | Uint8Array;
}

/** address_union: 16 bytes; the arm given (ip6 wins if both are), the rest zero. */
export function writeAddressUnion(b: Buffer, o: number, v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'string') {
    if (v.includes(':')) writeIp6(b, o, v, field);
    else writeIp4(b, o, v, field);
    return;
  }
  const u = v as AddressUnionIn;
  if (u.ip6 !== undefined && u.ip6 !== null && !(u.ip4 !== undefined && isZero6(u.ip6))) writeIp6(b, o, u.ip6, `${field}.ip6`);
  else if (u.ip4 !== undefined) writeIp4(b, o, u.ip4, `${field}.ip4`);
}

function isZero6(v: string | Uint8Array): boolean {
  return v === '::' || (v instanceof Uint8Array && v.every((x) => x === 0));
}

/** Both arms, as VPP's Python client shows them: only the one the context selects means anything. */
export function readAddressUnion(r: Rd): { ip4: string; ip6: string } {
  need(r, 16);
  const u = { ip4: formatIp4(r.b, r.o), ip6: formatIp6(r.b, r.o) };
  r.o += 16;
  return u;
}

/** address: text (the family follows from it), or { af, un }. 17 bytes. */
export function writeAddress(b: Buffer, o: number, v: unknown, field: string): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v === 'string') {
    if (v.includes(':')) {
      b[o] = 1;
      writeIp6(b, o + 1, v, field);
    } else writeIp4(b, o + 1, v, field);
    return;
  }
  if (v instanceof Uint8Array) {
    if (v.length === 16) b[o] = 1;
    else if (v.length !== 4) throw new VppEncodeError(`${field}: an address is 4 or 16 bytes, got ${v.length}`);
    b.set(v, o + 1);
    return;
  }
  const a = v as { af?: number; un?: unknown };
  const af = a.af ?? 0;
  if (af !== 0 && af !== 1) throw new VppEncodeError(`${field}.af: ${JSON.stringify(af)} is not a value of address_family`);
  b[o] = af;
  const un = a.un as AddressUnionIn | string | undefined;
  if (af === 1) writeIp6(b, o + 1, typeof un === 'string' ? un : un?.ip6, `${field}.un`);
  else writeIp4(b, o + 1, typeof un === 'string' ? un : un?.ip4, `${field}.un`);
}

export function readAddress(r: Rd): string {
  need(r, 17);
  const af = r.b[r.o]!;
  let s: string;
  if (af === 0) s = formatIp4(r.b, r.o + 1);
  else if (af === 1) s = formatIp6(r.b, r.o + 1);
  else throw new VppDecodeError(`${r.m}: address family ${af} at byte ${r.o}`);
  r.o += 17;
  return s;
}

/** prefix: "a/len" text or { address, len }. 18 bytes. */
export function writePrefix(b: Buffer, o: number, v: unknown, field: string): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    if (slash < 0) throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not a prefix (a/len)`);
    const len = prefixLen(v, slash, field);
    if (v.includes(':')) {
      if (len > 128) throw new VppEncodeError(`${field}: length ${len} is over 128`);
      b[o] = 1;
      writeIp6(b, o + 1, v.slice(0, slash), field);
    } else {
      if (len > 32) throw new VppEncodeError(`${field}: length ${len} is over 32`);
      if (parseIpInto(v, b, o + 1, 0, slash) !== 4) throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not an IPv4 prefix`);
    }
    b[o + 17] = len;
    return;
  }
  const p = v as { address?: unknown; len?: unknown };
  writeAddress(b, o, p.address, `${field}.address`);
  b[o + 17] = uint(p.len, 1, `${field}.len`);
}

function prefixLen(v: string, slash: number, field: string): number {
  const len = parseLen(v, slash);
  if (len < 0) throw new VppEncodeError(`${field}: ${JSON.stringify(v)} has a bad length`);
  return len;
}

/**
 * prefix text. `prefix` and ip4/ip6_prefix are networks (host bits cleared, as VPP's Python
 * client shows them); the *_address_with_prefix aliases keep the address as it is.
 */
export function readPrefix(r: Rd, network = true): string {
  need(r, 18);
  const af = r.b[r.o]!;
  const len = r.b[r.o + 17]!;
  let s: string;
  if (af !== 0 && af !== 1) throw new VppDecodeError(`${r.m}: address family ${af} at byte ${r.o}`);
  if (network && len < (af === 0 ? 32 : 128)) {
    const a = Buffer.from(r.b.subarray(r.o + 1, r.o + (af === 0 ? 5 : 17)));
    maskInPlace(a, len);
    s = af === 0 ? formatIp4(a, 0) : formatIp6(a, 0);
  } else s = af === 0 ? formatIp4(r.b, r.o + 1) : formatIp6(r.b, r.o + 1);
  r.o += 18;
  return `${s}/${len}`;
}

function maskInPlace(a: Uint8Array, len: number): void {
  for (let i = 0; i < a.length; i++) {
    const keep = len - i * 8;
    if (keep >= 8) continue;
    a[i]! &= keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
}

/** ip4_prefix / ip6_prefix: "a/len" or { address, len }. 5 / 17 bytes. */
export function writeFamilyPrefix(b: Buffer, o: number, v: unknown, six: boolean, field: string): void {
  if (v === undefined || v === null || v === '') return;
  const alen = six ? 16 : 4;
  let addr: unknown;
  let len: number;
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    if (slash < 0) throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not a prefix (a/len)`);
    addr = v.slice(0, slash);
    len = prefixLen(v, slash, field);
  } else {
    const p = v as { address?: unknown; len?: unknown };
    addr = p.address;
    len = uint(p.len, 1, `${field}.len`);
  }
  if (len > alen * 8) throw new VppEncodeError(`${field}: length ${len} is over ${alen * 8}`);
  if (six) writeIp6(b, o, addr, field);
  else writeIp4(b, o, addr, field);
  b[o + alen] = len;
}

export function readFamilyPrefix(r: Rd, six: boolean, network = true): string {
  const alen = six ? 16 : 4;
  need(r, alen + 1);
  const len = r.b[r.o + alen]!;
  const a = Buffer.from(r.b.subarray(r.o, r.o + alen));
  if (network) maskInPlace(a, len);
  r.o += alen + 1;
  return `${six ? formatIp6(a, 0) : formatIp4(a, 0)}/${len}`;
}

/** mac_address: "aa:bb:cc:dd:ee:ff" or 6 bytes. */
export function writeMac(b: Buffer, o: number, v: unknown, field: string): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v === 'string') {
    const parts = v.split(/[:-]/);
    if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
      throw new VppEncodeError(`${field}: ${JSON.stringify(v)} is not a MAC address`);
    }
    for (let i = 0; i < 6; i++) b[o + i] = parseInt(parts[i]!, 16);
    return;
  }
  writeBytes(b, o, bytesOf(v, field), 6, field);
}

export function readMac(r: Rd): string {
  need(r, 6);
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(r.b[r.o + i]!.toString(16).padStart(2, '0'));
  r.o += 6;
  return parts.join(':');
}

// --- primitive readers -----------------------------------------------------------------------

export function ru8(r: Rd): number {
  need(r, 1);
  return r.b[r.o++]!;
}
export function ri8(r: Rd): number {
  need(r, 1);
  return r.b.readInt8(r.o++);
}
export function rbool(r: Rd): boolean {
  need(r, 1);
  return r.b[r.o++] !== 0;
}
export function ru16(r: Rd): number {
  need(r, 2);
  const v = r.b.readUInt16BE(r.o);
  r.o += 2;
  return v;
}
export function ri16(r: Rd): number {
  need(r, 2);
  const v = r.b.readInt16BE(r.o);
  r.o += 2;
  return v;
}
export function ru32(r: Rd): number {
  need(r, 4);
  const v = r.b.readUInt32BE(r.o);
  r.o += 4;
  return v;
}
export function ri32(r: Rd): number {
  need(r, 4);
  const v = r.b.readInt32BE(r.o);
  r.o += 4;
  return v;
}
export function ru64(r: Rd): bigint {
  need(r, 8);
  const v = r.b.readBigUInt64BE(r.o);
  r.o += 8;
  return v;
}
export function ri64(r: Rd): bigint {
  need(r, 8);
  const v = r.b.readBigInt64BE(r.o);
  r.o += 8;
  return v;
}
export function rf64(r: Rd): number {
  need(r, 8);
  const v = r.b.readDoubleBE(r.o);
  r.o += 8;
  return v;
}

/** A counted array's length, checked against what is left before anything is allocated. */
export function rcount(r: Rd, n: number, elemMin: number): number {
  if (n * elemMin > r.e - r.o) {
    throw new VppDecodeError(`${r.m}: a count of ${n} needs ${n * elemMin} bytes, ${Math.max(0, r.e - r.o)} left`);
  }
  return n;
}

/** A union: every arm read from the same bytes (the context says which one means anything). */
export function sub(r: Rd, size: number): Rd {
  need(r, size);
  return { b: r.b, o: r.o, e: r.o + size, m: r.m };
}

export function sumSizes<T>(arr: readonly T[] | undefined | null, size: (v: T) => number): number {
  let n = 0;
  if (arr) for (const v of arr) n += size(v);
  return n;
}
