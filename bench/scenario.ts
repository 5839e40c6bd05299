/** What a scenario module exports, and what it hands back to `bench/run.ts`. */
import type { TopLevelSpec } from 'vega-lite';

/** A table row; cells are preformatted text. */
export type TableRow = readonly string[];

/** A result table. */
export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly TableRow[];
  /** Leading columns that hold text (left-aligned); the rest are figures. @default 1 */
  readonly textColumns?: number;
}

/** A performance target and whether this run met it. */
export interface TargetResult {
  readonly name: string;
  /** The rule, e.g. "p50 ratio ≤ 1.15". */
  readonly criterion: string;
  /** What was measured, e.g. "1.08". */
  readonly measured: string;
  readonly pass: boolean;
}

/** A table as aligned plain text, for the terminal. */
export function textTable(table: Table): string {
  const text = table.textColumns ?? 1;
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < text ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [table.title, line(table.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join(
    '\n',
  );
}

/** A chart for docs/benchmarks.md, written as `docs/bench-<name>.svg` by a full run. */
export interface Chart {
  readonly name: string;
  /** A Vega-Lite specification (see tools/charts.ts). */
  readonly spec: TopLevelSpec;
}

export interface ScenarioResult {
  readonly tables: readonly Table[];
  /** Charts shown under the tables. */
  readonly charts?: readonly Chart[];
  readonly targets: readonly TargetResult[];
  /** Extra lines: per-round figures, setup details. */
  readonly notes: readonly string[];
}

export interface ScenarioContext {
  /** memcached servers, `host:port`, loopback only. */
  readonly servers: readonly string[];
  /** Interleaved rounds per figure (the scenario's default unless `--rounds` is given). */
  readonly rounds: number;
  /** Progress output. */
  log(line: string): void;
}

export interface Scenario {
  /** Command-line name, e.g. `single-get`. */
  readonly name: string;
  readonly title: string;
  /** One paragraph: what it measures and how. */
  readonly description: string;
  /** Rounds when `--rounds` is not given. */
  readonly defaultRounds: number;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

/** Milliseconds as microseconds text: one decimal below 100 µs, whole numbers above. */
export function us(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const micros = ms * 1000;
  return micros < 100 ? `${micros.toFixed(1)} µs` : `${Math.round(micros).toLocaleString('en-US')} µs`;
}

/** A rate as whole numbers with thousands separators. */
export function rate(perSec: number): string {
  return Number.isFinite(perSec) ? Math.round(perSec).toLocaleString('en-US') : 'n/a';
}

/** A ratio with two decimals and an `x`. */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

/** Median and interquartile range of per-round ratios, e.g. `median 1.04 (middle half 0.98–1.09, 12 rounds)`. */
export function spread(ratios: readonly number[]): string {
  const count = ratios.filter((r) => Number.isFinite(r)).length;
  if (count === 0) return 'n/a';
  const at = (q: number): string => quantile(ratios, q).toFixed(2);
  return `median ${at(0.5)} (middle half ${at(0.25)}–${at(0.75)}, ${count} rounds)`;
}

/** The `q` quantile (0..1) of the finite values, interpolated between ranks; NaN when none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] ?? NaN) + ((sorted[hi] ?? NaN) - (sorted[lo] ?? NaN)) * (pos - lo);
}
