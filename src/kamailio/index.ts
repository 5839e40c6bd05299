/**
 * Kamailio integration: the nutcracker pool and the Kamailio cfg fragment that let Kamailio nodes
 * read and write authring's shared cache entries (see docs/kamailio.md).
 */
export { kamailioConfig, type KamailioConfigOptions } from './generate.js';
export { nutcrackerConfig, type NutcrackerConfigOptions } from './nutcracker.js';
export { KAMAILIO_ROUTE, KAMAILIO_GROUP_VAR, KAMAILIO_RC, KAMAILIO_NEGATIVE_VALUE } from './group-route.js';
export { KAMAILIO_CREDENTIALS_ROUTES, KAMAILIO_REALM_VAR } from './credentials-route.js';
export type { KamailioCaseFolding } from './cfg-text.js';
export type { KamailioSourceConfig } from './source-config.js';
export { kamailioHtableConfig, htableRouteName, HTABLE_VALUES, type KamailioHtableOptions } from './htable.js';
