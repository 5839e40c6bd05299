import HashRing from 'hashring';
import { InvalidArgumentError } from '../errors.js';
import { canonicalServerOrder, ketamaHashCounts } from './ketama.js';
import type { ServerSpec } from './server-spec.js';

const KEYSPACE = 2 ** 32;

/**
 * A weighted ketama continuum whose placement equals libmemcached's
 * `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED` and twemproxy's `ketama` + `md5`.
 *
 * The continuum is built by hashring; two of its defaults are overridden so it agrees with the C
 * implementations: each server's hash count is computed in float32 (see {@link ketamaHashCounts})
 * and handed to hashring as an explicit `vnodes`, with hashring's own default set to 0 so its
 * double-precision formula never runs; and each server is named by its ketama name (`host` alone
 * for port 11211), which is what the C code hashes.
 *
 * Servers are placed in twemproxy's canonical order ({@link canonicalServerOrder}) whatever the
 * order given, so placement never depends on list order, even for the rare keys whose point two
 * servers share.
 *
 * The ring maps wire keys (already legal memcached keys, see `toWireKey`) to servers. It holds
 * no connections and is immutable: a new server list means a new ring.
 */
export class KetamaRing {
  /** The servers, in canonical (twemproxy) order. */
  readonly servers: readonly ServerSpec[];
  private readonly ring: HashRing;
  private readonly byName = new Map<string, ServerSpec>();

  constructor(servers: readonly ServerSpec[]) {
    if (servers.length === 0) throw new InvalidArgumentError('a ring needs at least one server');
    this.servers = canonicalServerOrder(servers);
    const counts = ketamaHashCounts(this.servers);
    const hashringServers: Record<string, { vnodes: number }> = {};
    this.servers.forEach((server, i) => {
      if (this.byName.has(server.ketamaName)) {
        throw new InvalidArgumentError(`two servers share the ketama name ${server.ketamaName}`);
      }
      this.byName.set(server.ketamaName, server);
      hashringServers[server.ketamaName] = { vnodes: counts[i] ?? 0 };
    });
    // Placements are memoized by the topology (wire key to node in one map lookup), so hashring's
    // own LRU cache would only cost a second lookup and list upkeep on every call.
    this.ring = new HashRing(hashringServers, 'md5', { 'vnode count': 0, 'max cache size': 1 });
    if (this.ring.size === 0) throw new InvalidArgumentError('no server has a share of the ring');
  }

  /** The server owning a wire key. */
  serverFor(wireKey: string): ServerSpec {
    return this.lookup(this.ring.get(wireKey));
  }

  /**
   * Every server in ring order from the one owning the wire key, each once: the owner first,
   * then the next distinct server clockwise, and so on (the failover order).
   */
  successors(wireKey: string): ServerSpec[] {
    return this.ring.range(wireKey, this.servers.length, true).map((name) => this.lookup(name));
  }

  /** Each server's share of the 32-bit keyspace (0..1), by address. */
  shares(): Map<string, number> {
    const owned = new Map<string, number>(this.servers.map((s) => [s.address, 0]));
    const points = this.ring.ring;
    points.forEach((point, i) => {
      const previous = i === 0 ? (points[points.length - 1]?.value ?? 0) - KEYSPACE : (points[i - 1]?.value ?? 0);
      const address = this.lookup(point.server).address;
      owned.set(address, (owned.get(address) ?? 0) + (point.value - previous) / KEYSPACE);
    });
    return owned;
  }

  private lookup(name: string | undefined): ServerSpec {
    const server = name === undefined ? undefined : this.byName.get(name);
    // Unreachable: the ring is never empty and holds only names we registered.
    if (!server) throw new InvalidArgumentError(`ring returned unknown server ${String(name)}`);
    return server;
  }
}
