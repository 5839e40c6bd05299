export { Invalidator, type InvalidatorOptions } from './invalidator.js';
export { ChangeWatcher, type ChangeWatcherOptions, type AppliedBatch, type ChangeWatcherEvents } from './watcher.js';
export { installTriggers, removeTriggers } from './triggers.js';
export { installStatements, removeStatements, CHANGELOG_TABLE, WATCHER_TABLE, type WatchedTables } from './change-log-sql.js';
export { useChangeLogForRecovery } from './changes.js';
export { KamailioNodes, type KamailioNodesEvents, type KamailioNodesOptions } from './kamailio-nodes.js';
export type { KamailioNodeState, KamailioNodeStats, KamailioNodeEvents } from './kamailio-node.js';
export type { KamailioIntent } from './kamailio-plan.js';
export { kamailioRpc, type KamailioRpc, type RpcParam } from './kamailio-rpc.js';
