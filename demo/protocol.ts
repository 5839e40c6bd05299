/**
 * Messages between the demo (parent) and its proxy-node children, over Node's IPC channel:
 *
 * parent → child `start` · child → parent `ready` · parent → child `go` ·
 * child → parent `progress`… then `result` (or `error` at any point).
 *
 * Splitting start from go lets the parent count MySQL's SELECTs of the start-up and of the
 * workload separately.
 */
import type { CacheCounters } from '../src/index.js';
import type { ClusterObservations } from './cluster-watch.js';
import type { LatencySummary } from './latency.js';
import type { WorkloadSpec } from './workload.js';

/** How a node answers: phase A asks MySQL directly, phase B asks authring. */
export type NodeMode = 'direct' | 'authring';

/** Parent → child: what to replay. */
export interface StartMessage {
  readonly type: 'start';
  readonly mode: NodeMode;
  readonly configPath: string;
  readonly spec: WorkloadSpec;
}

/** Parent → child: replay now. */
export interface GoMessage {
  readonly type: 'go';
}

/** Child → parent: connected, workload built, waiting for `go`. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** Child → parent: requests done so far. */
export interface ProgressMessage {
  readonly type: 'progress';
  readonly done: number;
}

/** One memcached server's counters, as one node saw them. */
export interface ServerCounters {
  readonly address: string;
  readonly requests: number;
  readonly hits: number;
  readonly misses: number;
  readonly timeouts: number;
}

/** Where some keys live on the ring (phase B, node 0 only). */
export interface RingSample {
  /** A few of the node's hottest questions' keys and their servers. */
  readonly samples: readonly { readonly question: string; readonly key: string; readonly server: string }[];
  /** How the node's distinct keys spread over the servers. */
  readonly keysPerServer: Readonly<Record<string, number>>;
}

/** Child → parent: the replay's outcome. */
export interface NodeResult {
  readonly node: number;
  readonly requests: number;
  readonly wallMs: number;
  /** The per-user lookups: `is_user_in` and credentials (each call). */
  readonly latency: LatencySummary;
  /** By question kind. */
  readonly latencyByKind: { readonly group: LatencySummary; readonly credentials: LatencySummary; readonly address: LatencySummary };
  /** sha256 of the answer lines. */
  readonly checksum: string;
  /** One line per request, for locating mismatches. */
  readonly answers: readonly string[];
  /** Requests whose lookups threw. */
  readonly errors: number;
  /** SQL queries this node sent during the workload (phase B: the cache's loads). */
  readonly workloadQueries: number;
  /** Phase B: the engine's counters during the workload. */
  readonly cache?: CacheCounters;
  /** Phase B: per memcached server. */
  readonly memcached?: readonly ServerCounters[];
  /** Phase B: server state changes and namespace generations seen. */
  readonly cluster?: ClusterObservations;
  /** Phase B, node 0. */
  readonly ring?: RingSample;
}

/** Child → parent: the replay's outcome. */
export interface ResultMessage {
  readonly type: 'result';
  readonly result: NodeResult;
}

/** Child → parent: it failed (it exits non-zero right after). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
}

/** Anything the parent sends. */
export type ParentMessage = StartMessage | GoMessage;

/** Anything a child sends. */
export type ChildMessage = ReadyMessage | ProgressMessage | ResultMessage | ErrorMessage;

const CHILD_TYPES = new Set(['ready', 'progress', 'result', 'error']);
const PARENT_TYPES = new Set(['start', 'go']);

function typed(value: unknown, types: ReadonlySet<string>): boolean {
  return typeof value === 'object' && value !== null && types.has(String((value as { type?: unknown }).type));
}

/** Whether an IPC message came from a demo child (the channel is private: shape is trusted). */
export function isChildMessage(value: unknown): value is ChildMessage {
  return typed(value, CHILD_TYPES);
}

/** Whether an IPC message came from the demo parent. */
export function isParentMessage(value: unknown): value is ParentMessage {
  return typed(value, PARENT_TYPES);
}
