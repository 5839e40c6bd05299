/**
 * The demo's findings: one summary per phase (what `--json` prints, in the shape issue 10 set),
 * the figures the console and the HTML report add, and the console text.
 */
import { percentile } from '../bench/harness.js';
import { textTable } from '../bench/scenario.js';
import type { Mode } from './answerers.js';
import type { Verdict } from './judge.js';
import { RECORD } from './node.js';
import type { PhaseRun } from './phase.js';

/** A `{ warmup, steady }` pair: the first pass over the population, and what follows it. */
export type Split = Readonly<Record<'warmup' | 'steady', number>>;

/** One phase in `--json`. */
export interface PhaseReport {
  readonly name: Mode;
  /** Whether the phase can run (issue 10's shape; every phase can since the local tier exists). */
  readonly available: true;
  readonly requests: Split;
  readonly sqlQueries: Split;
  readonly staleAnswers: number;
  /** Provisioning changes committed during the phase. */
  readonly changesApplied: number;
  /** The latest any node still answered the old way after a commit; null when none was asked again. */
  readonly worstRevocationMs: number | null;
}

/** A phase's summary, and what the console and HTML report add (latency per request, its three lookups, in ms). */
export interface PhaseOutcome {
  readonly report: PhaseReport;
  readonly details: { run: PhaseRun; verdict: Verdict; latency: Record<'p50' | 'p90' | 'p99' | 'p999' | 'max', number>; memcachedPerRequest: number; errors: number; firstError?: string };
}

/** Sums a phase's node counters and latencies. */
export function summarize(run: PhaseRun, verdict: Verdict): PhaseOutcome {
  const total = (pick: (n: PhaseRun['nodes'][number]) => number): number => run.nodes.reduce((sum, n) => sum + pick(n), 0);
  const requests = { warmup: total((n) => n.warm.requests), steady: total((n) => n.total.requests - n.warm.requests) };
  const latencies = new Float64Array(run.nodes.flatMap((n) => Array.from({ length: n.records.length / RECORD.stride }, (_, i) => n.records[i * RECORD.stride + RECORD.latencyMs] ?? 0))).sort();
  const firstError = run.nodes.find((n) => n.firstError !== undefined)?.firstError;
  return {
    report: {
      name: run.mode,
      available: true,
      requests,
      sqlQueries: { warmup: total((n) => n.warm.sql), steady: total((n) => n.total.sql - n.warm.sql) },
      staleAnswers: verdict.stale,
      changesApplied: new Set(run.changes.map((c) => c.n)).size,
      worstRevocationMs: verdict.worstRevocationMs === null ? null : Math.round(verdict.worstRevocationMs),
    },
    details: {
      run,
      verdict,
      latency: { p50: percentile(latencies, 0.5), p90: percentile(latencies, 0.9), p99: percentile(latencies, 0.99), p999: percentile(latencies, 0.999), max: percentile(latencies, 1) },
      memcachedPerRequest: total((n) => n.total.memcached) / Math.max(1, requests.warmup + requests.steady),
      errors: total((n) => n.errors),
      ...(firstError === undefined ? {} : { firstError }),
    },
  };
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const perThousand = (sql: number, requests: number): number => (1000 * sql) / Math.max(1, requests);
const ms = (value: number | null): string => (value === null ? '-' : value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);

/** The console report. */
export function formatReport(phases: readonly PhaseOutcome[], reportPath: string): string {
  const rows = phases.map(({ report: r, details: d }) => [
    r.name,
    `${count(r.requests.warmup)} + ${count(r.requests.steady)}`,
    perThousand(r.sqlQueries.warmup, r.requests.warmup).toFixed(0),
    perThousand(r.sqlQueries.steady, r.requests.steady).toFixed(1),
    count(r.staleAnswers),
    count(r.changesApplied),
    ms(r.worstRevocationMs),
    `${ms(d.latency.p50)} / ${ms(d.latency.p99)}`,
    d.memcachedPerRequest.toFixed(2),
  ]);
  const lines = [
    textTable({
      title: 'Per phase (requests: warm-up + steady state; SQL per 1,000 requests; stale: answers contradicting a change committed over 1 s before the question):',
      headers: ['phase', 'requests', 'SQL warm-up', 'SQL steady', 'stale', 'changes', 'worst revocation', 'p50 / p99', 'memcached/request'],
      rows,
    }),
    '',
  ];
  const baseline = phases.find((p) => p.report.name === 'no-cache')?.report;
  for (const { report: r, details: d } of phases) {
    if (!baseline || r.name === 'no-cache') continue;
    const saving = 100 * (1 - perThousand(r.sqlQueries.steady, r.requests.steady) / perThousand(baseline.sqlQueries.steady, baseline.requests.steady));
    const whole = r.sqlQueries.warmup + r.sqlQueries.steady;
    const floor = d.verdict.distinctQuestions + d.verdict.invalidations;
    lines.push(
      `${r.name}: steady state: ${saving.toFixed(1)} % fewer SQL queries than no cache; whole run ${count(whole)} SQL queries, ` +
        `compulsory floor ${count(floor)} (${count(d.verdict.distinctQuestions)} distinct questions + ${count(d.verdict.invalidations)} invalidations).`,
    );
    if (r.name.startsWith('authring')) {
      const seconds = (d.run.endAt - d.run.startAt) / 1000;
      lines.push(`${r.name}: the change watcher's own queries (polls of the change log, position saves): ${count(d.run.watcherQueries)} (${(d.run.watcherQueries / seconds).toFixed(1)}/s), not counted above.`);
    }
  }
  for (const { report: r, details: d } of phases) {
    const s = d.verdict.staleByQuestion;
    const downs = d.run.nodes.reduce((sum, n) => sum + n.serversMarkedDown, 0);
    lines.push(
      `${r.name}: ${count(r.staleAnswers)} stale (${count(s.group)} group, ${count(s.credentials)} credentials, ${count(s.address)} address)` +
        `${d.errors > 0 ? `, ${count(d.errors)} failed lookups (${d.firstError ?? '?'})` : ''}` +
        `${downs > 0 ? `; memcached servers marked down ${count(downs)} times (requests timed out: on a loaded machine, lookups then go to MySQL)` : ''}; MariaDB counted ${count(d.run.serverSelects)} SELECTs ` +
        `(the nodes sent ${count(r.sqlQueries.warmup + r.sqlQueries.steady)} queries${d.run.watcherQueries > 0 ? `, the watcher ${count(d.run.watcherQueries)}` : ''}).`,
    );
  }
  for (const { report: r, details: d } of phases) {
    const local: Record<string, number> = {};
    for (const n of d.run.nodes) for (const [what, value] of Object.entries(n.local ?? {})) local[what] = (local[what] ?? 0) + value;
    if (Object.keys(local).length > 0) lines.push(`${r.name}: local tier (group and credentials questions, all nodes): ${Object.entries(local).map(([what, value]) => `${count(value)} ${what}`).join(', ')}.`);
  }
  lines.push('', `HTML report with charts: ${reportPath}`);
  return lines.join('\n');
}
