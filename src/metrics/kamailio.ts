import { Counter, Gauge, Registry } from 'prom-client';
import type { KamailioNodeStats } from '../invalidation/kamailio-node.js';
import type { MetricsOptions } from './prometheus.js';

/** What the Kamailio metrics read: a `KamailioNodes` fits. */
export interface KamailioMetricsSource {
  stats(): readonly KamailioNodeStats[];
}

const COUNTERS: ReadonlyArray<[keyof KamailioNodeStats, string, string]> = [
  ['rpcCalls', 'kamailio_rpc_calls_total', 'RPC requests sent to the Kamailio node.'],
  ['rpcFailures', 'kamailio_rpc_failures_total', 'RPC requests that failed (no answer in time, unreachable, or a fault).'],
  ['deletes', 'kamailio_htable_deletes_total', 'htable keys deleted on the node.'],
  ['flushes', 'kamailio_htable_flushes_total', 'htables flushed on the node.'],
  ['addressReloads', 'kamailio_address_reloads_total', 'permissions.addressReload runs on the node.'],
  ['outages', 'kamailio_node_outages_total', 'Times the node was marked behind (its tables are flushed when it answers).'],
];

/**
 * Exposes the Kamailio nodes' delivery counters (label `node`) on a registry, read at scrape time
 * from `source.stats()`.
 */
export function registerKamailioMetrics(source: KamailioMetricsSource, options: MetricsOptions = {}): Registry {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'authring_';
  for (const [field, name, help] of COUNTERS) {
    new Counter({
      name: prefix + name,
      help,
      labelNames: ['node'],
      registers: [registry],
      collect() {
        this.reset();
        for (const node of source.stats()) this.inc({ node: node.name }, Number(node[field]));
      },
    });
  }
  new Gauge({
    name: `${prefix}kamailio_node_up`,
    help: '1 while the node gets operations as they come, 0 while it is behind.',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const node of source.stats()) this.set({ node: node.name }, node.state === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${prefix}kamailio_pending_operations`,
    help: 'Operations waiting to be delivered to the node.',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const node of source.stats()) this.set({ node: node.name }, node.pending);
    },
  });
  return registry;
}
