/**
 * Kamailio integration: the nutcracker pool and the Kamailio cfg fragment that let Kamailio nodes
 * read and write authring's shared cache entries (see docs/kamailio.md).
 */
export {
  kamailioConfig,
  nutcrackerConfig,
  KAMAILIO_ROUTE,
  KAMAILIO_GROUP_VAR,
  KAMAILIO_RC,
  KAMAILIO_NEGATIVE_VALUE,
  type KamailioConfigOptions,
  type KamailioCaseFolding,
  type KamailioSourceConfig,
  type NutcrackerConfigOptions,
} from './generate.js';
export { KamailioConfigError } from './errors.js';
