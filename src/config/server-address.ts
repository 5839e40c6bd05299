import { isIPv6 } from 'node:net';

const SERVER = /^(?:\[([^\]]*)\]|([A-Za-z0-9.-]+)):(\d{1,5})(?::(\d{1,9}))?$/;

/** What a memcached server entry must look like, for messages. */
export const SERVER_SHAPE = '"host:port[:weight]" (IPv6 as "[addr]:port[:weight]")';

/** A checked server entry, or why it was refused. */
export type ServerCheck = { readonly ok: true; readonly address: string } | { readonly ok: false; readonly expected: string };

/**
 * Checks the shape of a `host:port[:weight]` entry the way the cluster client parses it (which
 * this layer may not import): port 1..65535, weight a positive integer, IPv6 in brackets.
 * `address` is `host:port`, to find duplicates.
 */
export function checkServer(spec: string): ServerCheck {
  const match = SERVER.exec(spec);
  if (!match) return { ok: false, expected: SERVER_SHAPE };
  const [, ipv6, host, port, weight] = match;
  if (ipv6 !== undefined && !isIPv6(ipv6)) {
    return { ok: false, expected: `${SERVER_SHAPE} with a valid IPv6 address in the brackets` };
  }
  const portNumber = Number(port);
  if (portNumber < 1 || portNumber > 65535) return { ok: false, expected: `${SERVER_SHAPE} with a port 1..65535` };
  if (weight !== undefined && Number(weight) < 1) {
    return { ok: false, expected: `${SERVER_SHAPE} with a weight ≥ 1` };
  }
  const address = ipv6 === undefined ? `${host ?? ''}:${portNumber}` : `[${ipv6.toLowerCase()}]:${portNumber}`;
  return { ok: true, address };
}
