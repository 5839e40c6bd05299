/**
 * Generators for the two files a Kamailio node needs to share authring's memcached ring:
 *
 * - {@link nutcrackerConfig}: a nutcracker (twemproxy) pool that places keys exactly as authring's
 *   `KetamaRing` does (ketama + md5, same servers, weights and canonical order, no ejection);
 * - {@link kamailioConfig}: a Kamailio 5.6 cfg fragment that loads the memcached module, points it
 *   at that local nutcracker, and defines `route[AUTHRING_IS_USER_IN]`, a read-through cache in
 *   front of the group module's `is_user_in` that reads and writes the very entries authring does.
 *
 * docs/kamailio.md is the guide; test/kamailio/shared-cache.test.ts proves the sharing with real
 * processes.
 */
import { cacheKey } from '../auth/cache-key.js';
import { canonicalServerOrder } from '../cluster/ketama.js';
import { parseServerSpec, type ServerSpec } from '../cluster/server-spec.js';
import type { AuthringConfig } from '../config/types.js';
import { InvalidArgumentError } from '../errors.js';
import { KamailioConfigError } from './errors.js';

/** The parts of a loaded cluster config the generators read (an `AuthringConfig` fits). */
export type KamailioSourceConfig = Pick<AuthringConfig, 'file' | 'memcached' | 'cache' | 'lookups'>;

/**
 * How the database folds ASCII names, which the Kamailio route must reproduce to build authring's
 * keys: `upper` for case-insensitive collations (`utf8mb4_general_ci`, the default of Kamailio's
 * tables on MariaDB, `_unicode_ci`, `latin1_swedish_ci`: `alice` and `ALICE` are one name, keyed
 * `ALICE`), `none` for binary collations (`_bin`: names are keyed as written).
 */
export type KamailioCaseFolding = 'upper' | 'none';

/** Options of {@link kamailioConfig}. */
export interface KamailioConfigOptions {
  /**
   * The local nutcracker the memcached module talks to, `host:port` (IPv4 address or host name,
   * e.g. `127.0.0.1:22121`): the module takes the text up to the first `:` as the host, so an
   * IPv6 address cannot be given.
   */
  readonly twemproxyListen: string;
  /**
   * The groups the cfg asks about (`is_user_in` takes its group as a fixed string, so each gets a
   * branch): printable ASCII without `"` or `\` and without trailing spaces.
   */
  readonly groups: readonly string[];
  /** How the `grp` table's collation folds ASCII names. @default 'upper' */
  readonly caseFolding?: KamailioCaseFolding;
}

/** Options of {@link nutcrackerConfig}. */
export interface NutcrackerConfigOptions {
  /** Where nutcracker listens, `host:port` (IPv4 address or host name), e.g. `127.0.0.1:22121`. */
  readonly listen: string;
  /** The pool's name in the YAML. @default 'authring' */
  readonly poolName?: string;
}

/** Name of the route the fragment defines. */
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

