/** A function returning uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a small, fast, deterministic 32-bit generator, so tests and the demo generate the
 * same data on every run (not for secrets).
 *
 * @param seed any integer; only its low 32 bits are used.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A whole number in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i += 1) order[i] = i;
  for (let i = n - 1; i > 0; i -= 1) {
    const j = randomIndex(random, i + 1);
    const swap = order[i] ?? i;
    order[i] = order[j] ?? j;
    order[j] = swap;
  }
  return order;
}

/**
 * Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent (Zipf's law): a few
 * hot ranks take a large share of the draws, the long tail is rarely asked. 0 is uniform.
 */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(n: number, exponent: number) {
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let rank = 0; rank < n; rank += 1) this.cumulative[rank] = sum += 1 / (rank + 1) ** exponent;
    for (let rank = 0; rank < n; rank += 1) this.cumulative[rank] = (this.cumulative[rank] ?? 0) / sum;
  }

  /** One rank, drawn with `random`. */
  sample(random: Random): number {
    const u = random();
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.cumulative[mid] ?? 1) < u) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The share of draws that fall on `rank`. */
  share(rank: number): number {
    return (this.cumulative[rank] ?? 0) - (this.cumulative[rank - 1] ?? 0);
  }
}
