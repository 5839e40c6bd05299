/**
 * `route[AUTHRING_WWW_AUTHORIZE]` and `route[AUTHRING_PROXY_AUTHORIZE]`: auth_db's
 * `www_authorize(realm, table)` / `proxy_authorize(realm, table)` with the subscriber's HA1 read
 * through authring's shared cache, checked by the auth module's `pv_www_authenticate` /
 * `pv_proxy_authenticate` (HA1 flag). docs/kamailio.md explains why each step returns exactly
 * what auth_db returns; test/kamailio/credentials.test.ts compares them case by case.
 */
import { identifier } from '../auth/sql.js';
import { CREDENTIALS_COMPACT_FIELD } from '../auth/credentials-format.js';
import { KAMAILIO_DOMAIN_CLASS, KAMAILIO_USER_CLASS, cfgString, foldedPv, ttlStatement, type KamailioCaseFolding } from './cfg-text.js';
import { KamailioConfigError } from '../errors.js';
import { generationLines } from './generation.js';
import type { KamailioSourceConfig } from './source-config.js';

/** Route names of the credentials check. */
export const KAMAILIO_CREDENTIALS_ROUTES = { www: 'AUTHRING_WWW_AUTHORIZE', proxy: 'AUTHRING_PROXY_AUTHORIZE' } as const;

/** The `$var` the caller sets to the realm before calling either route. */
export const KAMAILIO_REALM_VAR = '$var(authring_realm)';

/** Options of the credentials routes. */
export interface CredentialsRouteOptions {
  /** How the subscriber table's collation folds ASCII names. */
  readonly caseFolding: KamailioCaseFolding;
  /** The sqlops connection (`modparam("sqlops", "sqlcon", "NAME=>mysql://…")`) a miss queries. */
  readonly sqlConnection: string;
}

const SQL_CONNECTION = /^[A-Za-z0-9_]{1,32}$/;
/** An HA1 the auth module compares as auth_db does: its first 32 characters are hashed, so shorter ones go to auth_db. */
const USABLE_HA1 = '^[0-9A-Za-z]{32,128}$';
/**
 * The HA1 given for a subscriber the cache says does not exist, only to learn whether the
 * request passes the auth module's checks before the user lookup (then the answer is -3).
 */
const NO_SUCH_HA1 = '0'.repeat(32);

/**
 * The usage comment and the three routes (www, proxy, and the shared lookup).
 * @throws KamailioConfigError for `calculate_ha1` (the route checks stored HA1 values only) or a
 *   malformed connection name.
 */
