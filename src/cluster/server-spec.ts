import { isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../errors.js';

/** libmemcached and twemproxy leave this port out of a server's ketama name. */
export const MEMCACHED_DEFAULT_PORT = 11211;

/** What a memcached server entry must look like, for messages. */
export const SERVER_SHAPE = '"host:port[:weight]" (IPv6 as "[addr]:port[:weight]")';

/** One memcached server of the ring, parsed from `host:port[:weight]`. */
export interface ServerSpec {
  /** Host name or IP address as written, without brackets for IPv6. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Relative share of the keyspace; a positive integer, 1 when omitted. */
  readonly weight: number;
  /** `host:port` as written (IPv6 as `[addr]:port`): how the server is named in errors, stats and `serverFor`. */
  readonly address: string;
  /**
   * The `host:port` the entry connects to, however it is written: IPv4 in dotted decimal
   * (`127.000.000.001` and `127.1` are `127.0.0.1`, as the system resolver reads them), IPv6
   * compressed and lowercased (RFC 5952) or, when IPv4-mapped, as its IPv4 address, host names
   * lowercased. Two entries with one canonical address are one server (a duplicate).
   */
  readonly canonical: string;
  /**
   * The string the ketama continuum hashes for this server's points: `host:port`, or just `host`
   * when the port is 11211, exactly as libmemcached and twemproxy name servers (as written, so
   * placement matches theirs for the same config).
   */
  readonly ketamaName: string;
}

/** A parsed server entry, or what was expected instead (for a config file's message). */
export type ServerCheck = { readonly ok: true; readonly spec: ServerSpec } | { readonly ok: false; readonly expected: string };

const HOST_PORT = /^(?:\[([^\]]*)\]|([A-Za-z0-9_.-]+)):(\d{1,5})(?::(\d{1,9}))?$/;

/** A host made of numbers only (`127.0.0.1`, `0x7f.1`, `2130706433`): an IPv4 address or nothing. */
const NUMERIC_HOST = /^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+))*$/i;

/**
 * Checks and parses `host:port[:weight]` (IPv6 as `[::1]:11211[:weight]`, host names may hold `_`
 * as resolvers allow): port 1..65535, weight a positive integer, a numeric host a valid IPv4
 * address (else the resolver would look it up as a name). The one parser of server entries:
 * the config file and the cluster client both use it.
 */
export function checkServerSpec(text: string): ServerCheck {
  const match = HOST_PORT.exec(text.trim());
  if (!match) return { ok: false, expected: SERVER_SHAPE };
  const [, ipv6, name, portText, weightText] = match;
  if (ipv6 !== undefined && !isIPv6(ipv6)) return { ok: false, expected: `${SERVER_SHAPE} with a valid IPv6 address in the brackets` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, expected: `${SERVER_SHAPE} with a port 1..65535` };
  const weight = weightText === undefined ? 1 : Number(weightText);
  if (!Number.isSafeInteger(weight) || weight < 1) return { ok: false, expected: `${SERVER_SHAPE} with a weight ≥ 1` };
  const host = ipv6 ?? name ?? '';
  const canonicalHostText = ipv6 === undefined ? canonicalHost(host) : canonicalIPv6(ipv6);
  if (canonicalHostText === undefined) return { ok: false, expected: `${SERVER_SHAPE} with a valid IPv4 address` };
  const address = ipv6 === undefined ? `${host}:${port}` : `[${host}]:${port}`;
  const ketamaName = port === MEMCACHED_DEFAULT_PORT ? host : `${host}:${port}`;
  return { ok: true, spec: { host, port, weight, address, canonical: `${canonicalHostText}:${port}`, ketamaName } };
}

/**
 * Parses `host:port[:weight]`; see {@link checkServerSpec}.
 * @throws InvalidArgumentError naming the offending entry and what was expected.
 */
export function parseServerSpec(text: string): ServerSpec {
  const check = checkServerSpec(text);
  if (!check.ok) throw new InvalidArgumentError(`server ${JSON.stringify(text)}: expected ${check.expected}`);
  return check.spec;
}

/**
 * Parses a server list and rejects duplicates (by canonical address), which would silently
 * double a server's share.
 * @throws InvalidArgumentError on an empty list, a malformed entry or a duplicate.
 */
export function parseServerList(specs: readonly string[]): ServerSpec[] {
  if (specs.length === 0) throw new InvalidArgumentError('the server list is empty');
  const seen = new Set<string>();
  return specs.map((text) => {
    const server = parseServerSpec(text);
    if (seen.has(server.canonical)) throw new InvalidArgumentError(`server ${server.canonical} is listed twice`);
    seen.add(server.canonical);
    return server;
  });
}

/** A host name lowercased, or a numeric host as dotted-decimal IPv4; `undefined` for a bad number. */
function canonicalHost(host: string): string | undefined {
  if (!NUMERIC_HOST.test(host)) return host.toLowerCase();
  const value = inetAton(host);
  return value === undefined ? undefined : dotted(value);
}

/**
 * The IPv4 address `inet_aton` (and so `getaddrinfo`, and Node's `net.connect`) reads in a numeric
 * host: one to four parts, each decimal, octal with a leading `0` or hex with `0x`, the last
 * filling the remaining bytes (`127.1` is 127.0.0.1).
 */
function inetAton(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]+$/i.test(part)) value = Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = Number.parseInt(part, 8);
    else if (/^[1-9]\d*$/.test(part)) value = Number(part);
    else return undefined;
    values.push(value);
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255)) return undefined;
  if (last >= 2 ** (8 * (4 - values.length))) return undefined;
  return values.reduce((sum, v, i) => sum + v * 2 ** (8 * (3 - i)), 0) + last;
}

function dotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** RFC 5952 text of a valid IPv6 address (zone kept); an IPv4-mapped one as its IPv4 address. */
function canonicalIPv6(text: string): string {
  const [address = '', zone] = text.split('%', 2);
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff && zone === undefined) {
    return dotted((groups[6] ?? 0) * 65536 + (groups[7] ?? 0));
  }
  // The longest run of two or more zero groups, the first of equal ones, becomes `::`.
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  const body =
    best.start < 0
      ? hex.join(':')
      : `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
  return `[${body}${zone === undefined ? '' : `%${zone}`}]`;
}

/** The eight 16-bit groups of an IPv6 address already checked by `isIPv6` (zone removed). */
function ipv6Groups(address: string): number[] {
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) is two groups written in decimal.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_all, a: string, b: string, c: string, d: string) =>
    `${(Number(a) * 256 + Number(b)).toString(16)}:${(Number(c) * 256 + Number(d)).toString(16)}`,
  );
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const [head = '', rest] = text.split('::', 2);
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
