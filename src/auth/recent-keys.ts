import { cacheKey } from './cache-key.js';
import { MemoBound } from './memo-bound.js';

/** Keys {@link RecentKeys} holds before it starts afresh (about 1 MB of keys and maps), for each of its two memos. */
const RECENT_KEYS = 8192;
/** Longest name (UTF-16 units) remembered as asked: real user, domain and group names are short. */
const ASKED_NAME_UNITS = 64;

/** One level of a memo: the next element's level, or (after the last element) the key. */
type Level = Map<string, Level | string>;

/**
 * Keys by kind and a list of strings, in nested maps: one map read per string, by identity when the
 * strings are the very ones seen before. Every list of a kind has as many strings, so a level
 * holds maps or keys, never both. Starts afresh (empty) at {@link RECENT_KEYS} keys, and takes no
 * keys for a while when it did not pay (see {@link MemoBound}).
 */
class ListMemo {
  private readonly kinds = new Map<string, Level>();
  private readonly bound = new MemoBound(RECENT_KEYS);
  size = 0;

  get(kind: string, list: readonly string[]): string | undefined {
    let level = this.kinds.get(kind);
    for (let i = 0; level !== undefined && i < list.length - 1; i++) level = level.get(list[i] as string) as Level | undefined;
    const held = level?.get(list[list.length - 1] as string);
    if (typeof held !== 'string') return undefined;
    this.bound.hit();
    return held;
  }

  set(kind: string, list: readonly string[], key: string): void {
    if (!this.bound.admit(this.size, this)) return;
    let level = this.kinds.get(kind);
    if (level === undefined) {
      level = new Map();
      this.kinds.set(kind, level);
    }
    for (let i = 0; i < list.length - 1; i++) {
      let next = level.get(list[i] as string) as Level | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(list[i] as string, next);
      }
      level = next;
    }
    level.set(list[list.length - 1] as string, key);
    this.size += 1;
  }

  clear(): void {
    this.kinds.clear();
    this.size = 0;
  }
}

/**
 * The cache keys of recent questions in one namespace generation. A hot question gets the very
 * string it got last time instead of a new one: nothing to build, and memcached's client hashes and
 * compares it by identity (its owner memo, the in-flight map), as it does for a caller that reuses
 * its keys. Two memos: by kind and key parts (the name keying's own strings, the same each time),
 * and by kind and the names as a caller asked them (`alice` and `ALICE ` each remembered, both
 * giving the key of `ALICE`), which spares a hot question keying its names at all.
 */
export class RecentKeys {
  private readonly byParts = new ListMemo();
  private readonly byNames = new ListMemo();
  /** The version of the name keying the names memo holds keys of. */
  private namesVersion: number | undefined;

  constructor(
    /** `<key_prefix><generation>:`, the prefix of every key held. */
    readonly prefix: string,
  ) {}

  /** Keys held by parts now (at most {@link RECENT_KEYS}). */
  get size(): number {
    return this.byParts.size;
  }

  /** The key of `kind` and `parts` under {@link prefix}: {@link cacheKey}'s, remembered. */
  key(kind: string, parts: readonly string[]): string {
    const held = this.byParts.get(kind, parts);
    if (held !== undefined) return held;
    const key = cacheKey(this.prefix, kind, ...parts);
    this.byParts.set(kind, parts, key);
    return key;
  }

  /**
   * The key remembered for a question of `kind` asked by `names`, while the name keying is still
   * at `version` (its facts unchanged); undefined when not remembered.
   */
  asked(kind: string, names: readonly string[], version: number): string | undefined {
    return version === this.namesVersion ? this.byNames.get(kind, names) : undefined;
  }

  /** Remembers the key of a question asked by `names` under name keying `version` (short names only). */
  remember(kind: string, names: readonly string[], version: number, key: string): void {
    for (const name of names) if (name.length > ASKED_NAME_UNITS) return;
    if (version !== this.namesVersion) {
      this.byNames.clear();
      this.namesVersion = version;
    }
    this.byNames.set(kind, names, key);
  }
}
