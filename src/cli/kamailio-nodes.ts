/**
 * The Kamailio nodes of the cluster config as the commands report them (created by
 * `createKamailioNodes`): as lines, JSON lines with `--json`.
 */
import type { KamailioNodes, KamailioNodeStats } from '../invalidation/index.js';
import { toJson, writeLine, type CliIo } from './io.js';

/**
 * Prints every event of `nodes`: deliveries on stdout, failures and recoveries on stderr (all on
 * stdout as JSON lines with `json`, each with `event`, `at` and `node`).
 */
export function reportKamailioEvents(nodes: KamailioNodes, io: CliIo, json: boolean): void {
  const at = (): string => new Date().toISOString();
  const line = (stream: 'stdout' | 'stderr', value: Record<string, unknown>, text: string): void =>
    void writeLine(json ? io.stdout : io[stream], json ? toJson({ at: at(), ...value }, 0) : `${at()} ${text}`);
  nodes.on('delivered', (d) =>
    line('stdout', { event: 'kamailio-delivered', ...d }, `kamailio ${d.node}: ${d.deletes} deletes, ${d.flushes} flushes, ${d.addressReloads} address reloads in ${d.ms} ms`),
  );
  nodes.on('rpc-error', (e) =>
    line('stderr', { event: 'kamailio-rpc-error', node: e.node, attempt: e.attempt, error: e.error.message }, `kamailio ${e.node}: try ${e.attempt}: ${e.error.message}`),
  );
  nodes.on('node-down', (e) =>
    line(
      'stderr',
      { event: 'kamailio-node-down', node: e.node, error: e.error.message, tables: e.tables },
      `kamailio ${e.node}: behind (${e.error.message}); flushing ${e.tables.join(', ') || 'nothing'} once it answers`,
    ),
  );
  nodes.on('node-up', (e) => line('stderr', { event: 'kamailio-node-up', node: e.node, downMs: e.downMs }, `kamailio ${e.node}: answers again after ${e.downMs} ms`));
  nodes.on('plan-error', (e) => line('stderr', { event: 'kamailio-plan-error', error: e.error.message }, `kamailio: ${e.error.message}; flushing instead`));
}

/** One node's outcome, for people. */
export function describeNode(stats: KamailioNodeStats): string {
  return stats.state === 'up'
    ? `kamailio ${stats.name}: told (${stats.deletes} deletes, ${stats.flushes} flushes, ${stats.addressReloads} address reloads)`
    : `kamailio ${stats.name}: NOT told: ${stats.lastError ?? 'no answer'}`;
}