const LISTEN = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;
const POOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Printable ASCII a Kamailio string literal carries as it is (no `"`, `\`, nor `$`). */
const CFG_GROUP = /^[\x20\x21\x23\x25-\x5b\x5d-\x7e]+$/;
/**
 * SIP user characters (RFC 3261 unreserved and user-unreserved, without `$`) that authring's keys
 * carry verbatim and whose only folding in the supported collations is ASCII case. Anything else
 * (`%` escapes, non-ASCII, `:`, `@`) would need percent-encoding or the database's weights, so
 * such names skip the cache.
 */
const KAMAILIO_USER_CLASS = "^[-A-Za-z0-9_.!~*'()&=+,;?/]+$";
/** Host names and IPv4 addresses; IPv6 references (`[::1]`) skip the cache. */
const KAMAILIO_DOMAIN_CLASS = '^[-A-Za-z0-9.]+$';

/**
 * A nutcracker (twemproxy 0.5) YAML config with one pool whose placement equals authring's ring:
 * `hash: md5`, `distribution: ketama`, the servers of `memcached.servers` with their weights in
 * twemproxy's canonical order (so ties break as in `KetamaRing`), IPv6 servers written bare
 * (`::1:11311:1`, which nutcracker hashes as `::1:11311`), and `auto_eject_hosts: false` (an
 * ejection would move keys on nutcracker's side only; see docs/ring.md).
 *
 * @param config the cluster config (`memcached.servers`, `timeout_ms`, `failure_threshold`,
 *   `probe_interval_ms` are read).
 * @param options where nutcracker listens, and the pool name.
 * @returns the YAML text; `nutcracker -t -c FILE` accepts it.
 * @throws KamailioConfigError on a malformed listen address, pool name or server.
 */
export function nutcrackerConfig(config: KamailioSourceConfig, options: NutcrackerConfigOptions): string {
  const listen = parseListen('listen', options.listen);
  const poolName = options.poolName ?? 'authring';
  if (!POOL_NAME.test(poolName)) {
    throw new KamailioConfigError('poolName', `${JSON.stringify(poolName)} must be 1..64 letters, digits, "_" or "-"`);
  }
  const servers = canonicalServerOrder(parseServers(config));
  const { memcached } = config;
  return [
    `# nutcracker (twemproxy) pool for authring, generated from ${describeFile(config.file)}.`,
    '# Placement must equal every other client of the ring: do not edit, regenerate instead.',
    '# - hash md5 + distribution ketama: the ketama continuum of libmemcached and authring;',
    '# - servers in canonical order (shorter name first, then bytewise), with the same weights,',
    '#   no names (a name would be hashed instead of host:port);',
    '# - auto_eject_hosts false: an ejected server would move its keys for this proxy only;',
    '#   a down server fails its keys (SERVER_ERROR) and Kamailio falls back to the database.',
    `${poolName}:`,
    `  listen: ${yamlString(`${listen.host}:${listen.port}`)}`,
    '  hash: md5',
    '  distribution: ketama',
    '  auto_eject_hosts: false',
    `  timeout: ${memcached.timeoutMs}`,
    `  server_retry_timeout: ${memcached.probeIntervalMs}`,
    `  server_failure_limit: ${memcached.failureThreshold}`,
    '  preconnect: true',
    '  servers:',
    ...servers.map((server) => `    - ${yamlString(`${server.host}:${server.port}:${server.weight}`)}`),
    '',
  ].join('\n');
}

/**
 * A Kamailio 5.6 cfg fragment (for `include_file`) implementing a read-through cache of
 * `is_user_in("From", group)` on authring's shared entries:
 *
 * 1. read the namespace generation `$mct(<prefix>ns)`; none (no authring node has created it
 *    yet, or memcached fails) → ask the database without caching;
 * 2. key `<prefix><gen>:grp:<FROM USER>[:<FROM DOMAIN>]:<GROUP>` with names folded as the
 *    collation does (`{s.toupper}`), only for names authring keys verbatim;
 * 3. `1` → member, `0` → not a member, anything else (nothing, an empty value,
 *    a lease marker) → `is_user_in` on the database, whose answer is written back with the
 *    cache TTL (`1`, or `0` with the negative TTL).
 *
 * The caller sets {@link KAMAILIO_GROUP_VAR} and calls the route; it returns (and leaves in
 * `$var(authring_rc)`) the codes of {@link KAMAILIO_RC}, and leaves `$var(authring_source)` =
 * `cache` or `db`. Requires `pv.so` and `group.so` (configured like `lookups.group`) loaded
 * before the fragment.
 *
 * @param config the cluster config (`cache.*`, `lookups.group.use_domain`, `memcached.connect_timeout_ms`).
 * @param options the local nutcracker, the groups, the collation's case folding.
 * @returns the fragment text; `kamailio -c` accepts a cfg that includes it.
 * @throws KamailioConfigError for a signed codec (Kamailio cannot read or write signed entries),
 *   a group that cannot be written into the cfg, or a listen address the module cannot parse.
 */
