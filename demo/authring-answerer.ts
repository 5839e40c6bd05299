/**
 * Phase B, "with authring": the node runs authring's {@link ProxyNode} from the shared cluster
 * config file and asks `node.auth`, which answers from the memcached ring and queries MySQL only
 * for what no node has cached yet.
 */
import { ProxyNode, type AuthCache } from '../src/index.js';
import type { Answerer, DemoCredentials } from './answerer.js';

/** Answers through a {@link ProxyNode}'s {@link AuthCache}. */
export class AuthringAnswerer implements Answerer {
  /** Loads before the workload: the count starts at zero. */
  private readonly loadsBefore: number;

  private constructor(private readonly node: ProxyNode) {
    this.loadsBefore = node.auth.stats().cache.loads;
  }

  /** Starts a proxy node from the config file (no file watching: the demo never edits it). */
  static async start(configPath: string): Promise<AuthringAnswerer> {
    return new AuthringAnswerer(await ProxyNode.start({ configPath, watch: false }));
  }

  /** The node's auth cache, for its counters and ring. */
  get auth(): AuthCache {
    return this.node.auth;
  }

  isUserInGroup(user: string, domain: string, group: string): Promise<boolean> {
    return this.node.auth.isUserInGroup(user, domain, group);
  }

  getCredentials(user: string, domain: string): Promise<DemoCredentials | undefined> {
    return this.node.auth.getCredentials(user, domain);
  }

  allowAddress(ip: string, group: number, port: number): Promise<boolean> {
    return this.node.auth.allowAddress(ip, group, port);
  }

  workloadQueries(): number {
    return this.node.auth.stats().cache.loads - this.loadsBefore;
  }

  close(): Promise<void> {
    return this.node.close();
  }
}
