import { EventEmitter } from 'node:events';
import type { AuthCache } from '../auth/auth-cache.js';
import { createAuthCache } from '../auth/from-config.js';
import { loadConfig, resolveConfigPath, watchConfig, type AuthringConfig, type ConfigError, type ConfigWatcher } from '../config/index.js';
import { AuthringError } from '../errors.js';

/** Events of {@link ProxyNode}. */
export interface ProxyNodeEvents {
  /** A valid edit was applied; `restartNeeded` lists sections that only take effect on restart. */
  reload: [config: AuthringConfig, restartNeeded: readonly string[]];
  /** An edit was invalid (or the server list could not be applied); the previous config stays in force. */
  'config-error': [error: AuthringError];
}

/** Options of {@link ProxyNode.start}. */
export interface ProxyNodeOptions {
  /** Config file path; `AUTHRING_CONFIG` or `./authring.yaml` when omitted. */
  readonly configPath?: string;
  /** Apply edits of the file while running. @default true */
  readonly watch?: boolean;
}

/**
 * What a proxy node runs: the cluster config file, an {@link AuthCache} built from it, and live
 * reloads. A new memcached server list swaps the ring atomically (lookups in flight finish on
 * the old ring); an invalid edit is reported and the running config kept. Changes to `mysql`,
 * `cache` or `lookups` are reported as needing a restart rather than half-applied.
 */
export class ProxyNode extends EventEmitter<ProxyNodeEvents> {
  private watcher: ConfigWatcher | undefined;

  private constructor(
    /** The auth lookups. */
    readonly auth: AuthCache,
    private running: AuthringConfig,
  ) {
    super();
  }

  /** Loads the config file and connects. */
  static async start(options: ProxyNodeOptions = {}): Promise<ProxyNode> {
    const path = resolveConfigPath(options.configPath);
    const config = await loadConfig(path);
    const node = new ProxyNode(await createAuthCache(config), config);
    if (options.watch ?? true) {
      node.watcher = watchConfig(path, {
        onChange: (next) => node.apply(next),
        onError: (error: ConfigError) => node.emit('config-error', error),
      });
    }
    return node;
  }

  /** The config in force. */
  get config(): AuthringConfig {
    return this.running;
  }

  /** Re-reads the file now. @throws ConfigError when it is invalid (the running config stays). */
  async reload(): Promise<AuthringConfig> {
    const next = this.watcher ? await this.watcher.reload() : await loadConfig(this.running.file);
    if (!this.watcher) this.apply(next);
    return this.running;
  }

  /** Stops watching and closes connections. */
  async close(): Promise<void> {
    this.watcher?.close();
    await this.auth.close();
  }

  private apply(next: AuthringConfig): void {
    try {
      this.auth.cluster.reconfigure(next.memcached);
    } catch (error) {
      this.emit('config-error', error instanceof AuthringError ? error : new AuthringError('E_CONFIG', String(error)));
      return;
    }
    const restartNeeded = (['mysql', 'cache', 'lookups', 'metrics'] as const).filter(
      (section) => JSON.stringify(this.running[section]) !== JSON.stringify(next[section]),
    );
    this.running = { ...next, mysql: this.running.mysql, cache: this.running.cache, lookups: this.running.lookups, metrics: this.running.metrics };
    this.emit('reload', this.running, restartNeeded);
  }
}
