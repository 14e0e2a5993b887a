// Address and prefix text <-> bytes. Canonical text is what every layer compares and keys on,
// so there is exactly one way to format an address here.
import { isIPv4, isIPv6 } from 'node:net';
import type { Family } from './types.js';

const HEX = Array.from({ length: 65536 }, (_, i) => i.toString(16));

/** IPv4 bytes at buf[off..off+4) as dotted quad. */
export function formatIPv4(buf: Uint8Array, off = 0): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** IPv6 bytes at buf[off..off+16) in RFC 5952 form (lower case, longest zero run compressed, first one on ties). */
export function formatIPv6(buf: Uint8Array, off = 0): string {
  const w: number[] = new Array(8);
  for (let i = 0; i < 8; i++) w[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped addresses keep the dotted tail, as inet_ntop prints them.
  if (bestStart === 0 && bestLen === 5 && w[5] === 0xffff) {
    return `::ffff:${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { s += i === 0 ? '::' : ':'; i += bestLen - 1; continue; }
    s += HEX[w[i]];
    if (i < 7) s += ':';
  }
  return s;
}

export function formatAddress(family: Family, buf: Uint8Array, off = 0): string {
  return family === 4 ? formatIPv4(buf, off) : formatIPv6(buf, off);
}

/** Parses an address in any text form Node accepts into 4 or 16 bytes. Throws on anything else. */
export function parseAddress(text: string): { family: Family; bytes: Buffer } {
  if (isIPv4(text)) {
    const p = text.split('.');
    return { family: 4, bytes: Buffer.from([+p[0], +p[1], +p[2], +p[3]]) };
  }
  if (isIPv6(text)) {
    const bytes = Buffer.alloc(16);
    let head = text, tail = '';
    const dbl = text.indexOf('::');
    if (dbl >= 0) { head = text.slice(0, dbl); tail = text.slice(dbl + 2); }
    const groups = (s: string): number[] => {
      if (s === '') return [];
      const out: number[] = [];
      for (const part of s.split(':')) {
        if (part.includes('.')) {
          const q = part.split('.').map(Number);
          out.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
        } else out.push(parseInt(part, 16));
      }
      return out;
    };
    const h = groups(head), t = groups(tail);
    const words = dbl >= 0 ? [...h, ...new Array(8 - h.length - t.length).fill(0), ...t] : h;
    for (let i = 0; i < 8; i++) { bytes[2 * i] = words[i] >> 8; bytes[2 * i + 1] = words[i] & 0xff; }
    return { family: 6, bytes };
  }
  throw new Error(`not an IP address: ${JSON.stringify(text)}`);
}

/** Zeroes the host bits beyond `len` in place. */
export function maskBytes(bytes: Uint8Array, len: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const bits = len - i * 8;
    if (bits >= 8) continue;
    bytes[i] &= bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
}

export interface ParsedPrefix { family: Family; bytes: Buffer; len: number }

/** "10.1.2.0/24" → bytes and length; host bits must already be zero unless `mask` is set. */
export function parsePrefix(text: string, mask = false): ParsedPrefix {
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw new Error(`not a prefix (no length): ${JSON.stringify(text)}`);
  const { family, bytes } = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const len = Number(lenText);
  const max = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(lenText) || len > max) throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  if (mask) maskBytes(bytes, len);
  return { family, bytes, len };
}

export function formatPrefix(family: Family, bytes: Uint8Array, len: number, off = 0): string {
  return `${formatAddress(family, bytes, off)}/${len}`;
}
