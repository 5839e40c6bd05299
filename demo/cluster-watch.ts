/**
 * What happened to the shared cache during a node's workload, beyond the counters: memcached
 * servers marked down or back up (`server-down` / `server-up`), and the namespace generations the
 * node used. The generation is part of every key, so a change means every key changed and the
 * cache started cold again (e.g. when the server holding the generation counter failed over).
 */
import { performance } from 'node:perf_hooks';
import type { AuthCache } from '../src/index.js';

/** A server state change, `atMs` after the workload started. */
export interface ClusterEvent {
  readonly atMs: number;
  readonly event: 'server-down' | 'server-up';
  readonly server: string;
  readonly error?: string;
}

/** What the watch saw. */
export interface ClusterObservations {
  readonly events: readonly ClusterEvent[];
  /** Namespace generations in the order first seen (decimal strings). */
  readonly generations: readonly string[];
}

/** Watches one node's cluster while its workload runs. */
export class ClusterWatch {
  private readonly events: ClusterEvent[] = [];
  private readonly generations: string[] = [];
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private readonly onDown = (server: string, error: { code?: string; message: string }): void => {
    this.events.push({ atMs: this.elapsed(), event: 'server-down', server, error: error.code ?? error.message });
  };
  private readonly onUp = (server: string): void => {
    this.events.push({ atMs: this.elapsed(), event: 'server-up', server });
  };

  /**
   * Starts watching.
   *
   * @param everyMs how often to note the generation (the node re-reads it every second anyway).
   */
  constructor(
    private readonly auth: AuthCache,
    everyMs = 250,
  ) {
    auth.cluster.on('server-down', this.onDown);
    auth.cluster.on('server-up', this.onUp);
    this.timer = setInterval(() => void this.sample(), everyMs);
    void this.sample();
  }

  /** Stops watching (after one last generation sample) and returns what was seen. */
  async stop(): Promise<ClusterObservations> {
    clearInterval(this.timer);
    await this.sample();
    this.auth.cluster.off('server-down', this.onDown);
    this.auth.cluster.off('server-up', this.onUp);
    return { events: this.events, generations: this.generations };
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  private async sample(): Promise<void> {
    try {
      const generation = String(await this.auth.namespaceGeneration());
      if (!this.generations.includes(generation)) this.generations.push(generation);
    } catch {
      // memcached unreachable: the lookups go to MySQL meanwhile; nothing to note here.
    }
  }
}
