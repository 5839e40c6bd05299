import { ServerDownError } from '../errors.js';
import type { ClusterNode } from './node.js';
import type { ResolvedClusterOptions } from './options.js';
import { KetamaRing } from './ring.js';

/** Wire keys whose owner a topology remembers (at most about 3 MB of 249-byte keys); past it the memo starts over. */
const OWNER_MEMO_SIZE = 10_000;

/** Where one request goes. */
export interface Route {
  /** The server that will serve the request. */
  readonly node: ClusterNode;
  /** The server that owns the key on the ring. */
  readonly owner: ClusterNode;
  /** True when `node` stands in for a down owner. */
  readonly fallback: boolean;
}

/**
 * The ring plus the nodes it names, swapped as one immutable unit so a request never sees a ring
 * and a node set from two different server lists.
 */
export class Topology {
  /** The main ring. */
  readonly ring: KetamaRing;
  private readonly gutterRing: KetamaRing | undefined;
  /** Recent owners: one map lookup instead of an MD5, a ring search and a lookup by address. */
  private readonly owners = new Map<string, ClusterNode>();

  constructor(
    private readonly options: ResolvedClusterOptions,
    /** Every node by address, ring servers and gutter servers alike. */
    readonly nodes: ReadonlyMap<string, ClusterNode>,
  ) {
    this.ring = new KetamaRing(options.servers);
    this.gutterRing = options.gutter.length > 0 ? new KetamaRing(options.gutter) : undefined;
  }

  /** The owner of a wire key, regardless of its health (what a peer with auto-eject off uses). */
  owner(wireKey: string): ClusterNode {
    let owner = this.owners.get(wireKey);
    if (owner === undefined) {
      owner = this.node(this.ring.serverFor(wireKey).address);
      if (this.owners.size >= OWNER_MEMO_SIZE) this.owners.clear();
      this.owners.set(wireKey, owner);
    }
    return owner;
  }

  /**
   * Picks the server for a wire key: the owner while it is up, else the fallback policy's choice.
   * @throws ServerDownError when the owner is down and no fallback is live.
   */
  route(wireKey: string, key: string): Route {
    const owner = this.owner(wireKey);
    if (owner.health.state === 'up') return { node: owner, owner, fallback: false };
    const candidates =
      this.options.fallback === 'next'
        ? this.ring.successors(wireKey).slice(1)
        : this.options.fallback === 'gutter' && this.gutterRing
          ? this.gutterRing.successors(wireKey)
          : [];
    for (const candidate of candidates) {
      const node = this.node(candidate.address);
      if (node.health.state === 'up') return { node, owner, fallback: true };
    }
    throw new ServerDownError(owner.address, key);
  }

  private node(address: string): ClusterNode {
    const node = this.nodes.get(address);
    // Unreachable: nodes are built from the same server lists as the rings.
    if (!node) throw new ServerDownError(address);
    return node;
  }
}
