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
