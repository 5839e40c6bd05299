/**
 * The demo's people, derived from a seed and an index so that the database, the churn, the judge
 * and every proxy node agree on them without passing them around or building them all. Addresses
 * are loopback and documentation ranges only: inert data nothing connects to.
 */
import type { AddressRow } from '../src/index.js';
import { digestHa1 } from '../test/helpers/kamailio-db.js';
import { randomIndex, seededRandom } from '../tools/random.js';

/** The SIP domains subscribers are spread over (RFC 2606 names). */
export const DOMAINS = ['example.com', 'example.net', 'example.org'] as const;

/** The group every SIP request asks about (`is_user_in("From", "ipauth")`). */
export const ASKED_GROUP = 'ipauth';

/** Names scanners keep guessing: asked about, never provisioned. */
const GHOSTS = 20;

/** One person the workload may ask about. */
export type Person = ReturnType<Population['person']>;

/** Who exists: subscribers `0..size-1` at the start, then prospects churn may add, then ghosts. */
export class Population {
  /** Prospects: not subscribers at the start; churn provisions them. */
  readonly prospects: number;
  /** Everyone the workload asks about. */
  readonly people: number;

  constructor(
    /** Subscribers at the start. */
    readonly size: number,
    readonly seed: number,
  ) {
    this.prospects = Math.max(20, Math.ceil(size / 100));
    this.people = size + this.prospects + GHOSTS;
  }

  /**
   * Person `i` (0-based): their name, first password (churn changes it; see {@link passwordOf}),
   * `grp` rows at the start, and the source address their requests come from.
   */
  person(i: number) {
    const random = seededRandom(this.seed ^ Math.imul(i + 1, 0x9e3779b1));
    const kind = i < this.size ? 'sub' : i < this.size + this.prospects ? 'new' : 'ghost';
    return {
      user: `${kind}${String(i + 1).padStart(6, '0')}`,
      domain: DOMAINS[i % DOMAINS.length] ?? 'example.com',
      password: passwordOf(i, 0),
      groups: [['ipauth', 0.3], ['voicemail', 0.6], ['intl', 0.15]].filter(([, share]) => random() < Number(share)).map(([name]) => String(name)),
      sourceIp: sourceIp(() => randomIndex(random, 256)),
    };
  }
}

/** The password of person `i` after `version` changes. */
export function passwordOf(i: number, version: number): string {
  return `pw-${(i * 2_654_435_761 + version * 40_503).toString(36)}-${version}`;
}

/** `ha1` (md5 of user:domain:password) and `ha1b` (md5 of user@domain:domain:password), as auth_db reads them. */
export function ha1Of(user: string, domain: string, password: string): { ha1: string; ha1b: string } {
  return { ha1: digestHa1(user, domain, password), ha1b: digestHa1(`${user}@${domain}`, domain, password) };
}

/** Where a person's requests come from: some addresses are in the table, some are not. */
function sourceIp(octet: () => number): string {
  const kind = octet() / 256;
  if (kind < 0.35) return `127.1.${octet()}.${1 + (octet() % 254)}`; // 127.1.0.0/16 is listed
  if (kind < 0.6) return `198.51.100.${10 + (octet() % 40)}`; // .10-.29 listed, .30-.49 churn adds
  if (kind < 0.75) return `192.0.2.${octet() % 32}`; // 192.0.2.0/28 is listed
  return `203.0.113.${octet()}`; // group 2 only
}

/** The PBX hosts churn toggles: 198.51.100.10-49, one bit each in a mask (10-29 present at the start). */
export const PBX_HOSTS = { first: 10, count: 40, initialMask: 2 ** 20 - 1 } as const;

/** The row of PBX host `bit` of {@link PBX_HOSTS} (198.51.100.x/32, port 5060): rows churn adds and removes. */
export function pbxRow(bit: number): AddressRow {
  const host = PBX_HOSTS.first + bit;
  return { group: 1, ip: `198.51.100.${host}`, mask: 32, port: 5060, tag: `pbx-${host}` };
}

/** Whether PBX host `bit` is in `mask`; masks exceed 32 bits, so no bitwise operators. */
export function hasPbx(mask: number, bit: number): boolean {
  return Math.floor(mask / 2 ** bit) % 2 === 1;
}

/** The `address` table with the PBX hosts in `mask`: a few dozen rows in groups 1-3 (by default as the demo creates it). */
export function addressTable(mask: number = PBX_HOSTS.initialMask): AddressRow[] {
  const pbx = Array.from({ length: PBX_HOSTS.count }, (_, bit) => bit).filter((bit) => hasPbx(mask, bit));
  return [
    { group: 1, ip: '127.1.0.0', mask: 16, port: 0, tag: 'lab-net' },
    { group: 1, ip: '192.0.2.0', mask: 28, port: 0, tag: 'office' },
    { group: 1, ip: '2001:db8:1::', mask: 48, port: 0, tag: 'v6-office' },
    { group: 2, ip: '203.0.113.0', mask: 25, port: 5060, tag: 'carrier-a' },
    { group: 3, ip: '::1', mask: 128, port: 0, tag: 'localhost' },
    ...pbx.map(pbxRow),
  ];
}
