import type { AuthringConfig } from '../config/types.js';

/** The parts of a loaded cluster config the generators read (an `AuthringConfig` fits). */
export type KamailioSourceConfig = Pick<AuthringConfig, 'file' | 'memcached' | 'cache' | 'lookups'>;
