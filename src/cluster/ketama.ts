import type { ServerSpec } from './server-spec.js';

/** Points libmemcached and twemproxy give each server in weighted ketama mode (40 hashes × 4). */
export const KETAMA_POINTS_PER_SERVER = 160;
/** Each MD5 of `name-i` yields four 32-bit points. */
export const KETAMA_POINTS_PER_HASH = 4;

const f32 = Math.fround;

/**
 * How many `name-i` hashes (each giving four points) weighted ketama assigns a server.
 *
 * libmemcached (`update_continuum`) and twemproxy (`ketama_update`) compute
 * `floor(pct * 160 / 4 * live_servers + 1e-10)` in single-precision `float`, with
 * `pct = (float)weight / (float)total`. hashring computes the same formula in double precision,
 * and the two roundings disagree for some server counts: with 25 equal servers C gets
 * 39.999996 (→ 39 hashes) where JavaScript gets exactly 40; with 7 servers C gets exactly 40 and
 * JavaScript 39.99999999999999 (→ 39). Every intermediate step is rounded to
 * float32 here so the count equals the C one bit for bit. (The `+ 1e-10` cannot change a float32
 * sum of this size, so it is left out.)
 */
export function ketamaHashesPerServer(weight: number, totalWeight: number, liveServers: number): number {
  const pct = f32(f32(weight) / f32(totalWeight));
  const perFour = f32(f32(pct * KETAMA_POINTS_PER_SERVER) / KETAMA_POINTS_PER_HASH);
  return Math.floor(f32(perFour * f32(liveServers)));
}

/** The number of hashes for each server of a list, in list order. */
export function ketamaHashCounts(servers: readonly ServerSpec[]): number[] {
  const total = servers.reduce((sum, server) => sum + server.weight, 0);
  return servers.map((server) => ketamaHashesPerServer(server.weight, total, servers.length));
}

/**
 * twemproxy's server order: it sorts a pool's servers by name (shorter first, then bytewise:
 * `string_compare` in `conf_validate_server`) and builds its continuum in that order, so when two
 * servers hash to the same point the one whose name sorts first owns it. libmemcached breaks the
 * same ties by list position. Building the ring in this order, and handing libmemcached the
 * servers in this order (as the generated configurations do), makes all three agree on ties too.
 */
export function compareKetamaNames(a: ServerSpec, b: ServerSpec): number {
  const x = Buffer.from(a.ketamaName, 'utf8');
  const y = Buffer.from(b.ketamaName, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}

/** The servers in twemproxy's order (see {@link compareKetamaNames}). */
export function canonicalServerOrder(servers: readonly ServerSpec[]): ServerSpec[] {
  return [...servers].sort(compareKetamaNames);
}
