import { familyBits, parseIp, samePrefix, type IpAddress } from './ip.js';

/** One row of Kamailio's `address` table. */
export interface AddressRow {
  readonly group: number;
  readonly ip: string;
  readonly mask: number;
  readonly port: number;
  readonly tag: string | null;
}

/**
 * The rows of a cached address table, or undefined when `text` is not what the address lookup
 * stores (a JSON array of rows with numeric group, mask and port, a string ip, a string or null tag).
 */
export function parseAddressRows(text: string): AddressRow[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const rows: AddressRow[] = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { group, ip, mask, port, tag } = item as Record<string, unknown>;
    if (typeof group !== 'number' || typeof mask !== 'number' || typeof port !== 'number' || typeof ip !== 'string') return undefined;
    if (tag !== null && typeof tag !== 'string') return undefined;
    rows.push({ group, ip, mask, port, tag });
  }
  return rows;
}

interface Subnet {
  readonly address: IpAddress;
  readonly mask: number;
  readonly port: number;
}

/**
 * The whole `address` table, matched as Kamailio 5.6's permissions module matches it: rows whose
 * mask covers the full address (32 or 128) are exact host entries, and so are rows with mask 0
 * (Kamailio 5.6 reads 0 as "no mask", i.e. a host; its README says so and the differential test
 * confirms it); the others are subnets compared on their first `mask` bits, whatever host bits
 * the row holds. A row's port 0 matches any port, another port only itself; the address family
 * must agree (an IPv4-mapped IPv6 address does not match an IPv4 row).
 */
export class AddressTable {
  /** Rows that could not be used (unparsable address or mask out of range), for diagnostics. */
  readonly rejected: readonly AddressRow[];
  private readonly hosts = new Map<string, number[]>();
  private readonly subnets = new Map<number, Subnet[]>();

  constructor(rows: readonly AddressRow[]) {
    const rejected: AddressRow[] = [];
    for (const row of rows) {
      const address = parseIp(row.ip);
      if (!address || !Number.isInteger(row.mask) || row.mask < 0 || row.mask > familyBits(address.family)) {
        rejected.push(row);
        continue;
      }
      if (row.mask === 0 || row.mask === familyBits(address.family)) {
        const key = hostKey(row.group, address);
        this.hosts.set(key, [...(this.hosts.get(key) ?? []), row.port]);
      } else {
        this.subnets.set(row.group, [...(this.subnets.get(row.group) ?? []), { address, mask: row.mask, port: row.port }]);
      }
    }
    this.rejected = rejected;
  }

  /** Kamailio's `allow_address(group, ip, port)`. An unparsable `ip` matches nothing. */
  allows(ip: string, group: number, port: number): boolean {
    const address = parseIp(ip);
    if (!address) return false;
    const portMatches = (rowPort: number): boolean => rowPort === 0 || rowPort === port;
    if ((this.hosts.get(hostKey(group, address)) ?? []).some(portMatches)) return true;
    return (this.subnets.get(group) ?? []).some((s) => portMatches(s.port) && samePrefix(address, s.address, s.mask));
  }
}

function hostKey(group: number, address: IpAddress): string {
  return `${group}/${address.family}/${address.bits.toString(16)}`;
}
