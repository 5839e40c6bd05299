export { Invalidator, InvalidationError, type InvalidatorOptions } from './invalidator.js';
export { ChangeWatcher, type ChangeWatcherOptions, type AppliedBatch, type ChangeWatcherEvents } from './watcher.js';
export { installTriggers, removeTriggers } from './triggers.js';
export { installStatements, removeStatements, CHANGELOG_TABLE, WATCHER_TABLE, type WatchedTables } from './change-log-sql.js';
export { useChangeLogForRecovery, readChanges, keysOfChanges, type Change } from './changes.js';
