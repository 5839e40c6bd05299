/**
 * Seeded randomness for the demo: the same seed gives the same population and the same
 * workload on every run and in both phases, which is what lets the answers be compared.
 */

/** A uniform random number in [0, 1), from a seeded generator. */
export type Random = () => number;

/**
 * mulberry32: a small, fast 32-bit generator; plenty for demo data (not for secrets).
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
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent (Zipf's law):
 * a few hot ranks take a large share of the draws, the long tail is rarely asked.
 */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  /**
   * @param n how many ranks.
   * @param exponent the skew; 1 is classic Zipf, 0 is uniform.
   */
  constructor(n: number, exponent: number) {
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let rank = 0; rank < n; rank += 1) {
      sum += 1 / (rank + 1) ** exponent;
      this.cumulative[rank] = sum;
    }
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
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, random: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = randomIndex(random, i + 1);
    const swap = order[i] ?? i;
    order[i] = order[j] ?? j;
    order[j] = swap;
  }
  return order;
}
