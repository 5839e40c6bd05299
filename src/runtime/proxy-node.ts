import { EventEmitter } from 'node:events';
import type { AuthCache } from '../auth/auth-cache.js';
import { createAuthCache, createKamailioNodes } from './from-config.js';
import { loadConfig, resolveConfigPath, watchConfig, type AuthringConfig, type ConfigWatcher } from '../config/index.js';
import { fileError } from '../config/issues.js';
import { AuthringError, SourceUnavailableError, type ConfigError } from '../errors.js';
import { ChangeWatcher, type ChangeWatcherOptions } from '../invalidation/watcher.js';
import type { KamailioNodes } from '../invalidation/kamailio-nodes.js';

/** Events of {@link ProxyNode}. */
export interface ProxyNodeEvents {
  /** A valid edit was applied; `restartNeeded` lists sections that only take effect on restart. */
  reload: [config: AuthringConfig, restartNeeded: readonly string[]];
  /**
   * An edit was invalid (or the server list could not be applied; the previous config stays in
   * force), or the in-node change watcher failed a poll (it retries).
   */
  'config-error': [error: AuthringError];
}

/** Options of {@link ProxyNode.start}. */
export interface ProxyNodeOptions {
  /** Config file path; `AUTHRING_CONFIG` or `./authring.yaml` when omitted. */
  readonly configPath?: string;
  /** Apply edits of the file while running. @default true */
  readonly watch?: boolean;
  /**
   * Also run a change-log watcher inside this node (needs `authring install-triggers`); `true`
   * for the defaults. Like `authring watch`, it tells the file's Kamailio nodes (`kamailio.nodes`)
   * what changed, unless `kamailio` is given in these options. Running one in every node is
   * harmless (deletes are idempotent); one `authring watch` per cluster is enough. @default false
   */
  readonly changeWatcher?: boolean | ChangeWatcherOptions;
}

/**
 * What a proxy node runs: the cluster config file, an {@link AuthCache} built from it, and live
 * reloads. A new memcached server list swaps the ring atomically (lookups in flight finish on
 * the old ring); an invalid edit is reported and the running config kept. Changes to `mysql`,
 * `cache`, `lookups`, `metrics` or `kamailio` are reported as needing a restart rather than
 * half-applied.
 */
export class ProxyNode extends EventEmitter<ProxyNodeEvents> {
  private watcher: ConfigWatcher | undefined;
  private changes: ChangeWatcher | undefined;
  /** The file's Kamailio nodes the in-node watcher tells (created with it). */
  private kamailio: KamailioNodes | undefined;
  private changesRetry: NodeJS.Timeout | undefined;

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
    // Its cluster's recovery consults the change log (createAuthCache wires it).
    const node = new ProxyNode(await createAuthCache(config), config);
    if (options.changeWatcher) {
      try {
        await node.startChanges(options.changeWatcher === true ? {} : options.changeWatcher);
      } catch (error) {
        await node.close();
        throw error;
      }
    }
    if (options.watch ?? true) {
      node.watcher = watchConfig(path, {
        onChange: (next) => node.apply(next),
        onError: (error: ConfigError) => node.emit('config-error', error),
      });
    }
    return node;
  }

  /**
   * The file's Kamailio nodes the in-node change watcher tells (their events and stats, e.g. for
   * `registerKamailioMetrics`); `undefined` without a change watcher or without `kamailio.nodes`.
   */
  get kamailioNodes(): KamailioNodes | undefined {
    return this.kamailio;
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

  /**
   * Starts the change watcher. MySQL unreachable (a start during an outage) is not fatal: the
   * failure is reported as `config-error` and the watcher tried again every few seconds until it
   * starts or the node closes. MySQL answering with an error (no change log: triggers not
   * installed) is, as before.
   */
  private async startChanges(options: ChangeWatcherOptions): Promise<void> {
    try {
      if (options.kamailio === undefined && this.kamailio === undefined) this.kamailio = await createKamailioNodes(this.auth, this.running);
      const kamailio = options.kamailio ?? this.kamailio;
      this.changes = await ChangeWatcher.start(this.auth, { ...options, ...(kamailio === undefined ? {} : { kamailio }) });
      this.changes.on('poll-error', (error) => this.emit('config-error', error));
      this.changes.on('feed-error', (error) => this.emit('config-error', error));
    } catch (error) {
      if (answeredBySql(error)) throw error;
      this.emit('config-error', error instanceof AuthringError ? error : new SourceUnavailableError('change log', error));
      this.changesRetry = setTimeout(() => {
        this.changesRetry = undefined;
        this.startChanges(options).catch((failure: unknown) =>
          this.emit('config-error', failure instanceof AuthringError ? failure : new SourceUnavailableError('change log', failure)),
        );
      }, CHANGE_WATCHER_RETRY_MS);
      this.changesRetry.unref();
    }
  }

  /** Stops watching and closes connections. */
  async close(): Promise<void> {
    clearTimeout(this.changesRetry);
    this.changesRetry = undefined;
    this.watcher?.close();
    await this.changes?.stop();
    await this.kamailio?.close();
    await this.auth.close();
  }

  private apply(next: AuthringConfig): void {
    try {
      this.auth.cluster.reconfigure(next.memcached);
      // The feed's heartbeat may now live on another server.
      this.auth.local?.follower.routingChanged();
    } catch (error) {
      this.emit('config-error', fileError(next.file, error, 'memcached.servers: the new server list cannot be applied, the running one stays'));
      return;
    }
    // Everything but memcached is built once at start (the Kamailio nodes with the in-node watcher).
    const restartNeeded = (['mysql', 'cache', 'lookups', 'metrics', 'kamailio'] as const).filter(
      (section) => JSON.stringify(this.running[section]) !== JSON.stringify(next[section]),
    );
    const { mysql, cache, lookups, metrics, kamailio } = this.running;
    this.running = { ...next, mysql, cache, lookups, metrics, kamailio };
    this.emit('reload', this.running, restartNeeded);
  }
}

/** Milliseconds between attempts to start the change watcher while MySQL cannot be reached. */
const CHANGE_WATCHER_RETRY_MS = 5000;

/** True when MySQL itself answered with the error (it has an SQL state), rather than being unreachable. */
function answeredBySql(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (typeof (e as { sqlState?: unknown }).sqlState === 'string') return true;
  }
  return false;
}
