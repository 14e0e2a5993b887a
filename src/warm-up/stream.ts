// Synthetic FPM streams as Debian's zebra sends them (dplane_fpm_nl, nexthop groups), written
// straight into one buffer (the test builder is too slow for 1M routes): what fibmgr's warm-up runs
// through its route path before zebra's first session, and what the benches replay.
import { prefixFromBytes } from '../route/prefix.js';
import type { Prefix } from '../route/types.js';

export class Writer {
  buf: Buffer;
  p = 0;
  constructor(size: number) { this.buf = Buffer.alloc(size); }
  u8(v: number): void { this.buf[this.p++] = v; }
  u16(v: number): void { this.buf.writeUInt16LE(v, this.p); this.p += 2; }
  u32(v: number): void { this.buf.writeUInt32LE(v >>> 0, this.p); this.p += 4; }
  bytes(b: ArrayLike<number>): void { this.buf.set(b, this.p); this.p += b.length; }
  /** Starts an FPM frame holding one netlink message; returns a closer. */
  frame(type: number): () => void {
    const start = this.p;
    this.buf[start] = 1;
    this.buf[start + 1] = 1;
    this.p += 4;
    const nl = this.p;
    this.u32(0); this.u16(type); this.u16(0x500); this.u32(0); this.u32(0);
    return () => {
      this.p = (this.p + 3) & ~3;
      this.buf.writeUInt32LE(this.p - nl, nl);
      this.buf.writeUInt16BE(this.p - start, start + 2);
    };
  }
  attr(type: number, payload: () => void): void {
    const a = this.p;
    this.p += 4;
    payload();
    this.buf.writeUInt16LE(this.p - a, a);
    this.buf.writeUInt16LE(type, a + 2);
    this.p = (this.p + 3) & ~3;
  }
}

export const GROUPS = 64;

/** The address of the stream's single next hop k (10.0.k, 2001:db8:2::k): the nexthop group g names k = g and g + 1. */
export function hopAddress(family: 4 | 6, k: number): Uint8Array {
  return family === 4 ? Uint8Array.of(10, 0, k >> 8, k & 255) : Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, k >> 8, k & 255);
}

/** The network of the stream's route i: 11.0.0.0 + i /32, or 2001:db8:i::/64 (i's 32 bits in the fifth to eighth bytes). */
export function routeAddress(family: 4 | 6, i: number): Uint8Array {
  return family === 4
    ? Uint8Array.of(11 + (i >>> 24), (i >>> 16) & 255, (i >>> 8) & 255, i & 255)
    : Uint8Array.of(0x20, 1, 0xd, 0xb8, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255, 0, 0, 0, 0, 0, 0, 0, 0);
}

/** The stream's route i as a prefix (its /32 or /64), for those that fill a table or VPP without the stream. */
export function routePrefix(family: 4 | 6, i: number): Prefix {
  return prefixFromBytes(family, routeAddress(family, i), 0, family === 4 ? 32 : 64);
}

/** dplane_fpm_nl with nexthop groups (Debian's default): singles, then 2-way groups, then routes naming them. */
export function netlinkNhg(n: number, family: 4 | 6, opts: { idBase?: number } = {}): Buffer {
  const b = opts.idBase ?? 0;
  const w = new Writer(64 * 1024 + n * (family === 4 ? 64 : 80) + GROUPS * 200);
  for (let i = 0; i < GROUPS; i++) {
    const end = w.frame(104);
    w.u8(family === 4 ? 2 : 10); w.u8(0); w.u8(196); w.u8(0); w.u32(0);
    w.attr(1, () => w.u32(b + 1 + i));
    w.attr(5, () => w.u32(3 + (i & 1)));
    w.attr(6, () => w.bytes(hopAddress(family, i)));
    end();
  }
  for (let i = 0; i < GROUPS; i++) {
    const end = w.frame(104);
    w.u8(0); w.u8(0); w.u8(196); w.u8(0); w.u32(0);
    w.attr(1, () => w.u32(b + 1000 + i));
    w.attr(2, () => { w.u32(b + 1 + i); w.u32(0); w.u32(b + 1 + ((i + 1) % GROUPS)); w.u32(0); });
    end();
  }
  for (let i = 0; i < n; i++) {
    const end = w.frame(24);
    w.u8(family === 4 ? 2 : 10); w.u8(family === 4 ? 32 : 64); w.u8(0); w.u8(0);
    w.u8(254); w.u8(186); w.u8(0); w.u8(1); w.u32(0);
    w.attr(15, () => w.u32(254));
    w.attr(1, () => w.bytes(routeAddress(family, i)));
    w.attr(6, () => w.u32(20));
    w.attr(30, () => w.u32(b + 1000 + (i % GROUPS)));
    end();
  }
  return w.buf.subarray(0, w.p);
}

