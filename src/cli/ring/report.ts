import { KetamaRing } from '../../cluster/ring.js';
import type { ServerSpec } from '../../cluster/server-spec.js';
import { UsageError } from '../../errors.js';
import { errorMessage } from '../exit.js';
import { percentNumber } from '../format.js';
import { buildContinuum, type Continuum } from './continuum.js';
import { movement, type Flow } from './movement.js';

/** One server's place on a ring. */
export interface RingServer {
  /** `host:port`. */
  readonly address: string;
  /** Configured weight. */
  readonly weight: number;
  /** Points on the continuum (4 per hash). */
  readonly points: number;
  /** Share of the keyspace, 0..1 (`KetamaRing.shares()`). */
  readonly share: number;
  /** The share in percent, rounded to 4 decimals. */
  readonly percent: number;
}

/** A ring with everything the `ring` command shows and needs to place keys. */
export interface RingView {
  readonly ring: KetamaRing;
  readonly continuum: Continuum;
  /** The servers in configuration order. */
  readonly servers: readonly RingServer[];
}

/** The comparison of the configured ring with a changed one. */
export interface RingComparison {
  readonly after: RingView;
  /** Servers only on the changed ring. */
  readonly added: readonly string[];
  /** Servers only on the configured ring. */
  readonly removed: readonly string[];
  /** Exact fraction of the keyspace that would change owner. */
  readonly moved: number;
  /** The moved keyspace by (from, to). */
  readonly flows: readonly Flow[];
}

/**
 * Builds the ring of a server list and each server's share.
 * @throws UsageError when no server gets a point (a ring of `1000,1` weights is fine; an empty one is not).
 */
export function viewRing(servers: readonly ServerSpec[]): RingView {
  let ring: KetamaRing;
  try {
    ring = new KetamaRing(servers);
  } catch (error) {
    throw new UsageError(`cannot build the ring: ${errorMessage(error)}`);
  }
  const continuum = buildContinuum(servers);
  const shares = ring.shares();
  return {
    ring,
    continuum,
    servers: servers.map((s) => {
      const share = shares.get(s.address) ?? 0;
      return { address: s.address, weight: s.weight, points: continuum.points.get(s.address) ?? 0, share, percent: percentNumber(share) };
    }),
  };
}

/** Compares the configured ring with a changed server list. */
export function compareRings(before: RingView, afterServers: readonly ServerSpec[]): RingComparison {
  const after = viewRing(afterServers);
  const beforeSet = new Set(before.servers.map((s) => s.address));
  const afterSet = new Set(after.servers.map((s) => s.address));
  const { moved, flows } = movement(before.continuum, after.continuum);
  return {
    after,
    added: [...afterSet].filter((a) => !beforeSet.has(a)),
    removed: [...beforeSet].filter((a) => !afterSet.has(a)),
    moved,
    flows,
  };
}
