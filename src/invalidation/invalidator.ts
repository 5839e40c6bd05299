import type { AuthCache } from '../auth/auth-cache.js';
import { InvalidationError } from '../errors.js';
import { sleep } from '../cache/lease.js';
import type { KamailioNodes } from './kamailio-nodes.js';

/** Options of {@link Invalidator}. */
export interface InvalidatorOptions {
  /** Attempts per key before a delete is reported failed. @default 5 */
  readonly attempts?: number;
  /** Milliseconds before the first retry; doubles each time. @default 50 */
  readonly retryDelayMs?: number;
  /** Kamailio nodes to tell as well (their htables and address tables); see `KamailioNodes`. */
  readonly kamailio?: KamailioNodes;
}

/**
 * Explicit invalidation of cached auth answers. Keys are built exactly as the lookups build them,
 * from the database's own equality, so every spelling the database treats as equal is covered by
 * one delete. Deletes are retried; what still fails is thrown as {@link InvalidationError}.
 */
export class Invalidator {
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly kamailio: KamailioNodes | undefined;

  constructor(
    private readonly auth: AuthCache,
    options: InvalidatorOptions = {},
  ) {
    this.attempts = options.attempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 50;
    this.kamailio = options.kamailio;
  }

  /** One group membership answer. */
  async invalidateGroup(user: string, domain: string, group: string): Promise<void> {
    const { group: key } = await this.auth.keysFor({ user, domain, group });
    this.kamailio?.tell([{ kind: 'group', user, domain, group }]);
    await this.deleteAll(key === undefined ? [] : [key]);
  }

  /**
   * Every answer about a user: credentials and membership of every group the database knows
   * (a cached "not in group" for a group no row names stays true until a row is inserted, which
   * the change feed invalidates by its exact key).
   */
  async invalidateUser(user: string, domain: string): Promise<void> {
    const keys = await this.auth.keysOfUser(user, domain);
    this.kamailio?.tell([{ kind: 'user', user, domain }]);
    await this.deleteAll(keys);
  }

  /** The address table: every node re-reads it within its address check interval. */
  async invalidateAddresses(): Promise<void> {
    this.kamailio?.tell([{ kind: 'addresses' }]);
    await this.deleteAll([await this.auth.addressKey()]);
    this.auth.forgetAddressTable();
  }

  /** Everything in the namespace, in O(1): bumps the generation. Resolves with the new one. */
  async invalidateNamespace(): Promise<bigint> {
    const generation = await this.auth.bumpNamespace();
    // Nodes' local tiers drop everything and take the new generation at once.
    await this.publish([this.auth.namespaceKey], () => this.auth.feed.publishAll(generation));
    this.kamailio?.tell([{ kind: 'everything' }]);
    this.auth.forgetAddressTable();
    return generation;
  }

  /**
   * Deletes keys, retrying each with backoff, then publishes them to the invalidation feed (after
   * the deletes, so a node that reads the record reads memcached after them) for nodes' local
   * tiers. A delete that reaches a down server's fallback is journaled by the cluster and replayed
   * on the server when it returns.
   * @throws InvalidationError naming the keys that still failed, or every key when the feed
   *   could not be written.
   */
  async deleteAll(keys: readonly string[]): Promise<void> {
    const unique = [...new Set(keys)];
    await this.deleteKeys(unique);
    await this.publish(unique, () => this.auth.feed.publishKeys(unique));
  }

  /**
   * Deletes keys from memcached only, retrying each with backoff; the caller publishes them to
   * the feed (the change watcher, which makes up for a lost record before its next heartbeat).
   * @throws InvalidationError naming the keys that still failed.
   */
  async deleteKeys(keys: readonly string[]): Promise<void> {
    const failed: string[] = [];
    let lastError: unknown;
    await Promise.all(
      [...new Set(keys)].map(async (key) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await this.auth.deleteKey(key);
            return;
          } catch (error) {
            lastError = error;
            if (attempt >= this.attempts) {
              failed.push(key);
              return;
            }
            await sleep(this.retryDelayMs * 2 ** (attempt - 1));
          }
        }
      }),
    );
    if (failed.length > 0) throw new InvalidationError(failed, lastError);
  }

  /** Writes to the feed; a failure names `keys` as not invalidated everywhere. */
  private async publish(keys: readonly string[], write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      throw new InvalidationError(keys, error);
    }
  }
}
