/**
 * The nutcracker (twemproxy) pool a Kamailio node talks to: placement equal to authring's
 * `KetamaRing` (ketama + md5, same servers, weights and canonical order, no ejection).
 */
import { canonicalServerOrder } from '../cluster/ketama.js';
import { parseServerSpec, type ServerSpec } from '../cluster/server-spec.js';
import { InvalidArgumentError } from '../errors.js';
import { describeFile, parseListen } from './cfg-text.js';
import { KamailioConfigError } from '../errors.js';
import type { KamailioSourceConfig } from './source-config.js';

/** Options of {@link nutcrackerConfig}. */
export interface NutcrackerConfigOptions {
  /** Where nutcracker listens, `host:port` (IPv4 address or host name), e.g. `127.0.0.1:22121`. */
  readonly listen: string;
  /** The pool's name in the YAML. @default 'authring' */
  readonly poolName?: string;
}

const POOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

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
 * @throws KamailioConfigError on a malformed listen address, pool name or server, or when the
 *   servers need SASL or TLS, which nutcracker cannot speak.
 */
export function nutcrackerConfig(config: KamailioSourceConfig, options: NutcrackerConfigOptions): string {
  // nutcracker speaks the text protocol over plain TCP: it can neither authenticate (and memcached
  // -S refuses the text protocol) nor speak TLS. See docs/cluster.md, "SASL and TLS".
  const secured = config.memcached.sasl !== undefined ? 'memcached.sasl' : config.memcached.tls !== undefined ? 'memcached.tls' : undefined;
  if (secured !== undefined) {
    throw new KamailioConfigError(secured, 'is set, but nutcracker speaks neither SASL nor TLS: Kamailio nodes cannot use these servers');
  }
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
