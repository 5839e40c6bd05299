/**
 * The demo's subscriber base, built deterministically from a size and a seed so that the parent
 * (which writes it into MySQL) and every proxy node (which asks about it) agree on it without
 * passing it around. Addresses are loopback and documentation ranges only (127/8, 192.0.2/24,
 * 198.51.100/24, 203.0.113/24, 2001:db8::/32, ::1): inert data nothing ever connects to.
 */
import { createHash } from 'node:crypto';
import { randomIndex, seededRandom, type Random } from './random.js';

/** The SIP domains subscribers are spread over (RFC 2606 names). */
export const DEMO_DOMAINS = ['example.com', 'example.net', 'example.org'] as const;

/** The `grp` groups subscribers may be in, with the share of subscribers in each. */
export const DEMO_GROUPS: readonly { readonly name: string; readonly share: number }[] = [
  { name: 'ipauth', share: 0.2 },
  { name: 'voicemail', share: 0.6 },
  { name: 'intl', share: 0.15 },
  { name: 'ops', share: 0.02 },
];

/** One subscriber: a `subscriber` row, its `grp` rows, and where its requests come from. */
export interface DemoSubscriber {
  readonly username: string;
  readonly domain: string;
  readonly password: string;
  /** md5(`username:domain:password`), the `ha1` column. */
  readonly ha1: string;
  /** md5(`username@domain:domain:password`), the `ha1b` column. */
  readonly ha1b: string;
  /** Its `grp` rows' group names. */
  readonly groups: readonly string[];
  /** The source address its requests arrive from (asked of `allow_address`). */
  readonly sourceIp: string;
}

/** One `address` row. */
export interface DemoAddressRow {
  readonly grp: number;
  readonly ipAddr: string;
  readonly mask: number;
  readonly port: number;
  readonly tag: string | null;
}

/** The whole population. */
export interface Population {
  readonly subscribers: readonly DemoSubscriber[];
  readonly addresses: readonly DemoAddressRow[];
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Where a subscriber's requests come from: some addresses are in the table, some are not. */
function sourceIp(random: Random): string {
  const kind = random();
  const octet = (n: number): number => randomIndex(random, n);
  if (kind < 0.35) return `127.1.${octet(256)}.${1 + octet(254)}`; // 127.1.0.0/16, group 1
  if (kind < 0.55) return `198.51.100.${10 + octet(40)}`; // hosts .10-.29 are listed
  if (kind < 0.7) return `192.0.2.${octet(32)}`; // 192.0.2.0/28 is listed
  if (kind < 0.78) return `2001:db8:1::${(1 + octet(0xfffe)).toString(16)}`; // 2001:db8:1::/48
  if (kind < 0.85) return `2001:db8:2::${(1 + octet(16)).toString(16)}`; // hosts ::1-::8 are listed
  return `203.0.113.${octet(256)}`; // group 2 only
}

/** The `address` table: a few dozen rows in groups 1-3. */
function addressRows(): DemoAddressRow[] {
  const rows: DemoAddressRow[] = [
    { grp: 1, ipAddr: '127.1.0.0', mask: 16, port: 0, tag: 'lab-net' },
    { grp: 1, ipAddr: '127.2.3.0', mask: 24, port: 5060, tag: null },
    { grp: 1, ipAddr: '192.0.2.0', mask: 28, port: 0, tag: 'office' },
    { grp: 1, ipAddr: '2001:db8:1::', mask: 48, port: 0, tag: 'v6-office' },
  ];
  for (let host = 10; host < 30; host += 1) {
    rows.push({ grp: 1, ipAddr: `198.51.100.${host}`, mask: 32, port: 5060, tag: `pbx-${host}` });
  }
  for (let host = 1; host <= 8; host += 1) {
    rows.push({ grp: 1, ipAddr: `2001:db8:2::${host}`, mask: 128, port: 5060, tag: `v6-pbx-${host}` });
  }
  rows.push(
    { grp: 2, ipAddr: '203.0.113.0', mask: 25, port: 5060, tag: 'carrier-a' },
    { grp: 2, ipAddr: '203.0.113.128', mask: 25, port: 5080, tag: 'carrier-b' },
    { grp: 2, ipAddr: '127.0.0.0', mask: 8, port: 0, tag: null },
    { grp: 3, ipAddr: '::1', mask: 128, port: 0, tag: 'localhost' },
  );
  return rows;
}

/**
 * Builds the population: `size` subscribers named `sub00001`.. spread over {@link DEMO_DOMAINS},
 * each with a password, its HA1 values, some groups and a source address, plus the address table.
 *
 * @param size how many subscribers.
 * @param seed the same seed gives the same population.
 */
export function buildPopulation(size: number, seed: number): Population {
  const random = seededRandom(seed);
  const subscribers: DemoSubscriber[] = [];
  for (let i = 0; i < size; i += 1) {
    const username = `sub${String(i + 1).padStart(5, '0')}`;
    const domain = DEMO_DOMAINS[i % DEMO_DOMAINS.length] ?? 'example.com';
    const password = `pw-${Math.floor(random() * 2 ** 32).toString(36)}`;
    subscribers.push({
      username,
      domain,
      password,
      ha1: md5Hex(`${username}:${domain}:${password}`),
      ha1b: md5Hex(`${username}@${domain}:${domain}:${password}`),
      groups: DEMO_GROUPS.filter((group) => random() < group.share).map((group) => group.name),
      sourceIp: sourceIp(random),
    });
  }
  return { subscribers, addresses: addressRows() };
}