export function generateCredentialsRoutes(config: KamailioSourceConfig, options: CredentialsRouteOptions): string[] {
  const t = config.lookups.credentials;
  if (t.calculateHa1) {
    throw new KamailioConfigError(
      'lookups.credentials.calculate_ha1',
      'is on; the Kamailio credentials route checks stored HA1 values only (cache the plain-text password with authring nodes, or use www_authorize)',
    );
  }
  if (!SQL_CONNECTION.test(options.sqlConnection)) {
    throw new KamailioConfigError('sqlConnection', `${JSON.stringify(options.sqlConnection)} must be 1..32 letters, digits or "_"`);
  }
  const { cache } = config;
  const prefix = cfgString(cache.keyPrefix);
  const userKey = foldedPv('$var(authring_user)', options.caseFolding);
  const domainKey = foldedPv('$var(authring_domain)', options.caseFolding);
  const keyExpr = [`"${prefix}"`, '$vn(authring_gen)', '":cred:"', userKey, ...(t.useDomain ? ['":"', domainKey] : [])].join(' + ');
  const where = [`${identifier(t.userColumn)} = " + $(var(authring_user){sql.val.str})`];
  if (t.useDomain) where.push(`${identifier(t.domainColumn)} = " + $(var(authring_domain){sql.val.str})`);
  const select =
    `"SELECT ${identifier(t.passwordColumn)}, ${identifier(t.passwordColumn2)} FROM ${identifier(t.table)} WHERE ` +
    where.join(' + " AND ');
  const compact = `^c1:${CREDENTIALS_COMPACT_FIELD}:${CREDENTIALS_COMPACT_FIELD}$`;
  const field = `^${CREDENTIALS_COMPACT_FIELD}$`;
  const table = cfgString(t.table);
  const negativeTtl = cache.negativeTtlSeconds > 0 ? ttlStatement(cache.negativeTtlSeconds, cache.jitter) : undefined;
  return [
    '# ---- Digest credentials: route(AUTHRING_WWW_AUTHORIZE), route(AUTHRING_PROXY_AUTHORIZE) ----',
    '# Needs, loaded before this file: auth.so; auth_db.so configured like lookups.credentials (it',
    '# answers what the cache cannot: names outside the cached classes, unusable rows, errors):',
    `#   modparam("auth_db", "user_column", "${t.userColumn}")`,
    `#   modparam("auth_db", "domain_column", "${t.domainColumn}")`,
    `#   modparam("auth_db", "password_column", "${t.passwordColumn}")`,
    `#   modparam("auth_db", "password_column_2", "${t.passwordColumn2}")`,
    '#   modparam("auth_db", "calculate_ha1", 0)',
    `#   modparam("auth_db", "use_domain", ${t.useDomain ? 1 : 0})`,
    `# and sqlops.so with a connection to the same database: modparam("sqlops", "sqlcon", "${options.sqlConnection}=>mysql://...").`,
    '# The auth module\'s realm_prefix must be unset. Use, instead of www_authorize(realm, table):',
    `#   ${KAMAILIO_REALM_VAR} = $td;`,
    `#   if (!route(${KAMAILIO_CREDENTIALS_ROUTES.www})) { www_challenge("$td", "1"); exit; }`,
    '# Both routes return what www_authorize/proxy_authorize return for the request (1 ok, -1 error,',
    '# -2 wrong password, -3 unknown user, -4 stale nonce, -5 no credentials for the realm, -6 nonce',
    '# reused), leave it in $var(authring_rc), and "cache" or "db" in $var(authring_source). They do',
    '# not load auth_db\'s load_credentials AVPs.',
    `# Keys: <prefix><gen>:cred:<USER>${t.useDomain ? ':<DOMAIN>' : ''}; values "c1:<ha1>:<ha1b>", or "0" for no such subscriber.`,
    '',
    ...authorizeRoute('www', 'pv_www_authenticate', 'www_authorize', '$hdr(Proxy-Authorization) == $null && $hdr(Authorization) != $null', table),
    ...authorizeRoute('proxy', 'pv_proxy_authenticate', 'proxy_authorize', '$hdr(Proxy-Authorization) != $null', table),
    '# The HA1 of the user the auth module will check: from the cache, or from MySQL (then cached).',
    '# $var(authring_cred): "ha1" (in $var(authring_ha1)), "none" (no such subscriber) or "db" (ask auth_db).',
    'route[AUTHRING_CREDENTIALS] {',
    '\t$var(authring_cred) = "db";',
    '\t$var(authring_key) = "";',
    '\t$var(authring_ha1) = "";',
    `\tif (${KAMAILIO_REALM_VAR} == $null || ${KAMAILIO_REALM_VAR} == "") return;`,
    '\t# $au is the user of the first header of its kind: the one the auth module picks only if its realm matches.',
    `\tif ($ar == $null || $(ar{s.tolower}) != $(var(authring_realm){s.tolower})) return;`,
    `\tif ($au == $null || !($au =~ "${KAMAILIO_USER_CLASS}")) return;`,
    '\t$var(authring_user) = $au;',
    '\tif ($ad != $null && $ad != "") {',
    '\t\t$var(authring_domain) = $ad;',
    '\t\t$var(authring_column) = 2;',
    '\t} else {',
    `\t\t$var(authring_domain) = ${KAMAILIO_REALM_VAR};`,
    '\t\t$var(authring_column) = 1;',
    '\t}',
    ...(t.useDomain ? [`\tif (!($var(authring_domain) =~ "${KAMAILIO_DOMAIN_CLASS}")) return;`] : []),
    ...generationLines(prefix, '\t', [
      `$var(authring_key) = ${keyExpr};`,
      '$vn(authring_value) = $mct($var(authring_key));',
      'if ($vn(authring_value) == "0") {',
      '\t$var(authring_cred) = "none";',
      '\t$var(authring_source) = "cache";',
      '\treturn;',
      '}',
      `if ($vn(authring_value) != $null && $vn(authring_value) =~ "${compact}") {`,
      '\t$var(authring_source) = "cache";',
      '\tif ($var(authring_column) == 2) {',
      '\t\t$var(authring_ha1) = $(vn(authring_value){s.select,2,:});',
      '\t} else {',
      '\t\t$var(authring_ha1) = $(vn(authring_value){s.select,1,:});',
      '\t}',
      `\tif ($var(authring_ha1) =~ "${USABLE_HA1}") $var(authring_cred) = "ha1";`,
      '\treturn;',
      '}',
    ]),
    `\t$var(authring_sql) = ${select};`,
    `\tsql_query("${options.sqlConnection}", "$var(authring_sql)", "authring_cred");`,
    '\t$var(authring_sqlrc) = $rc;',
    '\tif ($var(authring_sqlrc) == 2) {',
    '\t\t$var(authring_cred) = "none";',
    ...(negativeTtl === undefined
      ? []
      : ['\t\tif ($var(authring_key) != "") {', `\t\t\t${negativeTtl}`, '\t\t\t$mct($var(authring_key)=>$var(authring_ttl)) = "0";', '\t\t}']),
    '\t} else if ($var(authring_sqlrc) == 1) {',
    '\t\t$vn(authring_dbha1) = $dbr(authring_cred=>[0,0]);',
    '\t\t$vn(authring_dbha1b) = $dbr(authring_cred=>[0,1]);',
    '\t\tif ($var(authring_column) == 2) {',
    '\t\t\t$vn(authring_dbha1x) = $vn(authring_dbha1b);',
    '\t\t} else {',
    '\t\t\t$vn(authring_dbha1x) = $vn(authring_dbha1);',
    '\t\t}',
    `\t\tif ($vn(authring_dbha1x) != $null && $vn(authring_dbha1x) =~ "${USABLE_HA1}") {`,
    '\t\t\t$var(authring_ha1) = $vn(authring_dbha1x);',
    '\t\t\t$var(authring_cred) = "ha1";',
    '\t\t}',
    `\t\tif ($var(authring_key) != "" && $vn(authring_dbha1) != $null && $vn(authring_dbha1b) != $null && $vn(authring_dbha1) =~ "${field}" && $vn(authring_dbha1b) =~ "${field}") {`,
    `\t\t\t${ttlStatement(cache.ttlSeconds, cache.jitter)}`,
    '\t\t\t$mct($var(authring_key)=>$var(authring_ttl)) = "c1:" + $vn(authring_dbha1) + ":" + $vn(authring_dbha1b);',
    '\t\t}',
    '\t}',
    '\tsql_result_free("authring_cred");',
    '}',
    '',
  ];
}

