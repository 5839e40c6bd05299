import {
  ADDRESS_LOOKUP_DEFAULTS as A,
  CREDENTIALS_LOOKUP_DEFAULTS as C,
  GROUP_LOOKUP_DEFAULTS as G,
} from '../defaults.js';
import type { MapReader } from '../reader.js';
import type { LookupsConfig } from '../types.js';

/** The keys of `lookups:`. */
export const LOOKUPS_KEYS = ['group', 'credentials', 'address'] as const;
/** The keys of `lookups.group:`. */
export const GROUP_KEYS = ['table', 'user_column', 'domain_column', 'group_column', 'use_domain', 'enabled'] as const;
/** The keys of `lookups.credentials:`. */
export const CREDENTIALS_KEYS = [
  'table',
  'user_column',
  'domain_column',
  'password_column',
  'password_column_2',
  'calculate_ha1',
  'plain_password_column',
  'use_domain',
  'enabled',
] as const;
/** The keys of `lookups.address:`. */
export const ADDRESS_KEYS = ['table', 'group_column', 'ip_column', 'mask_column', 'port_column', 'tag_column', 'enabled'] as const;

/** Table and column names are interpolated into SQL, so only plain identifiers pass. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function identifier(value: string): string | undefined {
  return IDENTIFIER.test(value) ? undefined : 'an SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)';
}

/** Reads and checks `lookups:`; every default is Kamailio 5.6's. */
export function readLookups(section: MapReader<(typeof LOOKUPS_KEYS)[number]>): LookupsConfig {
  const g = section.map('group', GROUP_KEYS);
  const c = section.map('credentials', CREDENTIALS_KEYS);
  const a = section.map('address', ADDRESS_KEYS);
  return {
    group: {
      enabled: g.bool('enabled', G.enabled),
      table: g.string('table', identifier) ?? G.table,
      userColumn: g.string('user_column', identifier) ?? G.userColumn,
      domainColumn: g.string('domain_column', identifier) ?? G.domainColumn,
      groupColumn: g.string('group_column', identifier) ?? G.groupColumn,
      useDomain: g.bool('use_domain', G.useDomain),
    },
    credentials: {
      enabled: c.bool('enabled', C.enabled),
      table: c.string('table', identifier) ?? C.table,
      userColumn: c.string('user_column', identifier) ?? C.userColumn,
      domainColumn: c.string('domain_column', identifier) ?? C.domainColumn,
      passwordColumn: c.string('password_column', identifier) ?? C.passwordColumn,
      passwordColumn2: c.string('password_column_2', identifier) ?? C.passwordColumn2,
      calculateHa1: c.bool('calculate_ha1', C.calculateHa1),
      plainPasswordColumn: c.string('plain_password_column', identifier) ?? C.plainPasswordColumn,
      useDomain: c.bool('use_domain', C.useDomain),
    },
    address: {
      enabled: a.bool('enabled', A.enabled),
      table: a.string('table', identifier) ?? A.table,
      groupColumn: a.string('group_column', identifier) ?? A.groupColumn,
      ipColumn: a.string('ip_column', identifier) ?? A.ipColumn,
      maskColumn: a.string('mask_column', identifier) ?? A.maskColumn,
      portColumn: a.string('port_column', identifier) ?? A.portColumn,
      tagColumn: a.string('tag_column', identifier) ?? A.tagColumn,
    },
  };
}
