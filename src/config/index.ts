export { parseConfig, TOP_LEVEL_KEYS } from './parse.js';
export { loadConfig, resolveConfigPath, DEFAULT_CONFIG_PATH, CONFIG_PATH_ENV } from './load.js';
export { watchConfig, type ConfigWatcher, type ConfigWatchHandlers, type ConfigWatchOptions } from './watch.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export type { Env } from './context.js';
export * from './defaults.js';
export type * from './types.js';