/** One of the two public routes. */
function authorizeRoute(kind: 'www' | 'proxy', check: string, authorize: string, sameHeader: string, table: string): string[] {
  const realm = `"${KAMAILIO_REALM_VAR}"`;
  return [
    `route[${KAMAILIO_CREDENTIALS_ROUTES[kind]}] {`,
    '\t$var(authring_rc) = -1;',
    '\t$var(authring_source) = "db";',
    '\t$var(authring_cred) = "db";',
    `\tif (${sameHeader}) {`,
    '\t\troute(AUTHRING_CREDENTIALS);',
    '\t}',
    '\tif ($var(authring_cred) == "ha1") {',
    `\t\t${check}(${realm}, "$var(authring_ha1)", "1");`,
    '\t\t$var(authring_rc) = $rc;',
    '\t\treturn($var(authring_rc));',
    '\t}',
    '\tif ($var(authring_cred) == "none") {',
    '\t\t# -2 means the request passed every check before the user lookup: then auth_db says -3.',
    `\t\t${check}(${realm}, "${NO_SUCH_HA1}", "1");`,
    '\t\t$var(authring_rc) = $rc;',
    '\t\tif ($var(authring_rc) == -2) {',
    '\t\t\t$var(authring_rc) = -3;',
    '\t\t\treturn(-3);',
    '\t\t}',
    '\t\tif ($var(authring_rc) == -4 || $var(authring_rc) == -5 || $var(authring_rc) == -6) {',
    '\t\t\treturn($var(authring_rc));',
    '\t\t}',
    '\t}',
    '\t# Everything else is auth_db\'s to answer (and a 1 above is not trusted: it takes a guessable HA1).',
    '\t$var(authring_source) = "db";',
    `\t${authorize}(${realm}, "${table}");`,
    '\t$var(authring_rc) = $rc;',
    '\treturn($var(authring_rc));',
    '}',
    '',
  ];
}
