/** The report as text tables for the console (the JSON form is the {@link DemoReport} itself). */
import { count, duration, percent, table } from './format.js';
import type { DemoReport, PhaseSummary } from './report.js';

function ratio(value: number): string {
  return `${value.toFixed(1)}x fewer`;
}

function nodeRows(label: string, phase: PhaseSummary): string[][] {
  return phase.nodes.map((n) => [
    `node ${n.node + 1}, ${label}`,
    duration(n.wallMs),
    duration(n.p50Ms),
    duration(n.p99Ms),
    duration(n.addressP50Ms),
    count(n.sqlQueries),
    count(n.errors),
  ]);
}

/** The ring: where some keys live, and each server's share of keys and hits. */
export function formatRing(report: DemoReport): string {
  const lines: string[] = [];
  const ring = report.ring;
  if (ring) {
    lines.push('The ring: every node hashes a key to the same server (node 1 shown):');
    lines.push(table(ring.samples.map((s) => [s.question, s.key, '→', s.server])));
    const totalKeys = Object.values(ring.keysPerServer).reduce((sum, n) => sum + n, 0);
    lines.push('');
    lines.push(`Keys and traffic per memcached server (node 1's ${count(totalKeys)} distinct keys; requests and hits of all nodes):`);
  }
  const rows = [['server', 'keys', 'requests', 'hits', 'misses', 'timeouts']];
  for (const s of report.memcached) {
    const keys = ring?.keysPerServer[s.address];
    rows.push([s.address, keys === undefined ? '-' : count(keys), count(s.requests), count(s.hits), count(s.misses), count(s.timeouts)]);
  }
  lines.push(table(rows));
  lines.push(clusterLine(report));
  return lines.join('\n');
}

function clusterLine(report: DemoReport): string {
  const { events, generations } = report.cluster;
  const downs = events.filter((e) => e.event === 'server-down');
  const health =
    downs.length === 0
      ? 'No server was marked down'
      : `Servers marked down: ${downs.map((e) => `${e.server} by node ${e.node + 1} at ${duration(e.atMs)} (${e.error ?? '?'})`).join(', ')}`;
  const namespace =
    generations.length <= 1
      ? `all nodes used one namespace generation (${generations[0] ?? '?'}) throughout.`
      : `the namespace generation changed during the run (${generations.join(' → ')}): every key changed, so the cache started cold again.`;
  return `${health}; ${namespace}`;
}

function answerLine(report: DemoReport): string {
  const answers = report.answers;
  const mix =
    `${percent(answers.inGroup)} in the group, ${percent(answers.withCredentials)} with credentials, ` +
    `${percent(answers.addressAllowed)} address allowed`;
  if (!answers.agree) return `Answers: ${count(answers.wrong)} of ${count(answers.compared)} requests answered DIFFERENTLY with authring (${mix}).`;
  const scope = answers.compared === report.requests ? 'every request' : `${count(answers.compared)} of ${count(report.requests)} requests`;
  return `Answers: identical in both phases for ${scope} on every node (${mix}).`;
}

function failures(report: DemoReport): string | undefined {
  const list = (byCode: Readonly<Record<string, number>>): string =>
    Object.entries(byCode)
      .map(([code, n]) => `${count(n)} ${code}`)
      .join(', ');
  const { withoutAuthring, withAuthring } = report.answers.failed;
  const parts = [
    ...(Object.keys(withoutAuthring).length > 0 ? [`without authring ${list(withoutAuthring)}`] : []),
    ...(Object.keys(withAuthring).length > 0 ? [`with authring ${list(withAuthring)}`] : []),
  ];
  if (parts.length === 0) return undefined;
  const why = withAuthring['E_DEADLINE'] === undefined ? '' : ' (E_DEADLINE: a lookup took longer than cache.lookup_deadline_ms, 500 ms; the machine is overloaded)';
  return `Failed lookups, no answer so not compared: ${parts.join('; ')}${why}.`;
}

/** The final comparison. */
export function formatReport(report: DemoReport): string {
  const a = report.withoutAuthring;
  const b = report.withAuthring;
  const c = report.cache.counters;
  const summary = table([
    ['', 'without authring', 'with authring', ''],
    ['-'],
    ['SIP requests (3 auth questions each)', count(report.requests), count(report.requests), ''],
    ['SQL SELECTs, counted by MySQL (Com_select)', count(a.serverSelects), count(b.serverSelects), ratio(report.reductionServer)],
    ['SQL queries, counted by the nodes', count(a.clientQueries), count(b.clientQueries), ratio(report.reductionClient)],
    ['  fewest possible with a cold cache (distinct lookups)', '', count(report.distinctLookups), ''],
    ['SELECTs while the nodes started', count(a.serverStartupSelects), count(b.serverStartupSelects), ''],
    ['lookups answered without SQL (hit ratio)', '-', percent(report.cache.hitRatio), ''],
    ['loads saved by coalescing', '-', count(report.cache.coalesced), ''],
    ['wall time of the workload', duration(a.wallMs), duration(b.wallMs), ''],
    ['lookup errors', count(a.errors), count(b.errors), ''],
  ]);
  const perNode = table([
    ['', 'wall', 'p50', 'p99', 'address p50', 'SQL', 'errors'],
    ['-'],
    ...nodeRows('without', a),
    ...nodeRows('with', b),
  ]);
  const answers = report.answers;
  const lines = [
    summary,
    '',
    'Per node: p50/p99 of each is_user_in and credentials call; allow_address is answered from memory',
    'in both phases (Kamailio keeps the address table in memory too); SQL = queries the node sent',
    '(with authring: its cache loads).',
    perNode,
    '',
    `Cache engine, all nodes: ${count(c.lookups)} lookups, ${count(c.hits)} hits, ${count(c.negativeHits)} negative hits, ` +
      `${count(c.misses)} misses, ${count(c.loads)} loads, ${count(c.coalesced)} coalesced, ${count(c.cacheErrors)} cache errors.`,
    answerLine(report),
  ];
  const failedLine = failures(report);
  if (failedLine) lines.push(failedLine);
  if (report.otherServerActivity) lines.push(`Note: ${report.otherServerActivity}.`);
  const examples = [...answers.mismatches.map((m) => ({ ...m, kind: 'DIFFERENT' })), ...answers.failures.map((m) => ({ ...m, kind: 'failed' }))];
  for (const m of examples) {
    lines.push(`  ${m.kind}: node ${m.node + 1}, request ${m.request}: ${m.question}`, `    without: ${m.withoutAuthring}`, `    with:    ${m.withAuthring}`);
  }
  return lines.join('\n');
}
