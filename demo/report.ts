/**
 * The demo's findings as one plain object: what `--json` prints and what the text report
 * formats. Compares the two phases, checks that every node got the same answers in both, and
 * sums the nodes' cache and memcached counters.
 */
import type { CacheCounters } from '../src/index.js';
import type { ClusterEvent } from './cluster-watch.js';
import { compareAnswers, type AnswerCheck } from './compare.js';
import type { DatabaseSummary } from './database.js';
import type { PhaseResult } from './phase.js';
import type { NodeResult, RingSample, ServerCounters } from './protocol.js';
import { distinctLookups, type Question } from './workload.js';

/** How the run was set up. */
export interface ReportSetup {
  readonly nodes: number;
  readonly requestsPerNode: number;
  readonly concurrency: number;
  readonly database: string;
  readonly population: DatabaseSummary;
  readonly configPath: string;
  readonly keyPrefix: string;
  readonly zipfExponent: number;
  readonly unknownShare: number;
}

/** One node of one phase. */
export interface NodeSummary {
  readonly node: number;
  readonly wallMs: number;
  /** Latency of the per-user lookups (`is_user_in`, credentials). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Latency of `allow_address` (answered from memory in both phases). */
  readonly addressP50Ms: number;
  readonly sqlQueries: number;
  readonly errors: number;
  readonly checksum: string;
  readonly latencyByKind: NodeResult['latencyByKind'];
}

/** One phase. */
export interface PhaseSummary {
  readonly wallMs: number;
  /** SELECTs counted by the MySQL server (Com_select) during the workload. */
  readonly serverSelects: number;
  /** SELECTs counted by the MySQL server while the nodes started. */
  readonly serverStartupSelects: number;
  /** SQL queries the nodes say they sent during the workload. */
  readonly clientQueries: number;
  readonly errors: number;
  readonly nodes: readonly NodeSummary[];
}

/** The whole report. */
export interface DemoReport {
  readonly setup: ReportSetup;
  /** SIP requests over all nodes, per phase. */
  readonly requests: number;
  /** Auth questions over all nodes, per phase (three per request). */
  readonly questions: number;
  /** Different lookups asked over all nodes: the fewest SQL queries a cold shared cache needs. */
  readonly distinctLookups: number;
  readonly withoutAuthring: PhaseSummary;
  readonly withAuthring: PhaseSummary;
  /** How many times fewer SELECTs the server ran during the workload with authring. */
  readonly reductionServer: number;
  /** The same from the nodes' own counts. */
  readonly reductionClient: number;
  readonly cache: {
    /** Every node's engine counters, summed. */
    readonly counters: CacheCounters;
    /** Lookups answered without a SQL query of their own: 1 - loads / lookups. */
    readonly hitRatio: number;
    /** Lookups served by another lookup's load (same node or another): queries not sent. */
    readonly coalesced: number;
  };
  /** Per memcached server, summed over nodes. */
  readonly memcached: readonly ServerCounters[];
  /** Phase B: servers marked down or up (any node), and the namespace generations the nodes used. */
  readonly cluster: {
    readonly events: readonly (ClusterEvent & { readonly node: number })[];
    /** More than one means every key changed during the run: the cache went cold again. */
    readonly generations: readonly string[];
  };
  readonly ring: RingSample | null;
  readonly answers: AnswerCheck;
  /** Set when the server counted clearly more SELECTs than the nodes sent: other clients. */
  readonly otherServerActivity: string | null;
}

function summarizePhase(phase: PhaseResult): PhaseSummary {
  const nodes = phase.nodes.map(
    (n): NodeSummary => ({
      node: n.node,
      wallMs: n.wallMs,
      p50Ms: n.latency.p50Ms,
      p99Ms: n.latency.p99Ms,
      maxMs: n.latency.maxMs,
      addressP50Ms: n.latencyByKind.address.p50Ms,
      sqlQueries: n.workloadQueries,
      errors: n.errors,
      checksum: n.checksum,
      latencyByKind: n.latencyByKind,
    }),
  );
  return {
    wallMs: phase.wallMs,
    serverSelects: phase.workloadSelects,
    serverStartupSelects: phase.startupSelects,
    clientQueries: nodes.reduce((sum, n) => sum + n.sqlQueries, 0),
    errors: nodes.reduce((sum, n) => sum + n.errors, 0),
    nodes,
  };
}

function sumCounters(results: readonly NodeResult[]): CacheCounters | undefined {
  let total: CacheCounters | undefined;
  for (const { cache } of results) {
    if (!cache) continue;
    if (!total) total = { ...cache };
    else for (const name of Object.keys(total) as (keyof CacheCounters)[]) total[name] += cache[name];
  }
  return total;
}

function sumServers(results: readonly NodeResult[]): ServerCounters[] {
  const byAddress = new Map<string, ServerCounters>();
  for (const server of results.flatMap((r) => r.memcached ?? [])) {
    const seen = byAddress.get(server.address);
    byAddress.set(
      server.address,
      seen
        ? {
            address: server.address,
            requests: seen.requests + server.requests,
            hits: seen.hits + server.hits,
            misses: seen.misses + server.misses,
            timeouts: seen.timeouts + server.timeouts,
          }
        : { ...server },
    );
  }
  return [...byAddress.values()];
}

/**
 * Builds the report.
 *
 * @param questionsOf rebuilds a node's questions (to count distinct lookups and describe differences).
 */
export function buildReport(
  setup: ReportSetup,
  a: PhaseResult,
  b: PhaseResult,
  questionsOf: (node: number) => readonly Question[],
): DemoReport {
  const withoutAuthring = summarizePhase(a);
  const withAuthring = summarizePhase(b);
  const counters = sumCounters(b.nodes);
  const requests = setup.nodes * setup.requestsPerNode;
  const slack = (phase: PhaseSummary): number => phase.serverSelects - phase.clientQueries;
  const extra = Math.max(slack(withoutAuthring), slack(withAuthring));
  return {
    setup,
    requests,
    questions: requests * 3,
    distinctLookups: distinctLookups(Array.from({ length: setup.nodes }, (_, node) => questionsOf(node))),
    withoutAuthring,
    withAuthring,
    reductionServer: withoutAuthring.serverSelects / Math.max(1, withAuthring.serverSelects),
    reductionClient: withoutAuthring.clientQueries / Math.max(1, withAuthring.clientQueries),
    cache: {
      counters: counters ?? emptyCounters(),
      hitRatio: counters && counters.lookups > 0 ? 1 - counters.loads / counters.lookups : 0,
      coalesced: counters?.coalesced ?? 0,
    },
    memcached: sumServers(b.nodes),
    cluster: {
      events: b.nodes.flatMap((n) => (n.cluster?.events ?? []).map((e) => ({ node: n.node, ...e }))).sort((x, y) => x.atMs - y.atMs),
      generations: [...new Set(b.nodes.flatMap((n) => n.cluster?.generations ?? []))],
    },
    ring: b.nodes.find((n) => n.ring !== undefined)?.ring ?? null,
    answers: compareAnswers(a, b, questionsOf),
    otherServerActivity:
      extra > 10
        ? `the MySQL server ran ${extra.toLocaleString('en-US')} more SELECTs than the nodes sent in one phase: another client used it meanwhile, so the server-side figures include its queries`
        : null,
  };
}

function emptyCounters(): CacheCounters {
  return { lookups: 0, hits: 0, negativeHits: 0, misses: 0, loads: 0, coalesced: 0, staleServed: 0, forged: 0, malformed: 0, abandonedLeases: 0, staleSetsPrevented: 0, refreshes: 0, cacheErrors: 0, errors: 0 };
}
