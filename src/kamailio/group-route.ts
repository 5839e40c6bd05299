/**
 * `route[AUTHRING_IS_USER_IN]`: a read-through cache of the group module's `is_user_in("From",
 * group)` on authring's shared entries (see {@link kamailioConfig}).
 */
import { KAMAILIO_DOMAIN_CLASS, KAMAILIO_USER_CLASS, cfgString, checkCfgName, foldName, foldedPv, keyPart, ttlStatement, type KamailioCaseFolding } from './cfg-text.js';
import { KamailioConfigError } from '../errors.js';
import { generationLines } from './generation.js';
import type { KamailioSourceConfig } from './source-config.js';

/** Name of the group route. */
export const KAMAILIO_ROUTE = 'AUTHRING_IS_USER_IN';

/** The `$var` the caller sets to the group to check before `route(AUTHRING_IS_USER_IN)`. */
export const KAMAILIO_GROUP_VAR = '$var(authring_group)';

/**
 * What the route returns (and leaves in `$var(authring_rc)`): the group module's codes, plus
 * {@link KAMAILIO_RC.unknownGroup}.
 */
export const KAMAILIO_RC = {
  /** The user is in the group. */
  member: 1,
  /** No user in the URI, or no domain with `use_domain` (the group module's -1). */
  noUser: -1,
  /** The database failed (the group module's -5); nothing is cached. */
  dbError: -5,
  /** The user is not in the group (the group module's -6). */
  notMember: -6,
  /** `$var(authring_group)` names a group the fragment was not generated with. */
  unknownGroup: -7,
} as const;

/**
 * The value both sides write for "not a member" (authring's `authPlainCodec` negative entry).
 * Kamailio's memcached module cannot read an empty value: libmemcached hands it back as no value
 * at all, so `$mct()` is `$null` (and Kamailio logs an error) exactly as for a missing key; `0`
 * is readable by both.
 */
export const KAMAILIO_NEGATIVE_VALUE = '0';

/** Checks the group list. @throws KamailioConfigError naming the bad entry. */
export function checkGroups(groups: readonly string[]): string[] {
  const unique = [...new Set(groups)];
  unique.forEach((name, index) =>
    checkCfgName(`groups[${index}]`, name, 'is_user_in takes it as a cfg string literal, and other names are keyed by the database\'s weights'),
  );
  return unique;
}

/** The usage comment and the route of the group cache. */
export function groupRouteLines(config: KamailioSourceConfig, groups: readonly string[], folding: KamailioCaseFolding): string[] {
  if (groups.length === 0) throw new KamailioConfigError('groups', 'name at least one group');
  const { cache } = config;
  const group = config.lookups.group;
  const prefix = cfgString(cache.keyPrefix);
  const positiveTtl = ttlStatement(cache.ttlSeconds, cache.jitter);
  const negativeTtl = cache.negativeTtlSeconds > 0 ? ttlStatement(cache.negativeTtlSeconds, cache.jitter) : undefined;
  const keyable = group.useDomain
    ? `$fU != $null && $fd != $null && $fU =~ "${KAMAILIO_USER_CLASS}" && $fd =~ "${KAMAILIO_DOMAIN_CLASS}"`
    : `$fU != $null && $fU =~ "${KAMAILIO_USER_CLASS}"`;
  const keyExpr = [
    `"${prefix}"`,
    '$vn(authring_gen)',
    '":grp:"',
    foldedPv('$fU', folding),
    ...(group.useDomain ? ['":"', foldedPv('$fd', folding)] : []),
    '":"',
    '$var(authring_gpart)',
  ].join(' + ');
  return [
    '# ---- Group membership: route(AUTHRING_IS_USER_IN) ----',
    '# Needs group.so configured like lookups.group (or the two sides cache different answers',
    '# under the same keys):',
    `#   modparam("group", "table", "${group.table}")`,
    `#   modparam("group", "user_column", "${group.userColumn}")`,
    `#   modparam("group", "domain_column", "${group.domainColumn}")`,
    `#   modparam("group", "group_column", "${group.groupColumn}")`,
    `#   modparam("group", "use_domain", ${group.useDomain ? 1 : 0})`,
    '# Use:',
    `#   ${KAMAILIO_GROUP_VAR} = "ipauth";`,
    `#   if (route(${KAMAILIO_ROUTE})) { ... the From user is in the group ... }`,
    '# The route returns 1 (member), -6 (not a member), -1 (no From user), -5 (database error,',
    '# nothing cached) or -7 (a group this file was not generated for); the same code is left in',
    '# $var(authring_rc), and $var(authring_source) is "cache" or "db".',
    `# Keys: <prefix><gen>:grp:<USER>${group.useDomain ? ':<DOMAIN>' : ''}:<GROUP>; values "1" member, "0" not a member.`,
    '',
    `route[${KAMAILIO_ROUTE}] {`,
    `\t$var(authring_rc) = ${KAMAILIO_RC.unknownGroup};`,
    '\t$var(authring_source) = "none";',
    '\t$var(authring_key) = "";',
    '\t$var(authring_gpart) = "";',
    `\tswitch (${KAMAILIO_GROUP_VAR}) {`,
    ...groups.flatMap((name) => [
      `\t\tcase "${name}":`,
      `\t\t\t$var(authring_gpart) = "${cfgString(keyPart(foldName(name, folding)))}";`,
      '\t\t\tbreak;',
    ]),
    '\t\tdefault:',
    `\t\t\treturn(${KAMAILIO_RC.unknownGroup});`,
    '\t}',
    `\tif (${keyable}) {`,
    ...generationLines(prefix, '\t\t', [
      `$var(authring_key) = ${keyExpr};`,
      '$vn(authring_value) = $mct($var(authring_key));',
      'if ($vn(authring_value) == "1") {',
      `\t$var(authring_rc) = ${KAMAILIO_RC.member};`,
      '\t$var(authring_source) = "cache";',
      `\treturn(${KAMAILIO_RC.member});`,
      '}',
      `if ($vn(authring_value) == "${KAMAILIO_NEGATIVE_VALUE}") {`,
      `\t$var(authring_rc) = ${KAMAILIO_RC.notMember};`,
      '\t$var(authring_source) = "cache";',
      `\treturn(${KAMAILIO_RC.notMember});`,
      '}',
    ]),
    '\t}',
    `\tswitch (${KAMAILIO_GROUP_VAR}) {`,
    ...groups.flatMap((name) => [
      `\t\tcase "${name}":`,
      `\t\t\tis_user_in("From", "${name}");`,
      '\t\t\t$var(authring_rc) = $rc;',
      '\t\t\tbreak;',
    ]),
    '\t}',
    '\t$var(authring_source) = "db";',
    '\tif ($var(authring_key) != "") {',
    `\t\tif ($var(authring_rc) == ${KAMAILIO_RC.member}) {`,
    `\t\t\t${positiveTtl}`,
    '\t\t\t$mct($var(authring_key)=>$var(authring_ttl)) = "1";',
    ...(negativeTtl === undefined
      ? ['\t\t}']
      : [
          `\t\t} else if ($var(authring_rc) == ${KAMAILIO_RC.notMember}) {`,
          `\t\t\t${negativeTtl}`,
          `\t\t\t$mct($var(authring_key)=>$var(authring_ttl)) = "${KAMAILIO_NEGATIVE_VALUE}";`,
          '\t\t}',
        ]),
    '\t}',
    '\treturn($var(authring_rc));',
    '}',
    '',
  ];
}
