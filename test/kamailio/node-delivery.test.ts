/**
 * One Kamailio node's delivery queue (src/invalidation/kamailio-node.ts), with time as the
 * subject: a scripted RPC interface stands in for the node (the real jsonrpcs is in
 * htable-invalidation.test.ts) and fake timers drive the retries and probes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KamailioRpcError } from '../../src/errors.js';
import { KamailioNode } from '../../src/invalidation/kamailio-node.js';
import type { KamailioRpc, RpcParam } from '../../src/invalidation/kamailio-rpc.js';

const TIMING = { rpcTimeoutMs: 100, rpcAttempts: 2, retryIntervalMs: 1000 };

/** Records calls; `answer` decides each outcome (return a value, or throw). */
class ScriptedRpc implements KamailioRpc {
  readonly calls: string[] = [];
  answer: (method: string, params: readonly RpcParam[]) => unknown = () => 'ok';
  async call(method: string, params: readonly RpcParam[]): Promise<unknown> {
    this.calls.push(`${method}(${params.join(',')})`);
    await Promise.resolve();
    return this.answer(method, params);
  }
}

const down = (method: string): KamailioRpcError => new KamailioRpcError('k', method, 'no answer within 100 ms');
const fault = (method: string, code: number, message: string): KamailioRpcError => new KamailioRpcError('k', method, message, { fault: { code, message } });

describe('Kamailio node delivery', () => {
  let rpc: ScriptedRpc;
  let node: KamailioNode;
  beforeEach(() => {
    vi.useFakeTimers();
    rpc = new ScriptedRpc();
    node = new KamailioNode('k', rpc, TIMING);
  });
  afterEach(async () => {
    await node.close();
    vi.useRealTimers();
  });

  it('delivers in the background, coalescing what queues up meanwhile; a flush absorbs its table\'s deletes', async () => {
    node.enqueue([{ kind: 'delete', table: 't', key: 'A' }]);
    // Queued while the first batch is in flight: one table flushed, one key deleted twice.
    node.enqueue([
      { kind: 'delete', table: 't', key: 'B' },
      { kind: 'flush', table: 't' },
      { kind: 'delete', table: 'u', key: 'C' },
      { kind: 'delete', table: 'u', key: 'C' },
      { kind: 'address-reload' },
      { kind: 'address-reload' },
    ]);
    await node.settled();
    expect(rpc.calls).toEqual(['htable.delete(t,A)', 'htable.flush(t)', 'htable.delete(u,C)', 'permissions.addressReload()']);
    expect(node.stats()).toMatchObject({ state: 'up', deletes: 2, flushes: 1, addressReloads: 1, pending: 0, rpcFailures: 0 });
  });

  it('a key the table does not hold counts as deleted', async () => {
    rpc.answer = (method) => {
      throw fault(method, 404, 'Key not found in htable.');
    };
    node.enqueue([{ kind: 'delete', table: 't', key: 'A' }]);
    await node.settled();
    expect(node.stats()).toMatchObject({ state: 'up', deletes: 1, rpcFailures: 0 });
  });

  it('after its tries a node is behind: what it may have missed becomes flushes, delivered once it answers', async () => {
    let alive = false;
    rpc.answer = (method) => {
      if (!alive) throw down(method);
      return 'ok';
    };
    const events: string[] = [];
    node.on('node-down', (e) => events.push(`down ${e.tables.join(',')}`));
    node.on('node-up', () => events.push('up'));
    node.on('rpc-error', (e) => events.push(`try ${e.attempt}`));
    node.enqueue([
      { kind: 'delete', table: 't', key: 'A' },
      { kind: 'delete', table: 'u', key: 'B' },
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['try 1']);
    await vi.advanceTimersByTimeAsync(TIMING.retryIntervalMs);
    expect(events).toEqual(['try 1', 'try 2', 'down t,u']);
    expect(node.stats()).toMatchObject({ state: 'behind', outages: 1, deletes: 0 });
    // settled() does not wait for a node that is behind.
    await node.settled();

    // Operations arriving meanwhile are turned into flushes too; the node is probed every interval.
    node.enqueue([{ kind: 'delete', table: 'v', key: 'C' }, { kind: 'address-reload' }]);
    expect(node.stats().pending).toBe(4);
    await vi.advanceTimersByTimeAsync(TIMING.retryIntervalMs * 3);
    expect(rpc.calls.filter((c) => c === 'core.version()')).toHaveLength(3);

    alive = true;
    rpc.calls.length = 0;
    await vi.advanceTimersByTimeAsync(TIMING.retryIntervalMs);
    await node.settled();
    expect(events.at(-1)).toBe('up');
    expect(rpc.calls).toEqual(['core.version()', 'htable.flush(t)', 'htable.flush(u)', 'htable.flush(v)', 'permissions.addressReload()']);
    expect(node.stats()).toMatchObject({ state: 'up', flushes: 3, addressReloads: 1, deletes: 0, pending: 0 });
  });

  it('an address reload refused as "ongoing reload" is retried every interval without marking the node behind', async () => {
    let refusals = 3;
    rpc.answer = (method) => {
      if (method === 'permissions.addressReload' && refusals-- > 0) throw fault(method, 500, 'ongoing reload');
      return 'Reload OK';
    };
    node.enqueue([{ kind: 'address-reload' }]);
    await vi.advanceTimersByTimeAsync(TIMING.retryIntervalMs * 3);
    await node.settled();
    expect(rpc.calls).toEqual(Array(4).fill('permissions.addressReload()'));
    expect(node.stats()).toMatchObject({ state: 'up', addressReloads: 1, outages: 0 });
  });
});
