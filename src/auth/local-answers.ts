import type { LookupStatus } from '../cache/engine.js';
import type { ValueCodec } from '../cache/codec.js';
import { FeedFollower } from '../cache/local/feed-follower.js';
import { FeedKeys, splitVersionedKey } from '../cache/local/feed-format.js';
import { LocalTier, type LocalTierStats } from '../cache/local/local-tier.js';
import { LOCAL_TIER_DEFAULTS, type LocalTierSettings } from '../cache/local/options.js';
import type { MemcacheCluster } from '../cluster/cluster.js';
import type { NamespaceGeneration } from '../cache/namespace.js';
import type { Credentials } from './credentials.js';

/** What the local tier holds: a membership answer, or a subscriber's credentials (or none). */
export type LocalAnswer = boolean | Credentials | undefined;

/** Where the tier learns what the feed changes besides its own entries. */
export interface LocalAnswersHooks {
  /** The namespace generation, told of bumps the feed announces. */
  readonly generation: NamespaceGeneration;
  /** The address table's key without generation, and what to do when a record names it. */
  readonly addressKey: string;
  readonly forgetAddressTable: () => void;
}

/**
 * The local tier of AuthCache: group membership and credentials answered from process memory,
 * kept coherent by following the invalidation feed in memcached. Questions are keyed as asked
 * (`g`/`c`, then each name prefixed by its length, so no two questions share a key), so a hit
 * costs one map read and no key folding.
 */
export class LocalAnswers {
  /** The tier itself. */
  readonly tier: LocalTier<LocalAnswer>;
  /** Its follower of the feed. */
  readonly follower: FeedFollower;
  private readonly now: () => number;
  private provenAt = -Infinity;
  /** Removes the listeners this tier put on the cluster (which may outlive it: the caller's). */
  private readonly unlisten: () => void;

  constructor(
    cluster: MemcacheCluster,
    private readonly prefix: string,
    codec: ValueCodec,
    settings: LocalTierSettings,
    hooks: LocalAnswersHooks,
  ) {
    const s = { ...LOCAL_TIER_DEFAULTS, ...settings };
    this.now = () => performance.now();
    this.tier = new LocalTier<LocalAnswer>({ maxEntries: s.maxEntries, maxBytes: s.maxBytes, boundMs: s.boundMs, now: this.now });
    this.follower = new FeedFollower(cluster, new FeedKeys(prefix), codec, this.tier, { pollMs: s.pollMs, now: this.now });
    this.follower.on('proven', (coveredAt) => (this.provenAt = coveredAt));
    this.follower.on('generation', (generation) => hooks.generation.observe(generation));
    this.follower.on('applied', (record) => {
      if (record.kind === 'all' || record.keys.includes(hooks.addressKey)) hooks.forgetAddressTable();
    });
    // A server marked down or up may move the heartbeat: see FeedFollower.routingChanged.
    const moved = (): void => this.follower.routingChanged();
    cluster.on('server-down', moved);
    cluster.on('server-up', moved);
    this.unlisten = () => {
      cluster.off('server-down', moved);
      cluster.off('server-up', moved);
    };
  }

  /**
   * Looks a question up through memcached (`lookup`) and keeps the answer, unless an invalidation
   * was applied meanwhile, the answer was served stale, or it was not read under a namespace key.
   */
  async fill<T extends LocalAnswer>(question: string, status: LookupStatus | undefined, lookup: (status: LookupStatus) => Promise<T>): Promise<T> {
    const ticket = this.tier.ticket();
    const seen: LookupStatus = {};
    const value = await lookup(seen);
    if (status) Object.assign(status, seen);
    const kept = seen.source === 'cache' || seen.source === 'source' || seen.source === 'peer' || seen.source === 'lease';
    const split = kept && seen.key !== undefined ? splitVersionedKey(this.prefix, seen.key) : undefined;
    if (split) this.tier.set(question, split.local, split.generation, value, sizeOf(value), ticket);
    return value;
  }

  /** Starts following the feed. */
  start(): void {
    this.follower.start();
  }

  /** Stops following the feed; nothing is served from memory afterwards. */
  stop(): Promise<void> {
    this.unlisten();
    return this.follower.stop();
  }

  /** Counters, size and lag. */
  stats(): LocalTierStats {
    const c = this.tier.counters;
    return { ...c, bypasses: { ...c.bypasses }, entries: this.tier.size, bytes: this.tier.bytes, feedLagMs: Math.max(0, this.now() - this.provenAt) };
  }
}

/** The local question of a group membership: kind, then each name prefixed by its length. */
export function groupQuestion(user: string, domain: string, group: string): string {
  return `g${user.length}:${user}${domain.length}:${domain}${group}`;
}

/** The local question of a subscriber's credentials. */
export function credentialsQuestion(user: string, domain: string): string {
  return `c${user.length}:${user}${domain}`;
}

/** Bytes an answer accounts for: about its size in memcached. */
function sizeOf(value: LocalAnswer): number {
  if (typeof value !== 'object') return 1;
  return value.ha1.length + value.ha1b.length + (value.password?.length ?? 0) + 24;
}
