/**
 * The demo's findings: one summary per phase (what `--json` prints: the shape issue 10 set, with
 * the latencies and the lookups by source added), and the console text.
 */
import { ascending, percentile } from '../bench/harness.js';
import { rate as count, textTable } from '../bench/scenario.js';
import type { Verdict } from './judge.js';
import { RECORD, SOURCES } from './node.js';
import type { PhaseRun } from './phase.js';

/** A phase's summary: `report` is what `--json` prints for it, `run` and `verdict` what it was made from. */
export type PhaseOutcome = ReturnType<typeof summarize>;

const round = (ms: number): number => Math.round(ms * 100) / 100;
/** p50 and p99 of latencies in ms, rounded (the values sorted once). */
const medianAndTail = (values: readonly number[]): { p50: number; p99: number } => {
  const ms = ascending(values);
  return { p50: round(percentile(ms, 0.5)), p99: round(percentile(ms, 0.99)) };
};

/** Sums a phase's node counters and latencies. */
export function summarize(run: PhaseRun, verdict: Verdict) {
  const total = (pick: (n: PhaseRun['nodes'][number]) => number): number => run.nodes.reduce((sum, n) => sum + pick(n), 0);
  const requests = { warmup: total((n) => n.warm.requests), steady: total((n) => n.total.requests - n.warm.requests) };
  const [latencies, parts, bySource] = [[] as number[], { warmup: [] as number[], steady: [] as number[] }, SOURCES.map(() => [] as number[])];
  const lookupParts = { warmup: [] as number[], steady: [] as number[] };
  for (const { records, warm } of run.nodes) {
    for (let at = 0; at < records.length; at += RECORD.stride) {
      latencies.push(records[at + RECORD.latencyMs] ?? 0);
      // A node's first requests are its warm-up pass.
      const part = at < warm.requests * RECORD.stride ? 'warmup' : 'steady';
      parts[part].push(records[at + RECORD.latencyMs] ?? 0);
      for (let q = 0; q < 3; q += 1) {
        const ms = records[at + RECORD.ms + q] ?? Number.NaN;
        bySource[records[at + RECORD.source + q] ?? Number.NaN]?.push(ms);
        // A question not asked (an earlier one threw) has no latency.
        if (!Number.isNaN(ms)) lookupParts[part].push(ms);
      }
    }
  }
  const latency = ascending(latencies);
  const lookupsBySource = SOURCES.flatMap((source, s) => {
    const ms = ascending(bySource[s] ?? []);
    return ms.length === 0 ? [] : [[source, { lookups: ms.length, p50Ms: round(percentile(ms, 0.5)), p99Ms: round(percentile(ms, 0.99)) }] as const];
  });
  // Issue 10's shape (requests and SQL as { warmup, steady }: the pass over the people, then the rest), latencies in ms added.
  const report = {
    name: run.mode,
    /** Whether the phase can run (every phase can since the local tier exists). */
    available: true as const,
    requests,
    sqlQueries: { warmup: total((n) => n.warm.sql), steady: total((n) => n.total.sql - n.warm.sql) },
    staleAnswers: verdict.stale,
    /** Provisioning changes committed during the phase. */
    changesApplied: new Set(run.changes.map((c) => c.n)).size,
    /** The latest any node still answered the old way after a commit; null when none was asked again. */
    worstRevocationMs: verdict.worstRevocationMs === null ? null : Math.round(verdict.worstRevocationMs),
    /** Per SIP request (its three lookups). */
    latencyMs: { p50: round(percentile(latency, 0.5)), p90: round(percentile(latency, 0.9)), p99: round(percentile(latency, 0.99)), p999: round(percentile(latency, 0.999)), max: round(percentile(latency, 1)) },
    /** Per SIP request, the warm-up pass (each person asked once, cold) and the steady state apart. */
    latencyByPartMs: Object.fromEntries(Object.entries(parts).map(([part, values]) => [part, medianAndTail(values)])) as Record<'warmup' | 'steady', { p50: number; p99: number }>,
    /** Per lookup (each of a request's three questions on its own: issue 12's measure), the whole phase and its two parts. */
    lookupLatencyMs: { ...medianAndTail([...lookupParts.warmup, ...lookupParts.steady]), warmup: medianAndTail(lookupParts.warmup), steady: medianAndTail(lookupParts.steady) },
    /** Lookups (three per request) by where their answer came from (`SOURCES` in node.ts), with their latency. */
    lookupsBySource: Object.fromEntries(lookupsBySource),
    /** The worst node's 99th percentile of event-loop delay: how long work queued for the CPU. */
    loopDelayP99Ms: round(Math.max(...run.nodes.map((n) => n.loopDelayP99Ms))),
    memcachedPerRequest: round(total((n) => n.total.memcached) / Math.max(1, requests.warmup + requests.steady)),
  };
  return { report, run, verdict };
}

