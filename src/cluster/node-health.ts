/** Where a server stands: `up` takes traffic; `down` takes none and is probed in the background. */
export type NodeState = 'up' | 'down';

/**
 * The failure counter of one server. Pure bookkeeping with an injectable clock, so the transitions
 * are tested without sockets or timers.
 */
export class NodeHealth {
  /** Current state. */
  state: NodeState = 'up';
  /** Failures since the last success. */
  consecutiveFailures = 0;
  /** When the server was marked down (clock milliseconds), if it is down. */
  downSince: number | undefined;
  /** The failure that last counted. */
  lastError: Error | undefined;

  constructor(
    private readonly failureThreshold: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a request the server answered: the failure streak ends. */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
  }

  /** Records a transport failure; returns true when it is the one that marks the server down. */
  recordFailure(error: Error): boolean {
    this.lastError = error;
    this.consecutiveFailures += 1;
    if (this.state === 'up' && this.consecutiveFailures >= this.failureThreshold) {
      this.state = 'down';
      this.downSince = this.now();
      return true;
    }
    return false;
  }

  /**
   * Records a failure that takes the server out at once, whatever the threshold (it broke the
   * protocol); returns true when it is the one that marks the server down.
   */
  recordFatal(error: Error): boolean {
    this.lastError = error;
    this.consecutiveFailures += 1;
    if (this.state !== 'up') return false;
    this.state = 'down';
    this.downSince = this.now();
    return true;
  }

  /** A probe answered and recovery finished: traffic may return. */
  markUp(): void {
    this.state = 'up';
    this.consecutiveFailures = 0;
    this.downSince = undefined;
  }
}
