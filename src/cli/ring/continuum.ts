import { createHash } from 'node:crypto';
import { KETAMA_POINTS_PER_HASH, canonicalServerOrder, ketamaHashCounts } from '../../cluster/ketama.js';
import type { ServerSpec } from '../../cluster/server-spec.js';

/** Size of the ketama keyspace: key hashes and points are unsigned 32-bit integers. */
export const KEYSPACE = 2 ** 32;

/**
 * A weighted ketama continuum as plain sorted arrays, built exactly as `KetamaRing` builds its
 * own (servers in canonical order, float32 hash counts, four little-endian points per MD5 of
 * `name-i`, ties kept in canonical order): a key hashing to `h` belongs to the first point
 * `>= h`, wrapping to the first point.
 */
export interface Continuum {
  /** Point values, ascending (ties in canonical server order). */
  readonly values: Uint32Array;
  /** `owners[i]` is the address of the server owning point `i`. */
  readonly owners: readonly string[];
  /** Points per server, by address. */
  readonly points: ReadonlyMap<string, number>;
}

/** Builds the continuum of a server list. */
export function buildContinuum(servers: readonly ServerSpec[]): Continuum {
  const ordered = canonicalServerOrder(servers);
  const counts = ketamaHashCounts(ordered);
  const raw: { value: number; owner: string }[] = [];
  const points = new Map<string, number>();
  ordered.forEach((server, s) => {
    const hashes = counts[s] ?? 0;
    points.set(server.address, hashes * KETAMA_POINTS_PER_HASH);
    for (let i = 0; i < hashes; i++) {
      const digest = createHash('md5').update(`${server.ketamaName}-${i}`).digest();
      for (let j = 0; j < KETAMA_POINTS_PER_HASH; j++) raw.push({ value: digest.readUInt32LE(j * 4), owner: server.address });
    }
  });
  // Array.prototype.sort is stable: equal points stay in canonical server order.
  raw.sort((a, b) => a.value - b.value);
  return { values: Uint32Array.from(raw, (p) => p.value), owners: raw.map((p) => p.owner), points };
}

/** Index of the first point `>= hash`, or 0 when there is none (the wrap-around). */
export function pointFor(continuum: Continuum, hash: number): number {
  const { values } = continuum;
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((values[mid] ?? 0) < hash) low = mid + 1;
    else high = mid;
  }
  return low === values.length ? 0 : low;
}

/** The ketama hash of a wire key: the first four bytes of its MD5, little-endian. */
export function keyHash(wireKey: string): number {
  return createHash('md5').update(wireKey).digest().readUInt32LE(0);
}

/** The address of the server owning a hash. */
export function ownerOf(continuum: Continuum, hash: number): string {
  return continuum.owners[pointFor(continuum, hash)] ?? '';
}