const perThousand = (sql: number, requests: number): number => (1000 * sql) / Math.max(1, requests);
const ms = (value: number | null): string => (value === null ? '-' : value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);

/** The console report. */
export function formatReport(phases: readonly PhaseOutcome[], reportPath: string): string {
  const rows = phases.map(({ report: r }) => [
    r.name,
    `${count(r.requests.warmup)} + ${count(r.requests.steady)}`,
    perThousand(r.sqlQueries.warmup, r.requests.warmup).toFixed(0),
    perThousand(r.sqlQueries.steady, r.requests.steady).toFixed(1),
    count(r.staleAnswers),
    count(r.changesApplied),
    ms(r.worstRevocationMs),
    `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)}`,
    `${ms(r.latencyByPartMs.warmup.p99)} / ${ms(r.latencyByPartMs.steady.p99)}`,
    `${ms(r.lookupLatencyMs.p50)} / ${ms(r.lookupLatencyMs.p99)}`,
    `${ms(r.lookupLatencyMs.warmup.p99)} / ${ms(r.lookupLatencyMs.steady.p99)}`,
    r.memcachedPerRequest.toFixed(2),
  ]);
  const lines = [
    textTable({
      title: 'Per phase (requests: warm-up + steady state; SQL per 1,000 requests; stale: answers contradicting a change committed over 1 s before the question; p50 / p99 per request, then per lookup):',
      headers: ['phase', 'requests', 'SQL warm-up', 'SQL steady', 'stale', 'changes', 'worst revocation', 'p50 / p99', 'p99 warm-up / steady', 'lookup p50 / p99', 'lookup p99 warm-up / steady', 'memcached/request'],
      rows,
    }),
    '',
  ];
  const baseline = phases.find((p) => p.report.name === 'no-cache')?.report;
  for (const { report: r, run, verdict: v } of phases) {
    if (!baseline || r.name === 'no-cache') continue;
    const saving = 100 * (1 - perThousand(r.sqlQueries.steady, r.requests.steady) / perThousand(baseline.sqlQueries.steady, baseline.requests.steady));
    lines.push(
      `${r.name}: steady state: ${saving.toFixed(1)} % fewer SQL queries than no cache; whole run ${count(r.sqlQueries.warmup + r.sqlQueries.steady)} SQL queries, ` +
        `compulsory floor ${count(v.distinctQuestions + v.invalidations)} (${count(v.distinctQuestions)} distinct questions + ${count(v.invalidations)} invalidations).`,
    );
    const seconds = (run.endAt - run.startAt) / 1000;
    if (r.name.startsWith('authring')) lines.push(`${r.name}: the change watcher's own queries (polls of the change log, position saves): ${count(run.watcherQueries)} (${(run.watcherQueries / seconds).toFixed(1)}/s), not counted above.`);
  }
  for (const { report: r, run, verdict: v } of phases) {
    const [s, downs, firstError] = [v.staleByQuestion, run.nodes.reduce((sum, n) => sum + n.total.downs, 0), run.nodes.find((n) => n.firstError)?.firstError];
    lines.push(
      `${r.name}: ${count(r.staleAnswers)} stale (${count(s.group)} group, ${count(s.credentials)} credentials, ${count(s.address)} address)` +
        `${v.failed > 0 ? `, ${count(v.failed)} failed lookups (${firstError ?? '?'})` : ''}` +
        `${downs > 0 ? `; memcached servers marked down ${count(downs)} times (requests timed out: on a loaded machine, lookups then go to MySQL)` : ''}; MariaDB counted ${count(run.serverSelects)} SELECTs ` +
        `(the nodes sent ${count(r.sqlQueries.warmup + r.sqlQueries.steady)} queries${run.watcherQueries > 0 ? `, the watcher ${count(run.watcherQueries)}` : ''}).`,
    );
    const local: Record<string, number> = {};
    for (const n of run.nodes) for (const [what, value] of Object.entries(n.total.local ?? {})) local[what] = (local[what] ?? 0) + value;
    if (Object.keys(local).length > 0) lines.push(`${r.name}: local tier (group and credentials questions, all nodes): ${Object.entries(local).map(([what, value]) => `${count(value)} ${what}`).join(', ')}.`);
  }
  lines.push('', "Lookups (3 per request) by where the answer came from: count (share) p50 / p99; the worst node's event-loop delay p99 (CPU queueing):");
  for (const { report: r } of phases) {
    const lookups = Object.values(r.lookupsBySource).reduce((sum, s) => sum + s.lookups, 0);
    const sources = Object.entries(r.lookupsBySource).map(([source, s]) => `${source} ${count(s.lookups)} (${((100 * s.lookups) / lookups).toFixed(1)} %) ${ms(s.p50Ms)} / ${ms(s.p99Ms)}`);
    lines.push(`${r.name}: ${sources.join('; ')}; event loop ${ms(r.loopDelayP99Ms)}.`);
  }
  lines.push('', `HTML report with charts: ${reportPath}`);
  return lines.join('\n');
}
