/**
 * Table and column names of the three lookups, mirroring Kamailio 5.6's module parameters. The
 * defaults are Kamailio's.
 */

/** The `group` module's parameters (`is_user_in`). */
export interface GroupTable {
  /** `table`. @default 'grp' */
  readonly table: string;
  /** `user_column`. @default 'username' */
  readonly userColumn: string;
  /** `domain_column`. @default 'domain' */
  readonly domainColumn: string;
  /** `group_column`. @default 'grp' */
  readonly groupColumn: string;
  /** `use_domain`: match the domain too. @default false */
  readonly useDomain: boolean;
}

/** The `auth_db` module's parameters (`auth_check` and friends). */
export interface CredentialsTable {
  /** The table passed to `auth_check()`. @default 'subscriber' */
  readonly table: string;
  /** `user_column`. @default 'username' */
  readonly userColumn: string;
  /** `domain_column`. @default 'domain' */
  readonly domainColumn: string;
  /** `password_column`: the HA1 of `user:realm:password`. @default 'ha1' */
  readonly passwordColumn: string;
  /** `password_column_2`: the HA1 of `user@domain:realm:password`. @default 'ha1b' */
  readonly passwordColumn2: string;
  /**
   * `calculate_ha1`: the module reads a plain-text password and computes HA1 itself. Only then is
   * the plain password read (and cached). @default false
   */
  readonly calculateHa1: boolean;
  /** The plain-text password column, read only with `calculateHa1`. @default 'password' */
  readonly plainPasswordColumn: string;
  /** `use_domain`: match the domain too. @default false */
  readonly useDomain: boolean;
}

/** The `permissions` module's address-table parameters (`allow_address`, `allow_source_address`). */
export interface AddressTableColumns {
  /** `address_table`. @default 'address' */
  readonly table: string;
  /** `grp_col`. @default 'grp' */
  readonly groupColumn: string;
  /** `ip_addr_col`. @default 'ip_addr' */
  readonly ipColumn: string;
  /** `mask_col`. @default 'mask' */
  readonly maskColumn: string;
  /** `port_col`. @default 'port' */
  readonly portColumn: string;
  /** `tag_col`. @default 'tag' */
  readonly tagColumn: string;
}

/** Kamailio's defaults for the group module. */
export const GROUP_DEFAULTS: GroupTable = {
  table: 'grp',
  userColumn: 'username',
  domainColumn: 'domain',
  groupColumn: 'grp',
  useDomain: false,
};

/** Kamailio's defaults for the auth_db module. */
export const CREDENTIALS_DEFAULTS: CredentialsTable = {
  table: 'subscriber',
  userColumn: 'username',
  domainColumn: 'domain',
  passwordColumn: 'ha1',
  passwordColumn2: 'ha1b',
  calculateHa1: false,
  plainPasswordColumn: 'password',
  useDomain: false,
};

/** Kamailio's defaults for the permissions module's address table. */
export const ADDRESS_DEFAULTS: AddressTableColumns = {
  table: 'address',
  groupColumn: 'grp',
  ipColumn: 'ip_addr',
  maskColumn: 'mask',
  portColumn: 'port',
  tagColumn: 'tag',
};
