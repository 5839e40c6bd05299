import { KEYSPACE, ownerOf, type Continuum } from './continuum.js';

/** Keys moving from one server to another when the ring changes. */
export interface Flow {
  /** Owner on the current ring. */
  readonly from: string;
  /** Owner on the changed ring. */
  readonly to: string;
  /** Fraction of the whole keyspace (0..1). */
  readonly fraction: number;
}

/** What a ring change does to placement, exactly. */
export interface Movement {
  /** Fraction of the 2^32 key hashes whose owner changes (0..1). */
  readonly moved: number;
  /** The moved hashes by (from, to), largest first. */
  readonly flows: readonly Flow[];
}

/**
 * The exact fraction of the keyspace that changes owner between two continua.
 *
 * The union of both rings' points cuts the circle into arcs on which neither ring's owner
 * changes: the arc ending at point `p` (from the previous union point, exclusive, to `p`,
 * inclusive) holds `p - previous` hashes, all owned in each ring by that ring's first point
 * `>= p`; the first arc wraps around from the last union point through 2^32 to the first one.
 * Summing the arcs whose owners differ integrates ownership over all 2^32 hashes, with no sampling.
 */
export function movement(before: Continuum, after: Continuum): Movement {
  const cuts = union(before.values, after.values);
  const flows = new Map<string, number>();
  let moved = 0;
  for (let i = 0; i < cuts.length; i++) {
    const end = cuts[i] ?? 0;
    const start = i === 0 ? (cuts[cuts.length - 1] ?? 0) - KEYSPACE : (cuts[i - 1] ?? 0);
    const from = ownerOf(before, end);
    const to = ownerOf(after, end);
    if (from === to) continue;
    const length = end - start;
    moved += length;
    const flow = `${from}\n${to}`;
    flows.set(flow, (flows.get(flow) ?? 0) + length);
  }
  return {
    moved: moved / KEYSPACE,
    flows: [...flows]
      .map(([flow, length]): Flow => {
        const [from = '', to = ''] = flow.split('\n');
        return { from, to, fraction: length / KEYSPACE };
      })
      .sort((a, b) => b.fraction - a.fraction || a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
  };
}

/** The distinct values of two ascending arrays, ascending. */
function union(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? (a[i] ?? 0) : Infinity;
    const y = j < b.length ? (b[j] ?? 0) : Infinity;
    const next = Math.min(x, y);
    if (x === next) i++;
    if (y === next) j++;
    if (n === 0 || out[n - 1] !== next) out[n++] = next;
  }
  return out.subarray(0, n);
}
