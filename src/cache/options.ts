import { InvalidArgumentError } from '../errors.js';
import { CLUSTER_DEFAULTS } from '../cluster/options.js';
import { plainCodec, type ValueCodec } from './codec.js';

/** Options of {@link ReadThroughCache}. All have defaults. */
export interface ReadThroughOptions {
  /** Seconds a loaded value stays cached. @default 300 */
  readonly ttlSeconds?: number;
  /** Seconds a "no such row" answer stays cached; 0 does not cache such answers. @default 60 */
  readonly negativeTtlSeconds?: number;
  /**
   * Fraction of the TTL randomly taken off each entry (0..0.5), so entries loaded together do not
   * expire together. @default 0.1
   */
  readonly jitter?: number;
  /** How values are written: `plainCodec` (Kamailio-readable) or `signedCodec(secret)`. @default plainCodec */
  readonly codec?: ValueCodec;
  /**
   * Milliseconds one lookup may take in all: cache reads, waiting for a peer's load, and the load.
   * Past it the lookup fails with `E_DEADLINE`. Per-call override in `getOrLoad`'s options.
   * @default 500
   */
  readonly deadlineMs?: number;
  /** Milliseconds each memcached request may take within the deadline. @default 250 */
  readonly cacheTimeoutMs?: number;
  /**
   * Milliseconds a lease holds off other nodes missing the same key while its leader loads:
   * keep it above the loader's own timeout (a load may outlive the caller's deadline). Nodes
   * finding the lease wait for its result as long as their own deadline allows, and take it over
   * only once it is abandoned (still in place past its hold: the leader died). A marker claiming
   * a longer hold is honoured this long at most. @default 2000
   */
  readonly leaseMs?: number;
  /**
   * Fraction of the TTL (0..0.9) before expiry within which a hit triggers one background reload,
   * so hot keys never expire under load. 0 turns it off. Needs a codec that stores the expiry
   * (`signed`). @default 0
   */
  readonly refreshAhead?: number;
  /**
   * Seconds an expired entry is kept to be served if the source fails (counted as stale served).
   * 0 turns it off. Needs a codec that stores the expiry (`signed`). @default 0
   */
  readonly staleTtlSeconds?: number;
  /**
   * Checks a cached value before it is served: false (or a throw) means the entry is malformed
   * (written by something else, or by an incompatible version); it is then counted as
   * `malformed`, treated as a miss and replaced by a fresh load. Not called for negative entries
   * nor for values the loader just returned. Per-call override in `getOrLoad`'s options.
   * @default accepts every value
   */
  readonly validate?: Validator;
  /**
   * Clock in milliseconds since the epoch. AuthCache times its lookups' deadlines and namespace
   * generation checks by it too. @default Date.now
   */
  readonly now?: () => number;
}

/** Tells whether a cached value has the shape its lookup stores. */
export type Validator = (value: string) => boolean;

/** Per-call overrides of `getOrLoad`. */
export type LoadOptions = Pick<ReadThroughOptions, 'ttlSeconds' | 'negativeTtlSeconds' | 'deadlineMs' | 'validate'>;

/**
 * The defaults of {@link ReadThroughOptions}, written once: the engine applies them, and the
 * config file's `cache:` section takes them as its own. A memcached request's own timeout is the
 * cluster's request deadline.
 */
export const READ_THROUGH_DEFAULTS: Required<Omit<ReadThroughOptions, 'codec' | 'validate' | 'now'>> = {
  ttlSeconds: 300,
  negativeTtlSeconds: 60,
  jitter: 0.1,
  deadlineMs: 500,
  cacheTimeoutMs: CLUSTER_DEFAULTS.timeoutMs,
  leaseMs: 2000,
  refreshAhead: 0,
  staleTtlSeconds: 0,
};

/** The accepted values of a numeric option: `min..max`, integers only when `integer`. */
export interface OptionLimits {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

/** memcached reads a TTL above 30 days as an absolute Unix time. */
const MAX_TTL_S = 2_592_000;

/**
 * The limits of {@link ReadThroughOptions}' numbers, written once: the engine checks them, and
 * the config file's `cache:` section checks its keys against them (so a file that loads never
 * fails here).
 */
export const READ_THROUGH_LIMITS = {
  ttlSeconds: { min: 1, max: MAX_TTL_S, integer: true },
  negativeTtlSeconds: { min: 0, max: MAX_TTL_S, integer: true },
  jitter: { min: 0, max: 0.5, integer: false },
  deadlineMs: { min: 1, max: 600_000, integer: false },
  cacheTimeoutMs: { min: 1, max: 600_000, integer: false },
  leaseMs: { min: 1000, max: 600_000, integer: false },
  refreshAhead: { min: 0, max: 0.9, integer: false },
  staleTtlSeconds: { min: 0, max: MAX_TTL_S, integer: true },
} as const satisfies Record<keyof typeof READ_THROUGH_DEFAULTS, OptionLimits>;

/** Options with defaults applied. */
export type ResolvedReadThroughOptions = Required<ReadThroughOptions>;

/**
 * Applies defaults and validates.
 * @throws InvalidArgumentError naming the option.
 */
export function resolveReadThroughOptions(options: ReadThroughOptions): ResolvedReadThroughOptions {
  const D = READ_THROUGH_DEFAULTS;
  const resolved: ResolvedReadThroughOptions = {
    ttlSeconds: options.ttlSeconds ?? D.ttlSeconds,
    negativeTtlSeconds: options.negativeTtlSeconds ?? D.negativeTtlSeconds,
    jitter: options.jitter ?? D.jitter,
    codec: options.codec ?? plainCodec,
    deadlineMs: options.deadlineMs ?? D.deadlineMs,
    cacheTimeoutMs: options.cacheTimeoutMs ?? D.cacheTimeoutMs,
    leaseMs: options.leaseMs ?? D.leaseMs,
    refreshAhead: options.refreshAhead ?? D.refreshAhead,
    staleTtlSeconds: options.staleTtlSeconds ?? D.staleTtlSeconds,
    validate: options.validate ?? (() => true),
    now: options.now ?? Date.now,
  };
  for (const [name, limits] of Object.entries(READ_THROUGH_LIMITS) as [keyof typeof READ_THROUGH_LIMITS, OptionLimits][]) {
    checkRange(name, resolved[name], limits);
  }
  if ((resolved.refreshAhead > 0 || resolved.staleTtlSeconds > 0) && resolved.codec.name === 'plain') {
    throw new InvalidArgumentError('refreshAhead and staleTtlSeconds need a codec that stores the expiry (signed)');
  }
  return resolved;
}

function checkRange(name: string, value: number, { min, max, integer }: OptionLimits): void {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer ' : ''}in ${min}..${max}, got ${value}`);
  }
}
