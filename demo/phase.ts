/**
 * Runs one phase: forks the proxy nodes, waits until all are connected and ready, then starts
 * them together and collects their results. MySQL's SELECT counter is read before the fork,
 * once all are ready and after the last result, which splits the server's count into start-up
 * and workload.
 */
import { performance } from 'node:perf_hooks';
import { NodeChild } from './children.js';
import type { NodeMode, NodeResult } from './protocol.js';
import type { SelectCounter } from './select-counter.js';
import type { WorkloadSpec } from './workload.js';

/** What to run. */
export interface PhaseOptions {
  readonly mode: NodeMode;
  readonly configPath: string;
  readonly nodes: number;
  /** The workload; `node` is filled in per child. */
  readonly spec: Omit<WorkloadSpec, 'node'>;
  readonly counter: SelectCounter;
  /** Called with requests done over all nodes and milliseconds since `go`. */
  readonly onProgress: (done: number, elapsedMs: number) => void;
  /** Longest wait for the nodes to connect. @default 30000 */
  readonly readyTimeoutMs?: number;
  /** Longest wait for the workload. @default 300000 */
  readonly runTimeoutMs?: number;
}

/** What a phase measured. */
export interface PhaseResult {
  readonly mode: NodeMode;
  /** Per node, in node order. */
  readonly nodes: readonly NodeResult[];
  /** From the fork to the last node's `ready`: process start, connections, workload built. */
  readonly startupMs: number;
  /** From `go` to the last result. */
  readonly wallMs: number;
  /** SELECTs the server ran while the nodes connected (start-up). */
  readonly startupSelects: number;
  /** SELECTs the server ran during the workload. */
  readonly workloadSelects: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One child's way through the protocol, as promises. */
interface Tracked {
  readonly child: NodeChild;
  readonly ready: Promise<void>;
  readonly result: Promise<NodeResult>;
  done: number;
}

function track(index: number, onProgress: () => void): Tracked {
  let markReady: () => void = () => undefined;
  let rejectReady: (error: Error) => void = () => undefined;
  let resolveResult: (result: NodeResult) => void = () => undefined;
  let rejectResult: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    rejectReady = reject;
  });
  const result = new Promise<NodeResult>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  // Both are awaited later; an early failure must not count as unhandled meanwhile.
  ready.catch(() => undefined);
  result.catch(() => undefined);
  const fail = (error: Error): void => {
    rejectReady(error);
    rejectResult(error);
  };
  const tracked: Tracked = {
    done: 0,
    ready,
    result,
    child: NodeChild.fork(index, (message) => {
      if (message.type === 'ready') markReady();
      else if (message.type === 'progress') {
        tracked.done = message.done;
        onProgress();
      } else if (message.type === 'result') resolveResult(message.result);
      else fail(new Error(`node ${index + 1}: ${message.message}`));
    }),
  };
  // Settles nothing once the result is in: a promise settles only once.
  void tracked.child.done.then(() => {
    const stderr = tracked.child.stderr;
    fail(new Error(`node ${index + 1} exited (code ${String(tracked.child.exitCode)}) before finishing${stderr ? `:\n${stderr}` : ''}`));
  });
  return tracked;
}

/** Runs the phase; every child has exited when it returns or throws. */
export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const before = await options.counter.read();
  const nodes: Tracked[] = [];
  const forked = performance.now();
  let started = forked;
  const progress = (): void => options.onProgress(nodes.reduce((sum, n) => sum + n.done, 0), performance.now() - started);
  let finished = false;
  try {
    for (let index = 0; index < options.nodes; index += 1) {
      const tracked = track(index, progress);
      nodes.push(tracked);
      tracked.child.send({ type: 'start', mode: options.mode, configPath: options.configPath, spec: { ...options.spec, node: index } });
    }
    await withTimeout(Promise.all(nodes.map((n) => n.ready)), options.readyTimeoutMs ?? 30_000, 'starting the proxy nodes');
    const ready = await options.counter.read();
    started = performance.now();
    for (const n of nodes) n.child.send({ type: 'go' });
    const results = await withTimeout(Promise.all(nodes.map((n) => n.result)), options.runTimeoutMs ?? 300_000, 'the workload');
    const wallMs = performance.now() - started;
    const after = await options.counter.read();
    finished = true;
    return { mode: options.mode, nodes: results, startupMs: started - forked, wallMs, startupSelects: ready - before, workloadSelects: after - ready };
  } finally {
    // Finished nodes exit by themselves; after a failure, the others are killed at once.
    await Promise.all(nodes.map((n) => n.child.end(finished ? 5000 : 0)));
  }
}
