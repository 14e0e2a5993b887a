// Prefixes and addresses: binary (Prefix, what every layer keys on) from bytes or text, and text
// from binary for logs, config and the CLI (the text itself: ip-text.ts).
import { ip4Text, ip6Text, parseIpWords } from './ip-text.js';
import type { Family, Prefix } from './types.js';

class Net implements Prefix {
  constructor(
    readonly family: Family,
    readonly len: number,
    readonly w0: number,
    readonly w1: number,
    readonly w2: number,
    readonly w3: number,
  ) {}

  toString(): string {
    return prefixText(this);
  }

  toJSON(): string {
    return prefixText(this);
  }
}

/** The mask of the first `len` bits of a 32-bit word whose bits start at bit `from` of the address. */
function wordMask(len: number, from: number): number {
  const bits = len - from;
  return bits >= 32 ? -1 : bits <= 0 ? 0 : -1 << (32 - bits);
}

/** A Prefix whose fields are set in place: one per hot loop, so that handing a network on allocates nothing. */
export type PrefixScratch = { -readonly [K in keyof Prefix]: Prefix[K] };

/** A new PrefixScratch (0.0.0.0/0 until set); of the class every Prefix is, so readers of it stay monomorphic. */
export function prefixScratch(): PrefixScratch {
  return new Net(4, 0, 0, 0, 0, 0);
}

/** An IPv4 network from its address as a 32-bit number (host bits cleared here). */
export function v4Prefix(addr: number, len: number): Prefix {
  return new Net(4, len, addr & wordMask(len, 0), 0, 0, 0);
}

/** An IPv6 network from its four address words (host bits cleared here). */
export function v6Prefix(w0: number, w1: number, w2: number, w3: number, len: number): Prefix {
  return new Net(6, len, w0 & wordMask(len, 0), w1 & wordMask(len, 32), w2 & wordMask(len, 64), w3 & wordMask(len, 96));
}

function word(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** The network of the address at b[o..] (4 or 16 bytes) and `len`; host bits a sender left are cleared. */
export function prefixFromBytes(family: Family, b: Uint8Array, o: number, len: number): Prefix {
  if (family === 4) return v4Prefix(word(b, o), len);
  return v6Prefix(word(b, o), word(b, o + 4), word(b, o + 8), word(b, o + 12), len);
}

/** The network's address as 4 or 16 bytes at out[off..]. */
export function writePrefixBytes(p: Prefix, out: Uint8Array, off = 0): void {
  const n = p.family === 4 ? 1 : 4;
  for (let k = 0; k < n; k++) {
    const x = k === 0 ? p.w0 : k === 1 ? p.w1 : k === 2 ? p.w2 : p.w3;
    const o = off + 4 * k;
    out[o] = x >>> 24;
    out[o + 1] = (x >>> 16) & 255;
    out[o + 2] = (x >>> 8) & 255;
    out[o + 3] = x & 255;
  }
}

/** The network's address as a new 4- or 16-byte Buffer. */
export function prefixBytes(p: Prefix): Buffer {
  const b = Buffer.alloc(p.family === 4 ? 4 : 16);
  writePrefixBytes(p, b);
  return b;
}

/** "8.8.8.0/24", "2001:db8::/32" (RFC 5952; an IPv4-mapped tail dotted). */
export function prefixText(p: Prefix): string {
  return `${p.family === 4 ? ip4Text(p.w0) : ip6Text(p.w0, p.w1, p.w2, p.w3)}/${p.len}`;
}

/** IPv4 bytes at buf[off..off+4) as dotted quad. */
export function formatIPv4(buf: Uint8Array, off = 0): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** IPv6 bytes at buf[off..off+16) in RFC 5952 form, an IPv4-mapped tail dotted as inet_ntop prints it. */
export function formatIPv6(buf: Uint8Array, off = 0): string {
  return ip6Text(word(buf, off), word(buf, off + 4), word(buf, off + 8), word(buf, off + 12));
}

/** Words of the last text parsed (parseIpWords). */
const WORDS = new Int32Array(4);

/** Parses an address (dotted IPv4, any IPv6 text form) into 4 or 16 bytes. Throws on anything else. */
export function parseAddress(text: string): { family: Family; bytes: Buffer } {
  const family = parseIpWords(text, WORDS);
  if (family === 0) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  const bytes = Buffer.alloc(family === 4 ? 4 : 16);
  for (let k = 0; k < bytes.length / 4; k++) bytes.writeInt32BE(WORDS[k]!, 4 * k);
  return { family, bytes };
}

/**
 * "10.1.2.0/24" → the Prefix, host bits cleared; `host`: an address without a length is a host
 * route. Throws on anything else.
 */
export function parsePrefix(text: string, opts: { host?: boolean } = {}): Prefix {
  const slash = text.lastIndexOf('/');
  const addrEnd = slash < 0 ? text.length : slash;
  if (slash < 0 && !opts.host) throw new Error(`not a prefix (no length): ${JSON.stringify(text)}`);
  const family = parseIpWords(text, WORDS, 0, addrEnd);
  if (family === 0) throw new Error(`not an IP address: ${JSON.stringify(text.slice(0, addrEnd))}`);
  const max = family === 4 ? 32 : 128;
  const len = slash < 0 ? max : /^[0-9]{1,3}$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : -1;
  if (len < 0 || len > max) throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  return family === 4 ? v4Prefix(WORDS[0]!, len) : v6Prefix(WORDS[0]!, WORDS[1]!, WORDS[2]!, WORDS[3]!, len);
}

/**
 * The order in which zebra walks a routing table (FRR's route_next: a pre-order walk of the
 * prefix trie, bit 0 before bit 1): by address, and a network before the more-specific ones
 * that share its address. Negative when `a` comes first. Both of one family.
 */
export function walkOrder(a: Prefix, b: Prefix): number {
  return (a.w0 >>> 0) - (b.w0 >>> 0) || (a.w1 >>> 0) - (b.w1 >>> 0) || (a.w2 >>> 0) - (b.w2 >>> 0) || (a.w3 >>> 0) - (b.w3 >>> 0) || a.len - b.len;
}
