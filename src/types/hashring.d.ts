// Narrow typings for hashring 3.x, covering only what authring uses. The published @types/hashring
// misses the per-server `vnodes` form and the `'vnode count'` option that exact ketama needs.
declare module 'hashring' {
  /** Per-server settings; `vnodes` overrides the computed number of 4-point hashes. */
  interface HashRingServerOptions {
    weight?: number;
    vnodes?: number;
  }

  interface HashRingOptions {
    'vnode count'?: number;
    'max cache size'?: number;
    'default port'?: number;
    replicas?: number;
    compatibility?: 'ketama' | 'hash_ring';
  }

  class HashRing {
    constructor(
      servers: string | string[] | Record<string, HashRingServerOptions>,
      algorithm?: string,
      options?: HashRingOptions,
    );
    /** The server string owning `key`, or undefined for an empty ring. */
    get(key: string): string | undefined;
    /** Up to `size` servers in ring order starting at the key's position (distinct when `unique`). */
    range(key: string, size?: number, unique?: boolean): string[];
    /** Each server's continuum points. */
    points(servers?: string[]): Record<string, number[]>;
    /** Number of points on the continuum. */
    readonly size: number;
    /** The sorted continuum. */
    readonly ring: ReadonlyArray<{ readonly value: number; readonly server: string }>;
  }

  export default HashRing;
}
