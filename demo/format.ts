/** Small text formatting helpers for the demo's console output. */

/** 12345 → `12,345`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Milliseconds as `0.42 ms` or `12.3 s`. */
export function duration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** 0.9512 → `95.1 %`. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

/**
 * Lays out rows as aligned columns: the first column left-aligned, the others right-aligned.
 *
 * @param rows the first row is the header; a row `['-']` is a rule.
 */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) {
    if (row.length === 1 && row[0] === '-') continue;
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const total = widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  return rows
    .map((row) => {
      if (row.length === 1 && row[0] === '-') return indent + '─'.repeat(total);
      return indent + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
    })
    .join('\n');
}