export function kamailioConfig(config: KamailioSourceConfig, options: KamailioConfigOptions): string {
  const { cache } = config;
  const group = config.lookups.group;
  if (cache.codec !== 'plain') {
    throw new KamailioConfigError(
      'cache.codec',
      `is ${JSON.stringify(cache.codec)}; Kamailio reads and writes plain values only, so sharing the cache needs codec: plain`,
    );
  }
  const listen = parseListen('twemproxyListen', options.twemproxyListen);
  const folding = options.caseFolding ?? 'upper';
  if (folding !== 'upper' && folding !== 'none') {
    throw new KamailioConfigError('caseFolding', `must be "upper" or "none", not ${JSON.stringify(folding)}`);
  }
  const groups = [...new Set(options.groups)];
  if (groups.length === 0) throw new KamailioConfigError('groups', 'name at least one group');
  groups.forEach((name, index) => checkGroup(`groups[${index}]`, name));

  const prefix = cfgString(cache.keyPrefix);
  const fold = (name: string): string => (folding === 'upper' ? name.toUpperCase() : name);
  const userExpr = folding === 'upper' ? '$(fU{s.toupper})' : '$fU';
  const domainExpr = folding === 'upper' ? '$(fd{s.toupper})' : '$fd';
  const positiveTtl = ttlStatement(cache.ttlSeconds, cache.jitter);
  const negativeTtl = cache.negativeTtlSeconds > 0 ? ttlStatement(cache.negativeTtlSeconds, cache.jitter) : undefined;
  const keyable = group.useDomain
    ? `$fU != $null && $fd != $null && $fU =~ "${KAMAILIO_USER_CLASS}" && $fd =~ "${KAMAILIO_DOMAIN_CLASS}"`
    : `$fU != $null && $fU =~ "${KAMAILIO_USER_CLASS}"`;
  const keyExpr = [
    `"${prefix}"`,
    '$vn(authring_gen)',
    '":grp:"',
    userExpr,
    ...(group.useDomain ? ['":"', domainExpr] : []),
    '":"',
    '$var(authring_gpart)',
  ].join(' + ');

  const lines = [
    `# authring: shared group-membership cache for Kamailio 5.6, generated from ${describeFile(config.file)}.`,
    '# Do not edit: regenerate it when the cluster config or the group list changes.',
    '#',
    '# Use: load pv.so and group.so (with its db_url) first, then',
    '#   include_file "<this file>"',
    '# and in a route:',
    `#   ${KAMAILIO_GROUP_VAR} = "${cfgComment(groups[0] ?? '')}";`,
    `#   if (route(${KAMAILIO_ROUTE})) { ... the From user is in the group ... }`,
    '# The route returns 1 (member), -6 (not a member), -1 (no From user), -5 (database error,',
    '# nothing cached) or -7 (a group this file was not generated for); the same code is left in',
    '# $var(authring_rc), and $var(authring_source) is "cache" or "db".',
    '#',
    '# The group module must be configured as authring\'s lookups.group, or the two sides cache',
    '# different answers under the same keys:',
    `#   modparam("group", "table", "${cfgComment(group.table)}")`,
    `#   modparam("group", "user_column", "${cfgComment(group.userColumn)}")`,
    `#   modparam("group", "domain_column", "${cfgComment(group.domainColumn)}")`,
    `#   modparam("group", "group_column", "${cfgComment(group.groupColumn)}")`,
    `#   modparam("group", "use_domain", ${group.useDomain ? 1 : 0})`,
    '#',
    `# Keys: ${cfgComment(cache.keyPrefix)}<gen>:grp:<USER>${group.useDomain ? ':<DOMAIN>' : ''}:<GROUP>, <gen> the decimal value of`,
    `# ${cfgComment(cache.keyPrefix)}ns (authring creates and bumps it; bumping it invalidates every entry at once),`,
    `# names folded as the grp table's collation folds them (${folding === 'upper' ? 'case-insensitive: upper case' : 'binary: as written'}).`,
    '# Values: "1" member; "0" not a member (both sides write these).',
    '#',
    '# What this side cannot do (authring nodes do all of it):',
    '# - names that authring percent-encodes or folds through the database (%-escapes, ":", "@",',
    '#   non-ASCII, IPv6 hosts) go to the database every time and are never cached here;',
    '# - no lease and no compare-and-swap: concurrent misses all query the database, and a write',
    '#   racing an invalidation can store the old answer until its TTL expires;',
    '# - without the generation (no authring node has run yet, memcached down) nothing is cached.',
    '',
    'loadmodule "memcached.so"',
    `modparam("memcached", "servers", "${listen.host}:${listen.port}")`,
    `modparam("memcached", "expire", ${cache.ttlSeconds})`,
    '# mode 0: set (a miss answered by the database replaces an unreadable entry such as "").',
    'modparam("memcached", "mode", 0)',
    '# stringify: every value is text (authring\'s "1" has flags 1 anyway; the generation counter,',
    '# flags 0, would otherwise be parsed as an integer, and a lease marker logged as an error).',
    'modparam("memcached", "stringify", 1)',
    `modparam("memcached", "timeout", ${config.memcached.connectTimeoutMs})`,
    '',
    `route[${KAMAILIO_ROUTE}] {`,
    `\t$var(authring_rc) = ${KAMAILIO_RC.unknownGroup};`,
    '\t$var(authring_source) = "none";',
    '\t$var(authring_key) = "";',
    '\t$var(authring_gpart) = "";',
    `\tswitch (${KAMAILIO_GROUP_VAR}) {`,
    ...groups.flatMap((name) => [
      `\t\tcase "${name}":`,
      `\t\t\t$var(authring_gpart) = "${cfgString(groupKeyPart(fold(name)))}";`,
      '\t\t\tbreak;',
    ]),
    '\t\tdefault:',
    `\t\t\treturn(${KAMAILIO_RC.unknownGroup});`,
    '\t}',
    `\tif (${keyable}) {`,
    `\t\t$var(authring_nskey) = "${prefix}ns";`,
    '\t\t$vn(authring_gen) = $mct($var(authring_nskey));',
    '\t\tif ($vn(authring_gen) != $null && $vn(authring_gen) =~ "^[0-9]+$") {',
    `\t\t\t$var(authring_key) = ${keyExpr};`,
    '\t\t\t$vn(authring_value) = $mct($var(authring_key));',
    '\t\t\tif ($vn(authring_value) == "1") {',
    `\t\t\t\t$var(authring_rc) = ${KAMAILIO_RC.member};`,
    '\t\t\t\t$var(authring_source) = "cache";',
    `\t\t\t\treturn(${KAMAILIO_RC.member});`,
    '\t\t\t}',
    `\t\t\tif ($vn(authring_value) == "${KAMAILIO_NEGATIVE_VALUE}") {`,
    `\t\t\t\t$var(authring_rc) = ${KAMAILIO_RC.notMember};`,
    '\t\t\t\t$var(authring_source) = "cache";',
    `\t\t\t\treturn(${KAMAILIO_RC.notMember});`,
    '\t\t\t}',
    '\t\t}',
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
  return lines.join('\n');
}

/** `$var(authring_ttl) = …`: the TTL minus up to `jitter` of it, as authring's engine does. */
function ttlStatement(ttl: number, jitter: number): string {
  const span = Math.floor(ttl * jitter);
  // $TV(u) (the microseconds of the current second) stands in for a random number: the pv module
  // has no $RANDOM (that is cfgutils'), and only the spread matters.
  return span > 1 ? `$var(authring_ttl) = ${ttl} - ($TV(u) mod ${span});` : `$var(authring_ttl) = ${ttl};`;
}

/** The group's key part as authring builds it from an ASCII name: percent-encoded where needed. */
function groupKeyPart(folded: string): string {
  return cacheKey('', 'g', folded).slice('g:'.length);
}

function checkGroup(field: string, name: string): void {
  if (!CFG_GROUP.test(name)) {
    throw new KamailioConfigError(
      field,
      `${JSON.stringify(name)} must be non-empty printable ASCII without ", \\ or $ (is_user_in takes it as a cfg string literal, and other names are keyed by the database's weights)`,
    );
  }
  if (name.endsWith(' ')) {
    throw new KamailioConfigError(field, `${JSON.stringify(name)} ends in a space, which the database ignores; drop it`);
  }
}

/** `host:port` with an IPv4 address or host name. */
function parseListen(field: string, value: string): { host: string; port: number } {
  const match = LISTEN.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new KamailioConfigError(
      field,
      `${JSON.stringify(value)} is not host:port with an IPv4 address or host name (Kamailio's memcached module splits at the first ":")`,
    );
  }
  return { host: match[1] ?? '', port };
}

function parseServers(config: KamailioSourceConfig): ServerSpec[] {
  return config.memcached.servers.map((spec, index) => {
    try {
      return parseServerSpec(spec);
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw new KamailioConfigError(`memcached.servers[${index}]`, error.message);
      throw error;
    }
  });
}

/** A YAML double-quoted scalar (the values are printable ASCII, so JSON's quoting is YAML's). */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

/** `value` inside a Kamailio double-quoted string literal. */
function cfgString(value: string): string {
  return value.replace(/[\\"]/g, (char) => `\\${char}`);
}

/** Text safe on a `#` comment line. */
function cfgComment(value: string): string {
  return value.replace(/[\x00-\x1f\x7f]/g, '?');
}

function describeFile(file: string): string {
  return file === '' ? 'the cluster config' : cfgComment(file);
}
