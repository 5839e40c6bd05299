import { Opcode, bareRequest, deleteRequest } from './protocol.js';
import type { ClusterNode } from './node.js';

/** What recovery needs from the cluster. */
export interface RecoveryContext {
  /** A node by address (fallback servers named in the journal). */
  node(address: string): ClusterNode | undefined;
  /** Deadline of each probe or recovery request, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Wire keys changed elsewhere while the server was down (from a shared change feed), already
   * filtered to this server; deleted like journaled keys.
   */
  readonly changedKeys?: (node: ClusterNode, downSince: number) => Promise<readonly string[]>;
}

/**
 * Brings a down server back: it must answer a NOOP, then lose every copy its outage made stale.
 * Journaled keys are deleted from it (its copies predate the writes that went elsewhere) and from
 * the fallback servers that took them; an overflowed journal means a `flush_all` of the server.
 * Returns true when the server may take traffic again; on any failure the journal keeps what is
 * left and the next probe tries again. Runs only in the background, never on a caller's request.
 */
export async function recover(node: ClusterNode, context: RecoveryContext): Promise<boolean> {
  try {
    await node.probe(bareRequest(Opcode.NOOP), context.timeoutMs);
    if (context.changedKeys && node.health.downSince !== undefined) {
      const changed = await context.changedKeys(node, node.health.downSince);
      await Promise.all(changed.map((key) => node.probe(deleteRequest(key), context.timeoutMs)));
    }
    if (node.journal.overflowed) {
      await node.probe(bareRequest(Opcode.FLUSH), context.timeoutMs);
      node.journal.clear();
    }
    // Keys journaled while this loop awaits are picked up by the next pass; the server stays down
    // (and writes keep being journaled) until a pass finds the journal empty.
    while (node.journal.keyCount > 0) {
      const batch = [...node.journal.keys()];
      node.journal.clear();
      try {
        await deleteEverywhere(node, batch, context);
      } catch (error) {
        for (const [key, places] of batch) {
          if (places.size === 0) node.journal.record(key, undefined);
          for (const place of places) node.journal.record(key, place);
        }
        throw error;
      }
    }
    node.health.markUp();
    return true;
  } catch {
    return false;
  }
}

async function deleteEverywhere(
  node: ClusterNode,
  batch: ReadonlyArray<[string, ReadonlySet<string>]>,
  context: RecoveryContext,
): Promise<void> {
  await Promise.all(batch.map(([key]) => node.probe(deleteRequest(key), context.timeoutMs)));
  // Fallback copies are TTL-capped; deleting them is best effort so a second dead server cannot
  // hold the first one's recovery hostage.
  await Promise.allSettled(
    batch.flatMap(([key, places]) =>
      [...places].map((address) => context.node(address)?.probe(deleteRequest(key), context.timeoutMs)),
    ),
  );
}
