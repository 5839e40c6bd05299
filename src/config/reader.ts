import { isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { ConfigContext, Located } from './context.js';
import { closest } from './spelling.js';

/** Limits of a numeric value, inclusive. */
export interface Range {
  readonly min: number;
  readonly max?: number;
  /** Appended to the expectation: `milliseconds`, `seconds`. */
  readonly unit?: string;
}

/**
 * Longest delay Node's timers accept: `setTimeout` runs a longer one after 1 ms instead. Every
 * millisecond setting is bounded by it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The range of a millisecond setting: 1 ms to {@link MAX_TIMER_MS} (24.8 days). */
export const MILLISECONDS: Range = { min: 1, max: MAX_TIMER_MS, unit: 'milliseconds' };

/** What an unknown key may be shown as: a plain key name, not a value that lost its colon. */
const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * One element of a YAML list, with its own path for messages. In an `!!omap` or `!!pairs` list
 * an element is a `key: value` pair.
 */
export interface ListItem {
  readonly node: Located;
  readonly field: string;
}

/**
 * Typed, located access to one YAML mapping. Each getter validates, records an issue naming the
 * dotted field and line when the value is bad, and returns the default so validation carries on
 * and every problem is reported at once. Keys outside `keys` are reported as typos.
 */
export class MapReader<K extends string> {
  /** Dotted path of this mapping (`''` at the top level). */
  readonly path: string;
  /** The key node naming this mapping in its parent (or the mapping itself): where "missing" points. */
  readonly anchor: Node | undefined;
  private readonly pairs = new Map<string, Pair<unknown, unknown>>();
  /**
   * False when the mapping is absent (its parent reports that, if it is required) or is not a
   * mapping (already reported): its own keys are then not reported as missing.
   */
  private readonly usable: boolean = true;

  constructor(
    private readonly ctx: ConfigContext,
    node: Node | undefined,
    path: string,
    keys: readonly K[],
    anchor: Node | undefined = node,
  ) {
    this.path = path;
    this.anchor = anchor;
    if (node === undefined) this.usable = false;
    if (node === undefined || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) {
      ctx.invalid(node, path || '(top level)', `a mapping of ${keys.join(', ')}`);
      this.usable = false;
      return;
    }
    const known: readonly string[] = keys;
    for (const pair of node.items) {
      const keyNode = ctx.resolve(pair.key);
      const name = isScalar(keyNode) ? String(keyNode.value) : '';
      if (known.includes(name)) {
        const first = this.pairs.get(name);
        if (first === undefined) this.pairs.set(name, pair);
        else ctx.problem(keyNode, this.field(name), 'each key once', `duplicate key \`${name}\`: map keys must be unique (first at ${ctx.position(first.key)})`);
        continue;
      }
      const where = path === '' ? 'at the top level' : `in ${path}`;
      const expected = `one of ${known.join(', ')}`;
      if (!KEY_NAME.test(name)) {
        // `password hunter2` (a colon forgotten) is a key too: never echo what may be a secret.
        const text = `unknown key ${where} (not shown: not a key name; a value missing its \`: \`?); expected ${expected}`;
        ctx.problem(keyNode, path || undefined, expected, text);
        continue;
      }
      const guess = closest(name, known);
      const hint = guess === undefined ? '' : ` (did you mean \`${guess}\`?)`;
      ctx.problem(keyNode, this.field(name), expected, `unknown key \`${name}\` ${where}${hint}; expected ${expected}`);
    }
  }

  /** Dotted path of a key of this mapping. */
  field(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /** Whether the key is present (even with an empty value). */
  has(key: K): boolean {
    return this.pairs.has(key);
  }

  /** The key's value node, aliases resolved; `undefined` when absent. */
  node(key: K): Node | undefined {
    return this.ctx.resolve(this.pairs.get(key)?.value);
  }

  /** The key's own node, for locating messages about the key as a whole. */
  keyNode(key: K): Node | undefined {
    return this.ctx.resolve(this.pairs.get(key)?.key) ?? this.anchor;
  }

  /** Records that a required key is missing; `alternative` names another way to satisfy it. */
  missing(key: K, alternative = ''): void {
    if (!this.usable) return;
    const text = `missing required key \`${key}\`${alternative}`;
    this.ctx.problem(this.anchor, this.field(key), 'a value', text, this.path || undefined);
  }

  /** A nested mapping; an absent or empty one reads as all defaults. */
  map<C extends string>(key: K, keys: readonly C[]): MapReader<C> {
    return new MapReader(this.ctx, this.node(key), this.field(key), keys, this.keyNode(key));
  }

  /** An integer in `range`, or `fallback` when absent. */
  int(key: K, fallback: number, range: Range): number {
    return this.number(key, fallback, range, true);
  }

  /** A finite number in `range`, or `fallback` when absent. */
  number(key: K, fallback: number, range: Range, integer = false): number {
    if (!this.has(key)) return fallback;
    const node = this.node(key);
    const value = isScalar(node) ? node.value : undefined;
    const inRange =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!integer || Number.isSafeInteger(value)) &&
      value >= range.min &&
      (range.max === undefined || value <= range.max);
    if (inRange) return value;
    const kind = integer ? 'an integer' : 'a number';
    const bounds = range.max === undefined ? `≥ ${range.min}` : `${range.min}..${range.max}`;
    this.ctx.invalid(node, this.field(key), `${kind} ${bounds}${range.unit ? ` (${range.unit})` : ''}`);
    return fallback;
  }

  /** `true`/`false`, or Kamailio-style `1`/`0`. */
  bool(key: K, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const node = this.node(key);
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === 'boolean') return value;
    if (value === 0 || value === 1) return value === 1;
    this.ctx.invalid(node, this.field(key), 'true or false (or 1 or 0)');
    return fallback;
  }

  /** One of `values`, or `fallback` when absent. */
  oneOf<V extends string>(key: K, values: readonly V[], fallback: V): V {
    if (!this.has(key)) return fallback;
    const node = this.node(key);
    const value = isScalar(node) ? node.value : undefined;
    const found = values.find((candidate) => candidate === value);
    if (found !== undefined) return found;
    this.ctx.invalid(node, this.field(key), values.map((v) => JSON.stringify(v)).join(' or '));
    return fallback;
  }

  /**
   * A string, or `undefined` when absent. `check` returns `undefined` for a good value, or the
   * expectation text for a bad one.
   */
  string(key: K, check?: (value: string) => string | undefined): string | undefined {
    if (!this.has(key)) return undefined;
    const node = this.node(key);
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'string') {
      const scalar = typeof value === 'number' || typeof value === 'boolean';
      this.ctx.invalid(node, this.field(key), scalar ? 'a string (quote it: YAML reads this as a number or boolean)' : 'a string');
      return undefined;
    }
    const expected = check?.(value);
    if (expected === undefined) return value;
    this.ctx.invalid(node, this.field(key), expected);
    return undefined;
  }

  /** The elements of a list, or `undefined` when absent or not a list (then recorded). */
  list(key: K, what: string): ListItem[] | undefined {
    if (!this.has(key)) return undefined;
    return this.listOf(this.node(key), this.field(key), what);
  }

  /** The elements of a list node, each with its `field[i]` path. */
  listOf(node: Node | undefined, field: string, what: string): ListItem[] | undefined {
    if (!isSeq(node)) {
      this.ctx.invalid(node, field, `a list of ${what}`);
      return undefined;
    }
    return node.items.map((item, index) => ({ node: isPair(item) ? item : this.ctx.resolve(item), field: `${field}[${index}]` }));
  }
}
