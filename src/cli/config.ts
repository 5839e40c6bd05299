import { loadConfig } from '../config/index.js';
import type { AuthringConfig } from '../config/index.js';
import { writeLine, type CliIo } from './io.js';
import type { GlobalOptions } from './options.js';

/**
 * Loads the cluster config file named by `--config`, `AUTHRING_CONFIG` or `./authring.yaml`, and
 * writes its warnings to stderr (never stdout, which may carry JSON).
 * @throws ConfigError (exit 2) when the file is unreadable or invalid; its message is `file:line:column: …`.
 */
export async function loadCliConfig(options: GlobalOptions, io: CliIo): Promise<AuthringConfig> {
  const config = await loadConfig(options.config, io.env);
  for (const warning of config.warnings) await writeLine(io.stderr, `warning: ${warning}`);
  return config;
}
