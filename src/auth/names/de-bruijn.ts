/**
 * A de Bruijn sequence of order 2 over `symbols`: a string in which every ordered pair of symbols
 * (a symbol with itself included) appears exactly once as neighbours, k² + 1 characters for k
 * symbols. Weighing it once shows whether any two characters weigh differently side by side than
 * alone (a contraction such as Czech `ch`).
 */
export function deBruijn(symbols: readonly string[]): string {
  const k = symbols.length;
  if (k === 0) return '';
  const out: number[] = [];
  const a = [0, 0, 0];
  // Frank Ruskey's recursive construction (Lyndon words), for order n = 2.
  const db = (t: number, p: number): void => {
    if (t > 2) {
      if (2 % p === 0) for (let j = 1; j <= p; j++) out.push(a[j]!);
      return;
    }
    a[t] = a[t - p]!;
    db(t + 1, p);
    for (let j = a[t - p]! + 1; j < k; j++) {
      a[t] = j;
      db(t + 1, t);
    }
  };
  db(1, 1);
  out.push(out[0]!);
  return out.map((i) => symbols[i]).join('');
}
