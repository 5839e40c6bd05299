import type { MemcacheCluster } from '../cluster/cluster.js';

/**
 * What the read-through engine needs from the cache servers: a subset of
 * {@link MemcacheCluster}, so a tier in front of it (an in-process cache) can stand in.
 */
export type CacheStore = Pick<MemcacheCluster, 'get' | 'addItem' | 'cas' | 'delete' | 'serverFor'>;
