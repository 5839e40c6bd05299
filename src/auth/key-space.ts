import type { LookupStatus, Loader, ReadThroughCache } from '../cache/engine.js';
import type { CachedValue } from '../cache/codec.js';
import type { NamespaceGeneration } from '../cache/namespace.js';
import { cacheKey } from './cache-key.js';

/**
 * The keys of one authring namespace: `<key_prefix><generation>:<kind>:<parts…>`. Bumping the
 * generation moves every key at once.
 */
export class KeySpace {
  constructor(
    /** `cache.key_prefix`. */
    readonly keyPrefix: string,
    /** The namespace's generation counter. */
    readonly generation: NamespaceGeneration,
  ) {}

  /** The full key of a question in the current generation. */
  async key(kind: string, parts: readonly string[]): Promise<string> {
    return cacheKey(`${this.keyPrefix}${await this.generation.current()}:`, kind, ...parts);
  }

  /**
   * Looks a question up through the engine; when the generation cannot be read (memcached
   * failing), the question goes to MySQL without the cache rather than failing.
   */
  async lookup(engine: ReadThroughCache, kind: string, parts: readonly string[], loader: Loader, status?: LookupStatus): Promise<CachedValue> {
    let key: string;
    try {
      key = await this.key(kind, parts);
    } catch {
      return engine.loadUncached(cacheKey(this.keyPrefix, kind, ...parts), loader, { status });
    }
    return engine.getOrLoad(key, loader, { status });
  }
}
