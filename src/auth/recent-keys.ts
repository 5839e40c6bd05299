import { cacheKey } from './cache-key.js';

/** Keys {@link RecentKeys} holds before it starts afresh (about 1 MB of keys and maps). */
const RECENT_KEYS = 8192;

/** One level of the memo: the next part's level, or (after the last part) the key. */
type Level = Map<string, Level | string>;

/**
 * The cache keys of recent questions in one namespace generation, by kind and name parts. A hot
 * question gets the very string it got last time instead of a new one: nothing to build, and
 * memcached's client hashes and compares it by identity (its owner memo, the in-flight map), as
 * it does for a caller that reuses its keys. The parts come from the name keying's own memo, so
 * they are the same strings each time too, and each level is one map read by identity.
 */
export class RecentKeys {
  private readonly kinds = new Map<string, Level>();
  private count = 0;

  constructor(
    /** `<key_prefix><generation>:`, the prefix of every key held. */
    readonly prefix: string,
  ) {}

  /** Keys held now (at most {@link RECENT_KEYS}). */
  get size(): number {
    return this.count;
  }

  /** The key of `kind` and `parts` under {@link prefix}: {@link cacheKey}'s, remembered. */
  key(kind: string, parts: readonly string[]): string {
    let level = this.kinds.get(kind);
    if (level === undefined) {
      level = new Map();
      this.kinds.set(kind, level);
    }
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) {
      const part = parts[i] as string;
      let next = level.get(part);
      if (next === undefined) {
        next = new Map();
        level.set(part, next);
      }
      // Every key of a kind has as many parts, so a level holds maps or keys, never both.
      level = next as Level;
    }
    const held = level.get(parts[last] as string);
    if (typeof held === 'string') return held;
    const key = cacheKey(this.prefix, kind, ...parts);
    if (this.count >= RECENT_KEYS) {
      this.kinds.clear();
      this.count = 0;
      return key;
    }
    level.set(parts[last] as string, key);
    this.count += 1;
    return key;
  }
}
