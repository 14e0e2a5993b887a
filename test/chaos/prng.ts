// A small seeded PRNG (mulberry32): the campaign's only source of chance, so that a seed names
// one run for good (Math.random is never used by the harness, and is replaced while a run goes).

export class Prng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from nothing');
    return xs[this.int(xs.length)]!;
  }

  /** One of the keys, by weight (weights ≤ 0 never). */
  weighted<K extends string>(w: Partial<Record<K, number>>): K {
    const entries = Object.entries(w).filter(([, v]) => (v as number) > 0) as [K, number][];
    const total = entries.reduce((a, [, v]) => a + v, 0);
    let x = this.next() * total;
    for (const [k, v] of entries) {
      x -= v;
      if (x < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }

  /** `k` distinct items (fewer if there are fewer), in a random order. */
  sample<T>(xs: readonly T[], k: number): T[] {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a.slice(0, Math.max(0, k));
  }

  /** A new generator drawn from this one (a stream of its own). */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4294967296));
  }
}
