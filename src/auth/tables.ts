/**
 * Table and column names of the three lookups, mirroring Kamailio 5.6's module parameters, with
 * Kamailio's defaults. They are defined once, by the cluster config file's types
 * (`src/config/types.ts`, where each field documents its Kamailio parameter and default); the
 * lookups use them under these names.
 */
import {
  ADDRESS_LOOKUP_DEFAULTS,
  CREDENTIALS_LOOKUP_DEFAULTS,
  GROUP_LOOKUP_DEFAULTS,
  type AddressLookupConfig,
  type CredentialsLookupConfig,
  type GroupLookupConfig,
} from '../config/index.js';

/** The `group` module's parameters (`is_user_in`). */
export type GroupTable = GroupLookupConfig;
/** The `auth_db` module's parameters (`auth_check` and friends). */
export type CredentialsTable = CredentialsLookupConfig;
/** The `permissions` module's address-table parameters (`allow_address`, `allow_source_address`). */
export type AddressTableColumns = AddressLookupConfig;

/** Kamailio's defaults for the group module. */
export const GROUP_DEFAULTS: GroupTable = GROUP_LOOKUP_DEFAULTS;
/** Kamailio's defaults for the auth_db module. */
export const CREDENTIALS_DEFAULTS: CredentialsTable = CREDENTIALS_LOOKUP_DEFAULTS;
/** Kamailio's defaults for the permissions module's address table. */
export const ADDRESS_DEFAULTS: AddressTableColumns = ADDRESS_LOOKUP_DEFAULTS;
