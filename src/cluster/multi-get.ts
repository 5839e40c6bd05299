import { PartialResultError, asAuthringError, type BatchFailure } from '../errors.js';
import type { Item } from './item.js';
import type { ClusterNode } from './node.js';
import { multiGetRequest } from './protocol.js';
import type { Route } from './topology.js';

/** How a multi-get places keys: the cluster's routing, owner lookups for failures. */
export interface MultiGetRouting {
  /** Where a caller key goes now. @throws when it can go nowhere (its server is down). */
  route(key: string): { route: Route; wireKey: string };
  /** The owner's address of a key, for failure reports. */
  owner(key: string): string;
}

/** The keys one server is asked for, and the caller key behind each. */
interface Batch {
  readonly node: ClusterNode;
  readonly wireKeys: string[];
  /** Parallel to `wireKeys`. */
  readonly callers: string[];
}

/**
 * Reads many keys: one pipelined GETKQ…NOOP batch per server, all servers in parallel under one
 * deadline (the smaller of `timeoutMs` and the caller's `remainingMs`). Hits come back as positions in the batch, so no key is decoded from the answers.
 * Keys are not deduplicated: a key asked twice is read twice, which costs a few bytes, while
 * deduplicating costs a map lookup per key on every call.
 * @throws PartialResultError when some servers failed; it carries the other servers' hits.
 */
export async function multiGet(keys: readonly string[], timeoutMs: number, remainingMs: number | undefined, routing: MultiGetRouting): Promise<Map<string, Item>> {
  // A handful of servers: a scan beats a map keyed by node.
  const batches: Batch[] = [];
  const hits = new Map<string, Item>();
  const failures: BatchFailure[] = [];
  let unroutable: Set<string> | undefined;
  for (const key of keys) {
    let routed: { route: Route; wireKey: string };
    try {
      routed = routing.route(key);
    } catch (error) {
      unroutable ??= new Set();
      if (!unroutable.has(key)) failures.push({ server: routing.owner(key), keys: [key], error: asAuthringError(error) });
      unroutable.add(key);
      continue;
    }
    const node = routed.route.node;
    let batch: Batch | undefined;
    for (let i = 0; i < batches.length; i++) {
      if ((batches[i] as Batch).node === node) {
        batch = batches[i];
        break;
      }
    }
    if (batch === undefined) {
      batch = { node, wireKeys: [], callers: [] };
      batches.push(batch);
    }
    batch.wireKeys.push(routed.wireKey);
    batch.callers.push(key);
  }
  await Promise.all(
    batches.map(async ({ node, wireKeys, callers }) => {
      try {
        const { indexes, items } = await node.callBatch(multiGetRequest(wireKeys), timeoutMs, remainingMs);
        for (let i = 0; i < indexes.length; i++) hits.set(callers[indexes[i] as number] as string, items[i] as Item);
        node.counters.hits += indexes.length;
        node.counters.misses += wireKeys.length - indexes.length;
      } catch (error) {
        failures.push({ server: node.address, keys: callers, error: asAuthringError(error) });
      }
    }),
  );
  if (failures.length > 0) throw new PartialResultError(hits, failures);
  return hits;
}
