/**
 * The auth questions a proxy node asks: one simulated SIP request asks `is_user_in`, the
 * subscriber's digest credentials and `allow_address` for its source. Users are drawn with a Zipf
 * skew (the same users are hot on every node, as busy trunks and call-centre lines are), plus a
 * small share of unknown users (scanners guessing names). Deterministic per node and seed, so both
 * phases replay exactly the same questions.
 */
import { DEMO_DOMAINS, type Population } from './population.js';
import { permutation, randomIndex, seededRandom, ZipfSampler } from './random.js';

/** What a node replays; sent by the parent, identical in both phases. */
export interface WorkloadSpec {
  /** The node's index (0-based); each node draws its own sequence. */
  readonly node: number;
  /** SIP requests to replay. */
  readonly requests: number;
  /** Requests in flight at once (a Kamailio instance's worker processes). */
  readonly concurrency: number;
  /** Seed of the workload; the node's sequence is drawn from seed + node. */
  readonly seed: number;
  /** Subscribers in the population (see {@link buildPopulation}). */
  readonly subscribers: number;
  /** Seed of the population. */
  readonly populationSeed: number;
  /** Zipf exponent of user popularity. */
  readonly zipfExponent: number;
  /** Share of requests from users that do not exist. */
  readonly unknownShare: number;
}

/** The three questions of one SIP request. */
export interface Question {
  readonly user: string;
  readonly domain: string;
  /** Asked of `is_user_in`. */
  readonly group: string;
  /** The request's source address and port, asked of `allow_address`. */
  readonly ip: string;
  readonly port: number;
  /** The `address` group `allow_address` checks. */
  readonly addressGroup: number;
}

/** How often each group is asked about (not how many users are in it). */
const ASKED_GROUPS: readonly { readonly name: string; readonly weight: number }[] = [
  { name: 'ipauth', weight: 0.5 },
  { name: 'voicemail', weight: 0.3 },
  { name: 'intl', weight: 0.2 },
];

/**
 * The node's questions, in order.
 *
 * @param spec what to replay.
 * @param population the population built from `spec.subscribers` and `spec.populationSeed`.
 */
export function buildWorkload(spec: WorkloadSpec, population: Population): Question[] {
  const { subscribers } = population;
  // Popularity order: the same for every node (a property of the population).
  const byPopularity = permutation(subscribers.length, seededRandom(spec.populationSeed ^ 0x9e3779b9));
  const zipf = new ZipfSampler(subscribers.length, spec.zipfExponent);
  const random = seededRandom(spec.seed + spec.node * 7919);
  const questions: Question[] = [];
  for (let i = 0; i < spec.requests; i += 1) {
    const port = random() < 0.8 ? 5060 : 5080;
    const addressGroup = random() < 0.9 ? 1 : 2;
    const group = pickGroup(random());
    if (random() < spec.unknownShare) {
      questions.push({
        user: `ghost${randomIndex(random, 1000)}`,
        domain: DEMO_DOMAINS[randomIndex(random, DEMO_DOMAINS.length)] ?? 'example.com',
        group,
        ip: `203.0.113.${randomIndex(random, 256)}`,
        port,
        addressGroup,
      });
      continue;
    }
    const subscriber = subscribers[byPopularity[zipf.sample(random)] ?? 0];
    if (subscriber === undefined) throw new Error('empty population');
    questions.push({ user: subscriber.username, domain: subscriber.domain, group, ip: subscriber.sourceIp, port, addressGroup });
  }
  return questions;
}

function pickGroup(u: number): string {
  let sum = 0;
  for (const group of ASKED_GROUPS) {
    sum += group.weight;
    if (u < sum) return group.name;
  }
  return ASKED_GROUPS.at(-1)?.name ?? 'ipauth';
}

/**
 * How many different lookups the questions of all nodes ask: one per subscriber asked about,
 * one per (subscriber, group), plus the address table (one entry for all addresses). That is the
 * fewest SQL queries a cold shared cache can get by with. Names are ASCII and compared
 * case-insensitively, as the `utf8mb4_general_ci` columns do; the domain counts (`use_domain`).
 */
export function distinctLookups(workloads: readonly (readonly Question[])[]): number {
  const keys = new Set<string>();
  for (const questions of workloads) {
    for (const q of questions) {
      const user = `${q.user}@${q.domain}`.toLowerCase();
      keys.add(`cred ${user}`);
      keys.add(`grp ${user} ${q.group.toLowerCase()}`);
    }
  }
  return keys.size + 1;
}
