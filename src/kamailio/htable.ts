/**
 * The cfg fragment for a Kamailio node that keeps its own `htable` caches and lets authring
 * invalidate them: for every `kamailio.htables` entry with `lookup: group` and `names: folded`,
 * the htable and `route[AUTHRING_HT_<NAME>]`, a read-through cache of `is_user_in("From", group)`
 * keyed by the name folded as the database compares it (so authring deletes the one exact key
 * for every spelling), plus the RPC listener authring reaches the node on.
 */
import type { AuthringConfig, KamailioHtableConfig } from '../config/types.js';
import { KAMAILIO_DOMAIN_CLASS, KAMAILIO_USER_CLASS, checkCfgName, checkFolding, cfgString, describeFile, foldName, foldedPv, type KamailioCaseFolding } from './cfg-text.js';
import { KamailioConfigError } from '../errors.js';
import { pickNode, rpcListenerLines } from './rpc-listener.js';
import type { KamailioSourceConfig } from './source-config.js';

/** Options of {@link kamailioHtableConfig}. */
export interface KamailioHtableOptions {
  /** The node (in `kamailio.nodes`) the listener is generated for; the only one when omitted. */
  readonly node?: string;
  /** How the `grp` table's collation folds ASCII names. @default 'upper' */
  readonly caseFolding?: KamailioCaseFolding;
}

/** The values the generated routes store. */
export const HTABLE_VALUES = { member: 'yes', notMember: 'no' } as const;

/** The route name of an htable entry. */
export function htableRouteName(table: string): string {
  return `AUTHRING_HT_${table.toUpperCase()}`;
}

/**
 * The fragment for the htable mode.
 * @throws KamailioConfigError when `kamailio.nodes` does not name the node, no table can be
 *   generated, or a name cannot be written into the cfg.
 */
export function kamailioHtableConfig(config: KamailioSourceConfig & Pick<AuthringConfig, 'kamailio'>, options: KamailioHtableOptions = {}): string {
  const folding = checkFolding(options.caseFolding ?? 'upper');
  const node = pickNode(config.kamailio, options.node);
  const tables = config.kamailio.htables.filter((t) => t.lookup === 'group' && t.names === 'folded');
  if (tables.length === 0) {
    throw new KamailioConfigError('kamailio.htables', 'has no entry with lookup: group and names: folded, the tables this mode generates routes for');
  }
  const group = config.lookups.group;
  return [
    `# authring: Kamailio htable caches invalidated by authring, node ${node.name}, generated from ${describeFile(config.file)}.`,
    '# Do not edit: regenerate it when the cluster config changes.',
    '#',
    '# Use: load pv.so, sl.so and group.so (configured like lookups.group) first, then',
    '#   include_file "<this file>"',
    '# and in a route, instead of is_user_in("From", "<group>"):',
    `#   if (route(${htableRouteName(tables[0]?.name ?? '')})) { ... the From user is in the group ... }`,
    '# Each route returns what is_user_in returns (1 member, -6 not a member, -1 no From user, -5',
    '# database error) and leaves it in $var(authring_rc), with "cache" or "db" in $var(authring_source).',
    `# The group module must match lookups.group: use_domain ${group.useDomain ? 1 : 0}, table "${cfgString(group.table)}".`,
    `# Keys fold names as the tables' collation does (${folding === 'upper' ? 'upper case' : 'as written'}); names outside`,
    '# the cached classes (non-ASCII, %-escapes, ":", "@") are answered by the database and not cached.',
    '# A change is deleted from here by authring (authring watch) over the RPC listener below.',
    '',
    ...rpcListenerLines(config.kamailio, node),
    'loadmodule "htable.so"',
    ...tables.map((t) => `modparam("htable", "htable", "${t.name}=>size=12;autoexpire=${t.ttlSeconds};")`),
    '',
    ...tables.flatMap((t) => groupTableRoute(t, folding, config.cache.negativeTtlSeconds)),
  ].join('\n');
}

function groupTableRoute(table: KamailioHtableConfig, folding: KamailioCaseFolding, negativeTtl: number): string[] {
  const group = table.group ?? '';
  checkCfgName(`kamailio.htables[${table.name}].group`, group, 'is_user_in takes it as a cfg string literal');
  const usesDomain = table.key.includes('{domain}');
  const keyable = usesDomain
    ? `$fU != $null && $fd != $null && $fU =~ "${KAMAILIO_USER_CLASS}" && $fd =~ "${KAMAILIO_DOMAIN_CLASS}"`
    : `$fU != $null && $fU =~ "${KAMAILIO_USER_CLASS}"`;
  const slot = `$sht(${table.name}=>$var(authring_htkey))`;
  return [
    `# ${table.name}: is_user_in("From", "${group}"), keys ${table.key}; "${HTABLE_VALUES.member}" member, "${HTABLE_VALUES.notMember}" not a member.`,
    `route[${htableRouteName(table.name)}] {`,
    '\t$var(authring_source) = "db";',
    '\t$var(authring_htkey) = "";',
    `\tif (${keyable}) {`,
    `\t\t$var(authring_htkey) = ${keyExpression(table.key, folding, group)};`,
    `\t\t$vn(authring_htval) = ${slot};`,
    `\t\tif ($vn(authring_htval) == "${HTABLE_VALUES.member}") {`,
    '\t\t\t$var(authring_rc) = 1;',
    '\t\t\t$var(authring_source) = "cache";',
    '\t\t\treturn(1);',
    '\t\t}',
    `\t\tif ($vn(authring_htval) == "${HTABLE_VALUES.notMember}") {`,
    '\t\t\t$var(authring_rc) = -6;',
    '\t\t\t$var(authring_source) = "cache";',
    '\t\t\treturn(-6);',
    '\t\t}',
    '\t}',
    `\tis_user_in("From", "${group}");`,
    '\t$var(authring_rc) = $rc;',
    '\tif ($var(authring_htkey) != "") {',
    '\t\tif ($var(authring_rc) == 1) {',
    `\t\t\t${slot} = "${HTABLE_VALUES.member}";`,
    ...(negativeTtl > 0
      ? [
          '\t\t} else if ($var(authring_rc) == -6) {',
          `\t\t\t${slot} = "${HTABLE_VALUES.notMember}";`,
          `\t\t\t$shtex(${table.name}=>$var(authring_htkey)) = ${Math.min(negativeTtl, table.ttlSeconds)};`,
        ]
      : []),
    '\t\t}',
    '\t}',
    '\treturn($var(authring_rc));',
    '}',
    '',
  ];
}

/** The cfg expression of a key template: literal text, the folded From user and domain, the folded group. */
function keyExpression(template: string, folding: KamailioCaseFolding, group: string): string {
  const parts: string[] = [];
  let rest = template;
  for (;;) {
    const match = /\{(user|domain|group)\}/.exec(rest);
    if (match === null) break;
    if (match.index > 0) parts.push(`"${cfgString(rest.slice(0, match.index))}"`);
    const name = match[1];
    parts.push(name === 'user' ? foldedPv('$fU', folding) : name === 'domain' ? foldedPv('$fd', folding) : `"${cfgString(foldName(group, folding))}"`);
    rest = rest.slice(match.index + match[0].length);
  }
  if (rest !== '') parts.push(`"${cfgString(rest)}"`);
  return parts.join(' + ');
}
