/**
 * The candidate closest to a mistyped key, when it is close enough to be a likely typo
 * (edit distance at most 2, or 1 for short keys); `undefined` otherwise.
 */
export function closest(typo: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = typo.length <= 4 ? 2 : 3;
  for (const candidate of candidates) {
    const distance = editDistance(typo.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
