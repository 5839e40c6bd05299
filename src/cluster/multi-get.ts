import { AuthringError, PartialResultError, type BatchFailure } from '../errors.js';
import { itemFromResponse, type Item } from './item.js';
import type { ClusterNode } from './node.js';
import { Status, multiGetRequest } from './protocol.js';
import type { Route } from './topology.js';

/** How a multi-get places keys: the cluster's routing, owner lookups for failures. */
export interface MultiGetRouting {
  /** Where a caller key goes now. @throws when it can go nowhere (its server is down). */
  route(key: string): { route: Route; wireKey: string };
  /** The owner's address of a key, for failure reports. */
  owner(key: string): string;
}

/**
 * Reads many keys: one pipelined GETKQ…NOOP batch per server, all servers in parallel under one
 * deadline. Duplicate caller keys are read once; two caller keys with one wire key share its item.
 * @throws PartialResultError when some servers failed; it carries the other servers' hits.
 */
export async function multiGet(keys: readonly string[], timeoutMs: number, routing: MultiGetRouting): Promise<Map<string, Item>> {
  const batches = new Map<ClusterNode, { route: Route; callerKeys: Map<string, string[]> }>();
  const hits = new Map<string, Item>();
  const failures: BatchFailure[] = [];
  for (const key of new Set(keys)) {
    let routed: { route: Route; wireKey: string };
    try {
      routed = routing.route(key);
    } catch (error) {
      failures.push({ server: routing.owner(key), keys: [key], error: asAuthringError(error) });
      continue;
    }
    const batch = batches.get(routed.route.node) ?? { route: routed.route, callerKeys: new Map<string, string[]>() };
    batches.set(routed.route.node, batch);
    const callers = batch.callerKeys.get(routed.wireKey) ?? [];
    callers.push(key);
    batch.callerKeys.set(routed.wireKey, callers);
  }
  await Promise.all(
    [...batches].map(async ([node, { route, callerKeys }]) => {
      const wireKeys = [...callerKeys.keys()];
      try {
        const responses = await node.callBatch(multiGetRequest(wireKeys), timeoutMs);
        let found = 0;
        for (const response of responses) {
          if (response.status !== Status.OK) continue;
          const item = itemFromResponse(response);
          for (const key of callerKeys.get(wireKeys[response.index] as string) ?? []) {
            hits.set(key, item);
            found += 1;
          }
        }
        node.counters.hits += found;
        node.counters.misses += wireKeys.length - found;
        if (route.fallback) node.counters.fallbackServed += 1;
      } catch (error) {
        failures.push({ server: node.address, keys: [...callerKeys.values()].flat(), error: asAuthringError(error) });
      }
    }),
  );
  if (failures.length > 0) throw new PartialResultError(hits, failures);
  return hits;
}

/** An error as an AuthringError (non-authring errors wrapped with code `E_UNKNOWN`). */
export function asAuthringError(error: unknown): AuthringError {
  return error instanceof AuthringError ? error : new AuthringError('E_UNKNOWN', String(error), { cause: error });
}
