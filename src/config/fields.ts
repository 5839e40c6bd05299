import type { OptionLimits } from '../cache/options.js';
import { MILLISECONDS, type MapReader, type Range } from './reader.js';

/**
 * One option of a config file section, declared once: its YAML key and how its value is checked.
 * The option's name (the camelCase field it fills) and its default come from the layer that owns
 * the option (`CLUSTER_DEFAULTS`, `READ_THROUGH_DEFAULTS`, `MYSQL_DEFAULTS`, `GROUP_DEFAULTS`…),
 * so a new option is one line here next to its default there.
 */
export interface Field<V> {
  /** The snake_case key in the file. */
  readonly key: string;
  /** Reads the key from `section`, recording a located issue and answering `fallback` when bad. */
  read(section: MapReader<string>, fallback: V): V;
}

/** A section's declared options, by the name of the library option each one fills. */
export type Fields<D> = { readonly [N in keyof D]?: Field<D[N]> };

/** The values a section's declared options read to. */
export type FieldValues<F> = { readonly [N in keyof F]: F[N] extends Field<infer V> | undefined ? V : never };

/** An integer in `range`. */
export function int(key: string, range: Range): Field<number> {
  return { key, read: (section, fallback) => section.int(key, fallback, range) };
}

/** An integer number of milliseconds, 1 ms up to what Node's timers take. */
export function ms(key: string): Field<number> {
  return int(key, MILLISECONDS);
}

/** A number within the limits the owning layer checks (an integer when it wants one), in `unit`. */
export function limited(key: string, limits: OptionLimits, unit: string): Field<number> {
  const range = { min: limits.min, max: limits.max, unit };
  return limits.integer ? int(key, range) : num(key, range);
}

/** An integer number of milliseconds within the limits the owning layer checks. */
export function limitedMs(key: string, limits: OptionLimits): Field<number> {
  return int(key, { min: limits.min, max: limits.max, unit: 'milliseconds' });
}

/** A finite number in `range`. */
export function num(key: string, range: Range): Field<number> {
  return { key, read: (section, fallback) => section.number(key, fallback, range) };
}

/** `true`/`false`, or Kamailio-style `1`/`0`. */
export function bool(key: string): Field<boolean> {
  return { key, read: (section, fallback) => section.bool(key, fallback) };
}

/** One of `values`. */
export function oneOf<V extends string>(key: string, values: readonly V[]): Field<V> {
  return { key, read: (section, fallback) => section.oneOf(key, values, fallback) };
}

/** A string `check` accepts (it returns `undefined` for a good value, else the expectation). */
export function text(key: string, check: (value: string) => string | undefined): Field<string> {
  return { key, read: (section, fallback) => section.string(key, check) ?? fallback };
}

/** Reads every declared option of a section, each defaulting to the owning layer's default. */
export function readFields<D, F extends Fields<D>>(section: MapReader<string>, defaults: D, fields: F): FieldValues<F> {
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields) as [keyof D & string, Field<unknown> | undefined][]) {
    if (field !== undefined) values[name] = field.read(section, defaults[name]);
  }
  return values as FieldValues<F>;
}

/** The YAML keys of declared options, in declaration order. */
export function keysOf(fields: Readonly<Record<string, Field<unknown> | undefined>>): string[] {
  return Object.values(fields).flatMap((field) => (field === undefined ? [] : [field.key]));
}
