/** An IP address as Kamailio's `ip_addr`: a family and the address bits. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bits: bigint;
}

/**
 * Parses an IPv4 dotted quad or an IPv6 address (optionally in brackets), as Kamailio's
 * `str2ip`/`str2ip6` accept them; undefined for anything else. An IPv4-mapped IPv6 address stays
 * IPv6, since Kamailio compares families first.
 */
export function parseIp(text: string): IpAddress | undefined {
  const trimmed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (trimmed.includes(':')) {
    const bits = parseIpv6(trimmed);
    return bits === undefined ? undefined : { family: 6, bits };
  }
  const bits = parseIpv4(trimmed);
  return bits === undefined ? undefined : { family: 4, bits };
}

/** The width of a family's addresses in bits. */
export function familyBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** True when the first `prefix` bits of two addresses of one family agree. */
export function samePrefix(a: IpAddress, b: IpAddress, prefix: number): boolean {
  if (a.family !== b.family) return false;
  const shift = BigInt(familyBits(a.family) - prefix);
  return a.bits >> shift === b.bits >> shift;
}

/**
 * Kamailio's `str2ip`: exactly four dot-separated runs of decimal digits, each accumulated into
 * one byte, so it wraps (`127.0.0.256` is 127.0.0.0) and may be empty or zero-padded; any other
 * character (a space, a letter) makes it no IPv4 address.
 */
function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d*$/.test(part)) return undefined;
    let byte = 0;
    for (const digit of part) byte = (byte * 10 + Number(digit)) & 0xff;
    value = (value << 8n) | BigInt(byte);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): string[] => (half ? half.split(':') : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}
