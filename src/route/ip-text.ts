// Address text ↔ the route model's binary form: an address as 32-bit words (int32, most
// significant first; IPv4 in the first), what Prefix holds. Text is only for config, the CLI and
// logs; decoders and encoders never go through it. The VPP library has its own parser for its codec.

/** Dotted IPv4 at s[from, to) as an unsigned 32-bit number, or -1 when it is not one. */
function ip4Value(s: string, from: number, to: number): number {
  let value = 0;
  let octet = -1; // -1: no digit yet in this octet
  let dots = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (octet < 0) return -1;
      value = value * 256 + octet;
      octet = -1;
      digits = 0;
      if (i < to && ++dots > 3) return -1;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9 || ++digits > 3) return -1;
    octet = (octet < 0 ? 0 : octet * 10) + d;
    if (octet > 255) return -1;
  }
  return dots === 3 ? value : -1;
}

/** 16-bit groups of an IPv6 text, before they are placed into words. */
const groups = new Uint16Array(8);

/**
 * The colon-separated groups of s[from, to) into groups[at..]: hex groups of one to four digits,
 * the last one possibly a dotted IPv4 (two groups) when `tail`. Returns the index after the last
 * group written, or -1 when the text is not that.
 */
function readGroups(s: string, from: number, to: number, at: number, tail: boolean): number {
  if (from === to) return at;
  let start = from;
  for (;;) {
    let end = s.indexOf(':', start);
    if (end < 0 || end > to) end = to;
    if (end === start) return -1; // an empty group: a stray ':'
    const dot = s.indexOf('.', start);
    if (dot >= 0 && dot < end) {
      // a dotted tail: only as the last group of the address
      if (!tail || end !== to || at > 6) return -1;
      const v = ip4Value(s, start, end);
      if (v < 0) return -1;
      groups[at++] = v >>> 16;
      groups[at++] = v & 0xffff;
      return at;
    }
    if (end - start > 4 || at === 8) return -1;
    let g = 0;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) return -1;
      g = (g << 4) | d;
    }
    groups[at++] = g;
    if (end === to) return at;
    start = end + 1;
  }
}

/** The first "::" wholly inside s[from, to), or -1. */
function gapIn(s: string, from: number, to: number): number {
  const at = s.indexOf('::', from);
  return at >= 0 && at + 2 <= to ? at : -1;
}

/** IPv6 text (any RFC 4291 form) at s[from, to) into words[0..3]; false when it is not one. */
function ip6Words(s: string, from: number, to: number, words: Int32Array): boolean {
  const gap = gapIn(s, from, to);
  if (gap < 0) {
    if (readGroups(s, from, to, 0, true) !== 8) return false;
  } else {
    if (gapIn(s, gap + 1, to) >= 0) return false; // ":::", or a second "::"
    const head = readGroups(s, from, gap, 0, false);
    if (head < 0) return false;
    const end = readGroups(s, gap + 2, to, head, true);
    if (end < 0 || end > 7) return false;
    // the groups after "::" go to the end of the address, zeros in between
    const tailAt = 8 - (end - head);
    groups.copyWithin(tailAt, head, end);
    groups.fill(0, head, tailAt);
  }
  for (let k = 0; k < 4; k++) words[k] = (groups[2 * k]! << 16) | groups[2 * k + 1]!;
  return true;
}

/**
 * The address at text[from, to) into words[0..3] (IPv4: words[0], the rest zero): its family, or
 * 0 when it is neither a dotted IPv4 nor an IPv6 text (words may then be partly written).
 */
export function parseIpWords(text: string, words: Int32Array, from = 0, to = text.length): 0 | 4 | 6 {
  const colon = text.indexOf(':', from);
  if (colon < 0 || colon >= to) {
    const v = ip4Value(text, from, to);
    if (v < 0) return 0;
    words[0] = v | 0;
    words[1] = words[2] = words[3] = 0;
    return 4;
  }
  return ip6Words(text, from, to, words) ? 6 : 0;
}

/** An IPv4 address word as dotted text. */
export function ip4Text(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

let hex: string[] | null = null;

/** A 16-bit group in lower-case hex, from a table made on first use (logs format millions). */
function hexGroup(g: number): string {
  hex ??= Array.from({ length: 65536 }, (_, i) => i.toString(16));
  return hex[g]!;
}

/**
 * IPv6 words as RFC 5952 text: lower case, the longest run of two or more zero groups as "::"
 * (the first of equal runs); an IPv4-mapped address (::ffff:0:0/96) with its tail dotted, as
 * inet_ntop prints it.
 */
export function ip6Text(w0: number, w1: number, w2: number, w3: number): string {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${ip4Text(w3)}`;
  for (let k = 0; k < 8; k++) {
    const w = k < 2 ? w0 : k < 4 ? w1 : k < 6 ? w2 : w3;
    groups[k] = k & 1 ? w & 0xffff : w >>> 16;
  }
  // the longest run of zero groups, if two or more long
  let runAt = -1;
  let runLen = 1;
  for (let k = 0; k < 8; k++) {
    if (groups[k] !== 0) continue;
    let j = k + 1;
    while (j < 8 && groups[j] === 0) j++;
    if (j - k > runLen) {
      runAt = k;
      runLen = j - k;
    }
    k = j;
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === runAt) {
      out += '::';
      k += runLen - 1;
    } else out += k === 0 || k === runAt + runLen ? hexGroup(groups[k]!) : `:${hexGroup(groups[k]!)}`;
  }
  return out;
}
