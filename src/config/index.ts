export { parseConfig } from './parse.js';
export { loadConfig, resolveConfigPath, DEFAULT_CONFIG_PATH, CONFIG_PATH_ENV } from './load.js';
export { watchConfig, type ConfigWatcher, type ConfigWatchHandlers, type ConfigWatchOptions } from './watch.js';
export { MAX_ALIASES, type Env } from './context.js';
export { MAX_TIMER_MS } from './reader.js';
export { MAX_SECRET_FILE_BYTES } from './secrets.js';
export type * from './types.js';
