import { InvalidArgumentError } from '../errors.js';

/** libmemcached and twemproxy leave this port out of a server's ketama name. */
export const MEMCACHED_DEFAULT_PORT = 11211;

/** One memcached server of the ring, parsed from `host:port[:weight]`. */
export interface ServerSpec {
  /** Host name or IP address, without brackets for IPv6. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Relative share of the keyspace; a positive integer, 1 when omitted. */
  readonly weight: number;
  /** `host:port` (IPv6 as `[addr]:port`): how the server is named in errors, stats and `serverFor`. */
  readonly address: string;
  /**
   * The string the ketama continuum hashes for this server's points: `host:port`, or just `host`
   * when the port is 11211, exactly as libmemcached and twemproxy name servers.
   */
  readonly ketamaName: string;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})(?::(\d{1,9}))?$/;

/**
 * Parses `host:port[:weight]` (IPv6 as `[::1]:11211[:weight]`).
 * @throws InvalidArgumentError naming the offending spec.
 */
export function parseServerSpec(spec: string): ServerSpec {
  const match = HOST_PORT.exec(spec.trim());
  if (!match) {
    throw new InvalidArgumentError(
      `server ${JSON.stringify(spec)} is not host:port[:weight] (IPv6 as [addr]:port[:weight])`,
    );
  }
  const ipv6 = match[1];
  const host = ipv6 ?? match[2] ?? '';
  const port = Number(match[3]);
  const weight = match[4] === undefined ? 1 : Number(match[4]);
  if (port < 1 || port > 65535) {
    throw new InvalidArgumentError(`server ${JSON.stringify(spec)}: port must be 1..65535`);
  }
  if (!Number.isSafeInteger(weight) || weight < 1) {
    throw new InvalidArgumentError(`server ${JSON.stringify(spec)}: weight must be a positive integer`);
  }
  const address = ipv6 === undefined ? `${host}:${port}` : `[${host}]:${port}`;
  const ketamaName = port === MEMCACHED_DEFAULT_PORT ? host : `${host}:${port}`;
  return { host, port, weight, address, ketamaName };
}

/**
 * Parses a server list and rejects duplicates, which would silently double a server's share.
 * @throws InvalidArgumentError on an empty list, a malformed entry or a duplicate.
 */
export function parseServerList(specs: readonly string[]): ServerSpec[] {
  if (specs.length === 0) throw new InvalidArgumentError('the server list is empty');
  const seen = new Set<string>();
  return specs.map((spec) => {
    const server = parseServerSpec(spec);
    if (seen.has(server.address)) {
      throw new InvalidArgumentError(`server ${server.address} is listed twice`);
    }
    seen.add(server.address);
    return server;
  });
}
