/**
 * The demo's findings: one summary per phase (what `--json` prints, in the shape issue 10 set),
 * the figures the console and the HTML report add, and the console text.
 */
import { percentile } from '../bench/harness.js';
import { textTable } from '../bench/scenario.js';
import { UNAVAILABLE, type Mode } from './answerers.js';
import type { Verdict } from './judge.js';
import { RECORD } from './node.js';
import type { PhaseRun } from './phase.js';

/** A `{ warmup, steady }` pair: the first pass over the population, and what follows it. */
export type Split = Readonly<Record<'warmup' | 'steady', number>>;

/** One phase in `--json`. */
export interface PhaseReport {
  readonly name: Mode;
  /** False for a phase that cannot run yet; its figures are then null. */
  readonly available: boolean;
  readonly requests: Split | null;
  readonly sqlQueries: Split | null;
  readonly staleAnswers: number | null;
  /** Provisioning changes committed during the phase. */
  readonly changesApplied: number | null;
  /** The latest any node still answered the old way after a commit; null when none was asked again. */
  readonly worstRevocationMs: number | null;
}

/** A phase's summary, and when it ran what the console and HTML report add (latency per request, its three lookups, in ms). */
export interface PhaseOutcome {
  readonly report: PhaseReport;
  readonly details?: { run: PhaseRun; verdict: Verdict; latency: Record<'p50' | 'p90' | 'p99' | 'p999' | 'max', number>; memcachedPerRequest: number; errors: number; firstError?: string };
}
type PhaseDetails = NonNullable<PhaseOutcome['details']>;

/** The phase that cannot run yet. */
export function unavailable(name: Mode): PhaseOutcome {
  return { report: { name, available: false, requests: null, sqlQueries: null, staleAnswers: null, changesApplied: null, worstRevocationMs: null } };
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

const downs = (d: PhaseDetails): number => d.run.nodes.reduce((sum, n) => sum + n.serversMarkedDown, 0);
const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const perThousand = (sql: number, requests: number): number => (1000 * sql) / Math.max(1, requests);
const ms = (value: number | null): string => (value === null ? '-' : value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);

/** The `steady state: N % fewer SQL queries than no cache` figure of a phase. */
export function steadySaving(phase: PhaseReport, baseline: PhaseReport | undefined): number | null {
  if (!phase.requests || !phase.sqlQueries || !baseline?.requests || !baseline.sqlQueries) return null;
  const base = perThousand(baseline.sqlQueries.steady, baseline.requests.steady);
  return base === 0 ? null : 100 * (1 - perThousand(phase.sqlQueries.steady, phase.requests.steady) / base);
}

/** The console report. */
export function formatReport(phases: readonly PhaseOutcome[], reportPath: string): string {
  const rows = phases.map(({ report: r, details: d }) => {
    if (!r.available || !r.requests || !r.sqlQueries || !d) return [r.name, 'not available'];
    return [
      r.name,
      `${count(r.requests.warmup)} + ${count(r.requests.steady)}`,
      perThousand(r.sqlQueries.warmup, r.requests.warmup).toFixed(0),
      perThousand(r.sqlQueries.steady, r.requests.steady).toFixed(1),
      count(r.staleAnswers ?? 0),
      count(r.changesApplied ?? 0),
      ms(r.worstRevocationMs),
      `${ms(d.latency.p50)} / ${ms(d.latency.p99)}`,
      d.memcachedPerRequest.toFixed(2),
    ];
  });
  const lines = [
    textTable({
      title: 'Per phase (requests: warm-up + steady state; SQL per 1,000 requests; stale: answers contradicting a change committed over 1 s before the question):',
      headers: ['phase', 'requests', 'SQL warm-up', 'SQL steady', 'stale', 'changes', 'worst revocation', 'p50 / p99', 'memcached/request'],
      rows,
    }),
    '',
    ...phases.filter((p) => !p.report.available).map((p) => `${p.report.name}: not available: ${UNAVAILABLE[p.report.name] ?? '?'}.`),
  ];
  const baseline = phases.find((p) => p.report.name === 'no-cache')?.report;
  for (const { report: r, details: d } of phases) {
    const saving = steadySaving(r, baseline);
    if (!d || saving === null || r.name === 'no-cache') continue;
    const whole = (r.sqlQueries?.warmup ?? 0) + (r.sqlQueries?.steady ?? 0);
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
    if (!d) continue;
    const s = d.verdict.staleByQuestion;
    const nodeSql = r.sqlQueries ? r.sqlQueries.warmup + r.sqlQueries.steady : 0;
    lines.push(
      `${r.name}: ${count(r.staleAnswers ?? 0)} stale (${count(s.group)} group, ${count(s.credentials)} credentials, ${count(s.address)} address)` +
        `${d.errors > 0 ? `, ${count(d.errors)} failed lookups (${d.firstError ?? '?'})` : ''}` +
        `${downs(d) > 0 ? `; memcached servers marked down ${count(downs(d))} times (requests timed out: on a loaded machine, lookups then go to MySQL)` : ''}; MariaDB counted ${count(d.run.serverSelects)} SELECTs ` +
        `(the nodes sent ${count(nodeSql)} queries${d.run.watcherQueries > 0 ? `, the watcher ${count(d.run.watcherQueries)}` : ''}).`,
    );
  }
  lines.push('', `HTML report with charts: ${reportPath}`);
  return lines.join('\n');
}
