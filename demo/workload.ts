/**
 * The SIP requests a proxy node replays: one pass over its share of everyone the workload will ask
 * about (phones registering after a restart: the warm-up), then users drawn with a Zipf skew, the
 * same users hot on every node, plus a few unknown names (prospects, scanners). Deterministic per
 * seed and node, so every phase replays the same requests.
 */
import { permutation, randomIndex, seededRandom, ZipfSampler, type Random } from '../tools/random.js';
import type { PhaseSetup } from './setup.js';
import type { Population } from './population.js';

/** A node's requests: who asks (a person index) and from which port, in order. */
export interface Workload {
  readonly who: Uint32Array;
  readonly port: Uint16Array;
  /** The first `warmup` requests are the pass over the node's share of the people. */
  readonly warmup: number;
}

/** Share of steady-state requests from names that are not subscribers (prospects, scanners). */
const UNKNOWN_SHARE = 0.02;

/** Builds node `node`'s requests (seeded by the population's seed). */
export function buildWorkload(population: Population, spec: Pick<PhaseSetup, 'nodes' | 'requests' | 'zipf'>, node: number): Workload {
  const random = seededRandom(population.seed + node * 7919);
  const share = Array.from({ length: Math.ceil((population.people - node) / spec.nodes) }, (_, k) => node + k * spec.nodes);
  const order = permutation(share.length, random);
  const total = share.length + spec.requests;
  const who = new Uint32Array(total);
  const port = new Uint16Array(total);
  order.forEach((index, i) => (who[i] = share[index] ?? 0));
  const hot = popular(population, spec.zipf);
  const unknown = population.people - population.size;
  for (let i = share.length; i < total; i += 1) who[i] = random() < UNKNOWN_SHARE ? population.size + randomIndex(random, unknown) : hot(random);
  for (let i = 0; i < total; i += 1) port[i] = random() < 0.8 ? 5060 : 5080;
  return { who, port, warmup: share.length };
}

/**
 * Draws subscribers by popularity: Zipf over a popularity order that is a property of the
 * population, so the same users are hot on every node and for the churn.
 */
export function popular(population: Population, exponent: number): (random: Random) => number {
  const byPopularity = permutation(population.size, seededRandom(population.seed ^ 0x5bd1e995));
  const zipf = new ZipfSampler(population.size, exponent);
  return (random) => byPopularity[zipf.sample(random)] ?? 0;
}
