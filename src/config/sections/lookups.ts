import {
  ADDRESS_DEFAULTS,
  CREDENTIALS_DEFAULTS,
  GROUP_DEFAULTS,
  type AddressTableColumns,
  type CredentialsTable,
  type GroupTable,
} from '../../auth/tables.js';
import { bool, keysOf, readFields, text, type Fields } from '../fields.js';
import type { MapReader } from '../reader.js';

/** Table and column names are interpolated into SQL, so only plain identifiers pass. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function identifier(key: string) {
  return text(key, (v) => (IDENTIFIER.test(v) ? undefined : 'an SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)'));
}

/** `lookups.group:`, by the `GroupTable` field each key fills (Kamailio's `group` module parameters). */
const GROUP_FIELDS = {
  table: identifier('table'),
  userColumn: identifier('user_column'),
  domainColumn: identifier('domain_column'),
  groupColumn: identifier('group_column'),
  useDomain: bool('use_domain'),
  enabled: bool('enabled'),
} satisfies Required<Fields<GroupTable>>;

/** `lookups.credentials:`, by the `CredentialsTable` field each key fills (Kamailio's `auth_db`). */
const CREDENTIALS_FIELDS = {
  table: identifier('table'),
  userColumn: identifier('user_column'),
  domainColumn: identifier('domain_column'),
  passwordColumn: identifier('password_column'),
  passwordColumn2: identifier('password_column_2'),
  calculateHa1: bool('calculate_ha1'),
  plainPasswordColumn: identifier('plain_password_column'),
  useDomain: bool('use_domain'),
  enabled: bool('enabled'),
} satisfies Required<Fields<CredentialsTable>>;

/** `lookups.address:`, by the `AddressTableColumns` field each key fills (Kamailio's `permissions`). */
const ADDRESS_FIELDS = {
  table: identifier('table'),
  groupColumn: identifier('group_column'),
  ipColumn: identifier('ip_column'),
  maskColumn: identifier('mask_column'),
  portColumn: identifier('port_column'),
  tagColumn: identifier('tag_column'),
  enabled: bool('enabled'),
} satisfies Required<Fields<AddressTableColumns>>;

/** The keys of `lookups:`. */
export const LOOKUPS_KEYS = ['group', 'credentials', 'address'];

/** `lookups:` — tables and columns, with Kamailio 5.6's defaults. Names are checked SQL identifiers. */
export interface LookupsConfig {
  /** Group membership (`is_user_in`). */
  readonly group: GroupTable;
  /** Digest credentials (`www_authorize`, `proxy_authorize`). */
  readonly credentials: CredentialsTable;
  /** Source-address permissions (`allow_source_address`). */
  readonly address: AddressTableColumns;
}

/** Reads and checks `lookups:`; every default is Kamailio 5.6's, as the auth layer declares it. */
export function readLookups(section: MapReader<string>): LookupsConfig {
  return {
    group: readFields(section.map('group', keysOf(GROUP_FIELDS)), GROUP_DEFAULTS, GROUP_FIELDS),
    credentials: readFields(section.map('credentials', keysOf(CREDENTIALS_FIELDS)), CREDENTIALS_DEFAULTS, CREDENTIALS_FIELDS),
    address: readFields(section.map('address', keysOf(ADDRESS_FIELDS)), ADDRESS_DEFAULTS, ADDRESS_FIELDS),
  };
}
