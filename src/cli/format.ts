/** A fraction (0..1) as a percentage with `digits` decimals, e.g. `33.41%`. */
export function percent(fraction: number, digits = 2): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A fraction rounded to `digits` decimals of a percent, as a number (for JSON). */
export function percentNumber(fraction: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(fraction * 100 * scale) / scale;
}

/** An integer with thousands separators, e.g. `12,345`. */
export function count(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

/** A byte count for people: `812 B`, `1.5 KiB`, `64.0 MiB`. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

/** Seconds for people: `45s`, `12m 5s`, `3h 20m`, `4d 2h`. */
export function duration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** Milliseconds for people: `0.42 ms`, `12.3 ms`, `1,204 ms`. */
export function millis(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${count(Math.round(ms))} ms`;
}

/** What may be shown of a secret: its first characters (a quarter of it, at most 4) and its length. */
export interface MaskedSecret {
  /** The first characters: at most 4, and at most a quarter of the secret. */
  readonly prefix: string;
  /** The secret's length in characters. */
  readonly length: number;
}

/** The shown part of a secret (see {@link MaskedSecret}). */
export function maskSecret(secret: string): MaskedSecret {
  const chars = [...secret];
  return { prefix: chars.slice(0, Math.min(4, Math.floor(chars.length / 4))).join(''), length: chars.length };
}

/** A masked secret for people: `5f4d… (32 chars)`, or `(empty)`. */
export function maskedText(secret: string): string {
  if (secret === '') return '(empty)';
  const { prefix, length } = maskSecret(secret);
  return `${prefix}… (${length} chars)`;
}
