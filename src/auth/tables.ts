/**
 * Table and column names of the three lookups, mirroring Kamailio 5.6's module parameters, with
 * Kamailio's defaults. Defined here, once: the cluster config file's `lookups:` section reads
 * these fields under their snake_case names (`user_column` → `userColumn`).
 */

/** The `group` module's parameters (`is_user_in`). */
export interface GroupTable {
  /**
   * Run this lookup. A deployment that does not use it sets `false`: its table is then neither
   * checked nor read, and calling the lookup fails with `E_LOOKUP_DISABLED`.
   * @default true
   */
  readonly enabled: boolean;
  /** The table. @default 'grp' */
  readonly table: string;
  /** @default 'username' */
  readonly userColumn: string;
  /** @default 'domain' */
  readonly domainColumn: string;
  /** @default 'grp' */
  readonly groupColumn: string;
  /** Match the domain too. @default false */
  readonly useDomain: boolean;
}

/** The `auth_db` module's parameters (`auth_check` and friends). */
export interface CredentialsTable {
  /** Run this lookup (see {@link GroupTable.enabled}). @default true */
  readonly enabled: boolean;
  /** The table (in Kamailio, the second argument of `www_authorize`). @default 'subscriber' */
  readonly table: string;
  /** @default 'username' */
  readonly userColumn: string;
  /** @default 'domain' */
  readonly domainColumn: string;
  /** HA1 = MD5(user:realm:password). @default 'ha1' */
  readonly passwordColumn: string;
  /** HA1 computed with `user@domain` as the user. @default 'ha1b' */
  readonly passwordColumn2: string;
  /** Compute HA1 from `plainPasswordColumn` instead of reading it. @default false */
  readonly calculateHa1: boolean;
  /** The plaintext password, read only with `calculateHa1`. @default 'password' */
  readonly plainPasswordColumn: string;
  /** Match the domain too. @default false */
  readonly useDomain: boolean;
}

/** The `permissions` module's address-table parameters (`allow_address`, `allow_source_address`). */
export interface AddressTableColumns {
  /** Run this lookup (see {@link GroupTable.enabled}). @default true */
  readonly enabled: boolean;
  /** Kamailio `address_table`. @default 'address' */
  readonly table: string;
  /** Kamailio `grp_col`. @default 'grp' */
  readonly groupColumn: string;
  /** Kamailio `ip_addr_col`. @default 'ip_addr' */
  readonly ipColumn: string;
  /** Kamailio `mask_col`. @default 'mask' */
  readonly maskColumn: string;
  /** Kamailio `port_col`. @default 'port' */
  readonly portColumn: string;
  /** Kamailio `tag_col`. @default 'tag' */
  readonly tagColumn: string;
}

/** The three lookups' tables, as AuthCache uses them. */
export interface LookupTables {
  readonly group: GroupTable;
  readonly credentials: CredentialsTable;
  readonly address: AddressTableColumns;
}

/** Kamailio 5.6 `group` module defaults (`src/modules/group/group_mod.c`). */
export const GROUP_DEFAULTS: GroupTable = {
  enabled: true,
  table: 'grp',
  userColumn: 'username',
  domainColumn: 'domain',
  groupColumn: 'grp',
  useDomain: false,
};

/**
 * Kamailio 5.6 `auth_db` module defaults (`src/modules/auth_db/auth_db_mod.c`). The table is the
 * second argument of `www_authorize`/`proxy_authorize`, conventionally `subscriber`; the plaintext
 * column is the `password` column of Kamailio's `subscriber` schema.
 */
export const CREDENTIALS_DEFAULTS: CredentialsTable = {
  enabled: true,
  table: 'subscriber',
  userColumn: 'username',
  domainColumn: 'domain',
  passwordColumn: 'ha1',
  passwordColumn2: 'ha1b',
  calculateHa1: false,
  plainPasswordColumn: 'password',
  useDomain: false,
};

/** Kamailio 5.6 `permissions` module defaults (`src/modules/permissions/permissions.c`). */
export const ADDRESS_DEFAULTS: AddressTableColumns = {
  enabled: true,
  table: 'address',
  groupColumn: 'grp',
  ipColumn: 'ip_addr',
  maskColumn: 'mask',
  portColumn: 'port',
  tagColumn: 'tag',
};
