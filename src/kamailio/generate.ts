/**
 * The Kamailio cfg fragment for a Kamailio node on authring's shared memcached ring: the memcached
 * module pointed at a local nutcracker ({@link nutcrackerConfig}), and read-through routes in front
 * of the group module's `is_user_in` and auth_db's `www_authorize`/`proxy_authorize` that read and
 * write the very entries authring does.
 *
 * docs/kamailio.md is the guide; test/kamailio/shared-cache.test.ts and credentials.test.ts prove
 * the sharing with real processes.
 */
import { checkFolding, describeFile, parseListen, type KamailioCaseFolding } from './cfg-text.js';
import { generateCredentialsRoutes } from './credentials-route.js';
import { KamailioConfigError } from '../errors.js';
import { checkGroups, groupRouteLines } from './group-route.js';
import { pickNode, rpcListenerLines } from './rpc-listener.js';
import type { KamailioSourceConfig } from './source-config.js';

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
   * branch): printable ASCII without `"` or `\` and without trailing spaces. Empty only with
   * `credentials` (then no group route is generated).
   */
  readonly groups: readonly string[];
  /** How the tables' collation folds ASCII names (`grp` and the subscriber table). @default 'upper' */
  readonly caseFolding?: KamailioCaseFolding;
  /**
   * Also generate the credentials routes (`AUTHRING_WWW_AUTHORIZE`, `AUTHRING_PROXY_AUTHORIZE`),
   * whose misses query MySQL through this sqlops connection.
   */
  readonly credentials?: { readonly sqlConnection: string };
  /**
   * Also generate the RPC listener of this node of `kamailio.nodes` (the only one when the name is
   * omitted), so authring can reload its address table (`permissions.addressReload`).
   */
  readonly rpcListener?: { readonly node?: string };
}

/**
 * A Kamailio 5.6 cfg fragment (for `include_file`) with read-through caches on authring's shared
 * entries:
 *
 * - `route[AUTHRING_IS_USER_IN]` for `is_user_in("From", group)` (one branch per group);
 * - with `credentials`, `route[AUTHRING_WWW_AUTHORIZE]` and `route[AUTHRING_PROXY_AUTHORIZE]` for
 *   `www_authorize(realm, table)` / `proxy_authorize(realm, table)`.
 *
 * Each reads the namespace generation `$mct(<prefix>ns)` (none: the route asks the database and
 * caches nothing), builds authring's key with names folded as the collation does, answers from
 * the entry when it holds an answer both sides write, and otherwise asks MySQL once and writes the
 * answer back with the cache TTL.
 *
 * @param config the cluster config (`cache.*`, `lookups.*`, `memcached.connect_timeout_ms`).
 * @param options the local nutcracker, the groups, the collation's case folding, credentials.
 * @returns the fragment text; `kamailio -c` accepts a cfg that includes it.
 * @throws KamailioConfigError for a signed codec (Kamailio cannot read or write signed entries),
 *   a group that cannot be written into the cfg, a listen address the module cannot parse, or a
 *   credentials setup the route cannot serve.
 */
export function kamailioConfig(config: KamailioSourceConfig, options: KamailioConfigOptions): string {
  const { cache } = config;
  if (cache.codec !== 'plain') {
    throw new KamailioConfigError(
      'cache.codec',
      `is ${JSON.stringify(cache.codec)}; Kamailio reads and writes plain values only, so sharing the cache needs codec: plain`,
    );
  }
  const listen = parseListen('twemproxyListen', options.twemproxyListen);
  const folding = checkFolding(options.caseFolding ?? 'upper');
  const groups = checkGroups(options.groups);
  if (groups.length === 0 && options.credentials === undefined) throw new KamailioConfigError('groups', 'name at least one group');
  const kamailio = config.kamailio;
  if (options.rpcListener !== undefined && kamailio === undefined) throw new KamailioConfigError('kamailio', 'is needed for the RPC listener');
  const listener = options.rpcListener === undefined || kamailio === undefined ? [] : rpcListenerLines(kamailio, pickNode(kamailio, options.rpcListener.node));
  const routes = [
    ...(groups.length > 0 ? groupRouteLines(config, groups, folding) : []),
    ...(options.credentials === undefined
      ? []
      : generateCredentialsRoutes(config, { caseFolding: folding, sqlConnection: options.credentials.sqlConnection })),
  ];
  const lines = [
    `# authring: shared cache for Kamailio 5.6, generated from ${describeFile(config.file)}.`,
    '# Do not edit: regenerate it when the cluster config, the group list or the options change.',
    '#',
    '# Use: load pv.so and the modules each section below names first, then',
    '#   include_file "<this file>"',
    '#',
    "# Keys: <key_prefix><gen>:<kind>:<NAMES...>, <gen> the decimal value of <key_prefix>ns (authring",
    '# creates and bumps it; bumping it invalidates every entry at once), names folded as the',
    `# tables' collation folds them (${folding === 'upper' ? 'case-insensitive: upper case' : 'binary: as written'}).`,
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
    ...listener,
    ...routes,
  ];
  return lines.join('\n');
}
