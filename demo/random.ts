/**
 * Seeded randomness for the demo: the same seed gives the same population and the same
 * workload on every run and in both phases, which is what lets the answers be compared.
 */

import type { Random } from '../tools/random.js';

export { seededRandom, type Random } from '../tools/random.js';

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
