/** How a column's cells line up. */
export type Align = 'left' | 'right';

/** One column of a text table. */
export interface Column {
  /** The header cell. */
  readonly header: string;
  /** @default 'left' */
  readonly align?: Align;
}

/**
 * A plain-text table for people: a header row, then one row per entry, columns padded to their
 * widest cell and separated by two spaces; no trailing spaces. Returns the lines without a final
 * newline.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) => Math.max(width(column.header), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const pad = ' '.repeat((widths[i] ?? 0) - width(cell));
        return column.align === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}

/** Display width of a cell: code points (the tables hold no wide characters). */
function width(text: string): number {
  return [...text].length;
}
