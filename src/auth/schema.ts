import type { SchemaProblem } from '../errors.js';
import type { ColumnInfo } from './names/learn.js';
import type { NameColumn } from './names/learn.js';
import type { AddressTableColumns, CredentialsTable, GroupTable } from './tables.js';

/** The three lookups, by their `lookups.<name>` section. */
export type LookupName = 'group' | 'credentials' | 'address';

/** A column a lookup reads, with the config key that names it. */
interface ColumnUse {
  /** `user_column`, … */
  readonly key: string;
  readonly column: string;
  /** Compared with `=` against a name from the request: must be a character column. */
  readonly name: boolean;
}

/** The table one lookup reads and the columns it needs. */
export interface TableUse {
  readonly lookup: LookupName;
  readonly table: string;
  readonly columns: readonly ColumnUse[];
}

/** The tables and columns of the enabled lookups, as their config sections name them. */
export function tableUses(tables: { group: GroupTable; credentials: CredentialsTable; address: AddressTableColumns }): TableUse[] {
  const { group: g, credentials: c, address: a } = tables;
  const uses: TableUse[] = [
    {
      lookup: 'group',
      table: g.table,
      columns: [
        { key: 'user_column', column: g.userColumn, name: true },
        { key: 'domain_column', column: g.domainColumn, name: true },
        { key: 'group_column', column: g.groupColumn, name: true },
      ],
    },
    {
      lookup: 'credentials',
      table: c.table,
      columns: [
        { key: 'user_column', column: c.userColumn, name: true },
        { key: 'domain_column', column: c.domainColumn, name: true },
        { key: 'password_column', column: c.passwordColumn, name: false },
        { key: 'password_column_2', column: c.passwordColumn2, name: false },
        ...(c.calculateHa1 ? [{ key: 'plain_password_column', column: c.plainPasswordColumn, name: false }] : []),
      ],
    },
    {
      lookup: 'address',
      table: a.table,
      columns: [
        { key: 'group_column', column: a.groupColumn, name: false },
        { key: 'ip_column', column: a.ipColumn, name: false },
        { key: 'mask_column', column: a.maskColumn, name: false },
        { key: 'port_column', column: a.portColumn, name: false },
        { key: 'tag_column', column: a.tagColumn, name: false },
      ],
    },
  ];
  return uses.filter((use) => tables[use.lookup].enabled);
}

/** The name columns of some table uses: those whose collation keys the cache. */
export function nameColumns(uses: readonly TableUse[]): NameColumn[] {
  return uses.flatMap((use) => use.columns.filter((c) => c.name).map((c) => ({ table: use.table, column: c.column })));
}

const CHARACTER_COLUMN = 'a character column (CHAR, VARCHAR or TEXT with a character set, as in Kamailio’s schema): names are compared under its collation';

/**
 * What is wrong with the tables, one problem per missing table, missing column or unusable column
 * type; empty when the lookups can run. `described` comes from `describeColumns`.
 */
export function schemaProblems(uses: readonly TableUse[], described: ReadonlyMap<string, ColumnInfo>, database: string): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const use of uses) {
    const path = `lookups.${use.lookup}`;
    const tableExists = [...described.values()].some((info) => info.table === use.table);
    if (!tableExists) {
      problems.push({ path: `${path}.table`, table: use.table, found: `no table ${use.table} in database ${database}`, expected: `the table the ${use.lookup} lookup reads (or lookups.${use.lookup}.enabled: false)` });
      continue;
    }
    for (const column of use.columns) {
      const info = described.get(`${use.table}.${column.column}`.toLowerCase());
      const at = { path: `${path}.${column.key}`, table: use.table, column: column.column };
      if (!info) problems.push({ ...at, found: `no column ${column.column} in table ${use.table}`, expected: `the column lookups.${use.lookup}.${column.key} names` });
      else if (column.name && (info.charset === null || info.collation === null)) {
        problems.push({ ...at, found: `${use.table}.${column.column} is ${info.columnType}`, expected: CHARACTER_COLUMN });
      }
    }
  }
  return problems;
}
