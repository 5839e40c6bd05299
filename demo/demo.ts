/**
 * `npm run demo`: N proxy-node processes replay one SIP auth workload per phase (no cache, htable,
 * authring, authring with its local tier) under provisioning churn; every answer is judged against
 * the database, and the phases are compared on the console, in an HTML report with charts, and
 * with `--json`. See demo/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { benchServers } from '../bench/config.js';
import { rate as count } from '../bench/scenario.js';
import { mysqlUrl } from '../test/helpers/services.js';
import { canConnect } from '../tools/tcp.js';
import { demoHtml } from './html.js';
import { judge } from './judge.js';
import { parseOptions, type DemoOptions } from './options.js';
import { runPhase } from './phase.js';
import { Population } from './population.js';
import { formatReport, summarize, type PhaseOutcome } from './report.js';
import { createDemoDatabase, SERVICES_DIR, writeConfig } from './setup.js';

const SEED = 0x5eed_2024;
const say = (line: string): boolean => process.stderr.write(`${line}\n`);

async function main(options: DemoOptions): Promise<number> {
  const mysql = new URL(mysqlUrl());
  const services = [`${mysql.hostname}:${mysql.port || 3306}`, ...benchServers()];
  const up = await Promise.all(services.map((s) => canConnect(s.split(':')[0] ?? '', Number(s.split(':')[1]), 2000)));
  const down = services.filter((_, i) => !up[i]);
  if (down.length > 0) return fail(`not reachable: ${down.join(', ')} (MariaDB, memcached). Start them with \`npm run services\` (npm run demo does it for you).`);

  const population = new Population(options.subscribers, SEED);
  say(`authring demo: ${options.nodes} proxy nodes, ${count(options.subscribers)} subscribers, ${options.rate} SIP requests/s per node, ${options.churn} provisioning changes/s`);
  const filling = bar('database', population.size, 'subscribers');
  const db = await createDemoDatabase(population, (done) => filling.update(done));
  filling.stop();
  const [rows] = await db.query('SELECT (SELECT COUNT(*) FROM grp) AS g, (SELECT COUNT(*) FROM address) AS a');
  say(`  ${db.name}: Kamailio's schema (kamailio-mysql-modules), ${count(population.size)} subscribers, ${count(Number(rows?.['g']))} grp rows, ${Number(rows?.['a'])} address rows, authring's change log triggers`);
  try {
    const setup = { ...options, configPath: await writeConfig(db, benchServers()), db, population: { size: population.size, seed: SEED } };
    // Each node makes a pass over its share of the people (node, node + nodes, ...), then its requests.
    const [total, warmupEndsS] = [population.people + options.nodes * options.requests, Math.ceil(population.people / options.nodes) / options.rate];
    const phases: PhaseOutcome[] = [];
    for (const mode of options.phases) {
      const progress = bar(mode, total, 'requests');
      const run = await runPhase(setup, mode, (p) => progress.update(p.requests, { extra: ` | ${count(p.sql)} SQL | ${p.changes} changes` }));
      progress.update(total);
      progress.stop();
      phases.push(summarize(run, judge(population, run.nodes, run.changes)));
    }
    const setupLine =
      `${options.nodes} proxy nodes, each replaying about ${count(total / options.nodes)} SIP requests at ${options.rate}/s ` +
      `(a warm-up pass over its share of ${count(population.people)} names, then ${count(options.requests)} Zipf-skewed requests, exponent ${options.zipf}), ` +
      `${options.concurrency} in flight; ${options.churn} provisioning changes/s on a connection of their own; htable autoexpire ${options.htableTtl} s.`;
    await mkdir(path.dirname(options.report), { recursive: true });
    await writeFile(options.report, await demoHtml(phases, setupLine, warmupEndsS, options.report));
    if (options.json) process.stdout.write(`${JSON.stringify({ phases: phases.map((p) => p.report), report: options.report }, null, 2)}\n`);
    else process.stdout.write(`\n${setupLine}\n\n${formatReport(phases, options.report)}\n`);
    const stale = phases.find((p) => p.report.name === 'authring')?.report.staleAnswers ?? 0;
    return stale > 0 ? fail(`authring served ${stale} stale answers`) : 0;
  } finally {
    await db.drop();
  }
}

function fail(message: string): number {
  say(`demo: ${message}`);
  return 1;
}

function bar(label: string, total: number, unit: string): SingleBar {
  const progress = new SingleBar({ stream: process.stderr, format: `  ${label.padEnd(15)} [{bar}] {value}/{total} ${unit}{extra}`, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: true, barsize: 24 });
  progress.start(total, 0, { extra: '' });
  return progress;
}

// The children are SIGKILLed when this process exits (tools/child-process.ts).
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
if (process.env.AUTHRING_MARIADB_PORT) process.env.AUTHRING_TEST_MYSQL_URL ??= `mysql://authring:authring@127.0.0.1:${process.env.AUTHRING_MARIADB_PORT}`;
main(parseOptions(process.argv.slice(2), path.join(SERVICES_DIR, 'demo-report.html'))).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    say(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
