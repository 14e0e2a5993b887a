// IP address text <-> bytes: the package's one parser and one formatter (exported, so that a
// caller has one too). The VPP codec takes and gives addresses as text (as VPP's Python client
// does); a caller whose own model carries binary prefixes needs text only for logs and config.

const HEX = Array.from({ length: 65536 }, (_, i) => i.toString(16));

/**
 * Address text at s[from, to) into out[off..]: 4 bytes for dotted IPv4, 16 for IPv6 (any RFC 4291
 * text form, an IPv4 tail included). Returns the family, or 0 when the text is neither (out may
 * then be partly written).
 */
export function parseIpInto(s: string, out: Uint8Array, off = 0, from = 0, to = s.length): 0 | 4 | 6 {
  let colon = false;
  for (let i = from; i < to; i++) {
    if (s.charCodeAt(i) === 58) {
      colon = true;
      break;
    }
  }
  if (!colon) return parseIp4(s, from, to, out, off) ? 4 : 0;
  return parseIp6(s, from, to, out, off) ? 6 : 0;
}

function parseIp4(s: string, from: number, to: number, out: Uint8Array, off: number): boolean {
  let octet = 0;
  let digits = 0;
  let part = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part === 3) return false;
      out[off + part++] = octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return false;
    } else return false;
  }
  if (digits === 0 || part !== 3) return false;
  out[off + 3] = octet;
  return true;
}

const GROUPS = new Int32Array(8);

function parseIp6(s: string, from: number, to: number, out: Uint8Array, off: number): boolean {
  // groups before "::" fill GROUPS from 0; after it, they are counted and moved to the end
  let n = 0;
  let gap = -1;
  let v = 0;
  let digits = 0;
  let i = from;
  if (to - from >= 2 && s.charCodeAt(from) === 58 && s.charCodeAt(from + 1) === 58) {
    gap = 0;
    i = from + 2;
    if (i === to) {
      out.fill(0, off, off + 16);
      return true;
    }
  }
  for (; i <= to; i++) {
    const c = i === to ? 58 : s.charCodeAt(i);
    if (c === 58) {
      if (digits === 0) return false;
      if (n === 8) return false;
      GROUPS[n++] = v;
      v = 0;
      digits = 0;
      if (i + 1 < to && s.charCodeAt(i + 1) === 58) {
        if (gap >= 0) return false;
        gap = n;
        i++;
        if (i + 1 === to) break; // ends in "::"
      }
      continue;
    }
    if (c === 46) {
      // an IPv4 tail: from the start of this group to the end
      let start = i;
      while (start > from && s.charCodeAt(start - 1) !== 58) start--;
      if (n > 6 || !parseIp4(s, start, to, out, off + 12)) return false;
      GROUPS[n++] = (out[off + 12]! << 8) | out[off + 13]!;
      GROUPS[n++] = (out[off + 14]! << 8) | out[off + 15]!;
      digits = 0;
      break;
    }
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return false;
    if (++digits > 4) return false;
    v = (v << 4) | d;
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const fill = 8 - n;
  for (let g = 0, k = 0; g < 8; g++) {
    let w = 0;
    if (gap >= 0 && g >= gap && g < gap + fill) w = 0;
    else w = GROUPS[k++]!;
    out[off + 2 * g] = w >>> 8;
    out[off + 2 * g + 1] = w & 255;
  }
  return true;
}

/** The length after the "/" of s (from `slash`), or -1 when it is not 1-3 digits. */
export function parseLen(s: string, slash: number): number {
  const n = s.length - slash - 1;
  if (n < 1 || n > 3) return -1;
  let len = 0;
  for (let i = slash + 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    len = len * 10 + d;
  }
  return len;
}

export function formatIp4(b: Uint8Array, o = 0): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/**
 * RFC 5952 text: lower case, the longest run of two or more zero groups as "::" (the first on
 * ties). `mapped`: an IPv4-mapped address keeps its dotted tail, as inet_ntop prints it (VPP's
 * Python client prints it in hex).
 */
export function formatIp6(b: Uint8Array, o = 0, mapped = false): string {
  const w = GROUPS;
  for (let i = 0; i < 8; i++) w[i] = (b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (mapped && best === 0 && bestLen === 5 && w[5] === 0xffff) return `::ffff:${formatIp4(b, o + 12)}`;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += HEX[w[i]!];
    if (i < 7) s += ':';
  }
  return s;
}
