/** The demo's self-contained HTML report: the console figures, and charts rendered to inline SVG. */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../tools/charts.js';
import { MODES } from './answerers.js';
import { formatReport, type PhaseOutcome } from './report.js';

const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
/** Each phase keeps its colour whichever phases ran. */
const phaseColor = { field: 'phase', type: 'nominal', title: 'phase', sort: null, scale: { domain: [...MODES], range: ['#9e9e9e', '#e6862e', '#2f7ed8', '#54a24b'] } } as const;

/** SQL queries per second reaching MySQL from the nodes, per phase, second by second. */
function sqlOverTime(phases: readonly PhaseOutcome[], warmupEndsS: number): TopLevelSpec {
  const values = phases.flatMap(({ report, run }) => {
    const perSecond = new Map<number, number>();
    for (const series of run.series) {
      let previous = 0;
      for (const { t, sql } of series) {
        perSecond.set(Math.round(t), (perSecond.get(Math.round(t)) ?? 0) + sql - previous);
        previous = sql;
      }
    }
    return [...perSecond].map(([second, sql]) => ({ phase: report.name, second, sql }));
  });
  return {
    title: 'SQL queries per second reaching MySQL (from the proxy nodes; log scale)',
    width: 640,
    height: 260,
    layer: [
      { data: { values }, mark: { type: 'line', interpolate: 'step-after' }, encoding: { x: { field: 'second', type: 'quantitative', title: 'seconds since the phase started' }, y: { field: 'sql', type: 'quantitative', title: 'SQL queries / s', scale: { type: 'symlog' } }, color: phaseColor } },
      {
        data: { values: [{ x: warmupEndsS, label: 'warm-up pass ends' }] },
        encoding: { x: { field: 'x', type: 'quantitative' } },
        layer: [{ mark: { type: 'rule', strokeDash: [4, 4], color: '#888' } }, { mark: { type: 'text', align: 'left', dx: 4, dy: -120, color: '#555' }, encoding: { text: { field: 'label' } } }],
      },
    ],
  } as TopLevelSpec;
}

/** A bar per phase (or per phase and `part`). */
function bars(title: string, axis: string, values: readonly { phase: string; value: number; part?: string }[], scale?: 'symlog'): TopLevelSpec {
  const grouped = values.some((v) => v.part !== undefined);
  return {
    title,
    width: grouped ? 420 : 300,
    height: 200,
    data: { values: [...values] },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: grouped ? 'part' : 'phase', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
      ...(grouped ? { xOffset: { field: 'phase', sort: null } } : {}),
      y: { field: 'value', type: 'quantitative', title: axis, ...(scale ? { scale: { type: scale } } : {}) },
      color: phaseColor,
    },
  } as TopLevelSpec;
}

/** The whole HTML document. */
export async function demoHtml(phases: readonly PhaseOutcome[], setup: string, warmupEndsS: number, reportPath: string): Promise<string> {
  const reports = phases.map((p) => p.report);
  const charts = await Promise.all([
    renderSvg(sqlOverTime(phases, warmupEndsS)),
    renderSvg(bars('SQL queries per 1,000 SIP requests (log scale)', 'SQL / 1,000 requests', reports.flatMap((r) => [
      { phase: r.name, part: 'warm-up pass', value: (1000 * r.sqlQueries.warmup) / Math.max(1, r.requests.warmup) },
      { phase: r.name, part: 'steady state', value: (1000 * r.sqlQueries.steady) / Math.max(1, r.requests.steady) },
    ]), 'symlog')),
    renderSvg(bars('Stale answers (contradicting a change committed over 1 s before)', 'stale answers', reports.map((r) => ({ phase: r.name, value: r.staleAnswers })))),
    renderSvg({
      title: 'Auth latency per SIP request (its three lookups; log scale)',
      width: 420,
      height: 220,
      data: { values: reports.flatMap((r) => (['p50', 'p90', 'p99', 'p999'] as const).map((q) => ({ phase: r.name, percentile: q === 'p999' ? 'p99.9' : q, value: Math.max(0.001, r.latencyMs[q]) }))) },
      mark: { type: 'line', point: true, tooltip: true },
      encoding: { x: { field: 'percentile', type: 'ordinal', sort: null, title: null }, y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: 'milliseconds' }, color: phaseColor },
    } as TopLevelSpec),
    renderSvg(bars('memcached requests per SIP request', 'memcached requests', reports.map((r) => ({ phase: r.name, value: r.memcachedPerRequest })))),
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authring demo report</title>
<style>body{font:15px/1.45 Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12.5px}.charts{display:flex;flex-wrap:wrap;gap:24px}</style></head>
<body><h1>authring demo</h1>
<p>${escape(setup)}</p>
<div class="charts">${charts.map((svg) => `<figure>${svg}</figure>`).join('\n')}</div>
<h2>Figures</h2><pre>${escape(formatReport(phases, reportPath))}</pre>
<p>How to read it: <code>demo/README.md</code>. Generated ${new Date().toISOString()} by <code>npm run demo</code>.</p>
</body></html>
`;
}
