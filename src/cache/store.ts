import type { MemcacheCluster } from '../cluster/cluster.js';

/**
 * What the read-through engine needs from the cache servers: a subset of
 * {@link MemcacheCluster}, so a tier in front of it (an in-process cache) can stand in.
 * `getThen` is optional: without it the engine maps `get`'s promise itself.
 */
export type CacheStore = Pick<MemcacheCluster, 'get' | 'addItem' | 'cas' | 'casItem' | 'delete' | 'serverFor'> & Partial<Pick<MemcacheCluster, 'getThen'>>;
