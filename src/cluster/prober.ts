import type { ClusterNode } from './node.js';

/**
 * The background probes of down servers: one unref'd interval per server, never more than one
 * attempt in flight per server, so no caller's request ever pays for a probe and the process can
 * exit while servers are down.
 */
export class Prober {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly intervalMs: () => number) {}

  /** True while a server is being probed. */
  has(address: string): boolean {
    return this.timers.has(address);
  }

  /**
   * Probes `node` every interval with `attempt` until it resolves true, then calls `onRecovered`
   * (unless the probe was stopped meanwhile).
   */
  start(node: ClusterNode, attempt: () => Promise<boolean>, onRecovered: () => void): void {
    if (this.timers.has(node.address)) return;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void attempt()
        .then((recovered) => {
          if (!recovered || this.timers.get(node.address) !== timer) return;
          this.stop(node.address);
          onRecovered();
        })
        .finally(() => {
          running = false;
        });
    }, this.intervalMs());
    timer.unref();
    this.timers.set(node.address, timer);
  }

  /** Stops probing one server. */
  stop(address: string): void {
    clearInterval(this.timers.get(address));
    this.timers.delete(address);
  }

  /** Stops every probe. */
  stopAll(): void {
    for (const address of [...this.timers.keys()]) this.stop(address);
  }
}
