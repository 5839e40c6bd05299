import type { AuthringConfig } from '../config/types.js';

/**
 * The parts of a loaded cluster config the generators read (an `AuthringConfig` fits); `kamailio`
 * only for what involves the Kamailio nodes (the RPC listener, the htable mode).
 */
export type KamailioSourceConfig = Pick<AuthringConfig, 'file' | 'memcached' | 'cache' | 'lookups'> & Partial<Pick<AuthringConfig, 'kamailio'>>;
