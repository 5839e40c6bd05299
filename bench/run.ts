/**
 * Runs the benchmarks: `npx tsx bench/run.ts [scenario ...] [--rounds N] [--print-only] [--strict]`.
 * With no scenario named it runs them all and rewrites docs/benchmarks.md; naming scenarios only
 * prints. `--strict` exits 1 when a target is missed. See bench/README.md.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderSvg } from '../tools/charts.js';
import { library } from './subject.js';

const { MemcacheCluster } = library;
import { benchServers } from './config.js';
import { markdownReport, type Environment } from './report.js';
import { textTable, type Scenario, type ScenarioResult } from './scenario.js';
import { scenario as multiGet } from './scenarios/multi-get.js';
import { scenario as ring } from './scenarios/ring.js';
import { scenario as auth } from './scenarios/auth.js';
import { scenario as mysqlLoad } from './scenarios/mysql-load.js';
import { scenario as leaseWait } from './scenarios/lease-wait.js';
import { scenario as singleGet } from './scenarios/single-get.js';
import { scenario as localTier } from './scenarios/local-tier.js';
import { scenario as coldMiss } from './scenarios/cold-miss.js';

const SCENARIOS: readonly Scenario[] = [singleGet, multiGet, auth, coldMiss, ring, mysqlLoad, leaseWait, localTier];
const REPORT = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      'print-only': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `usage: npx tsx bench/run.ts [${SCENARIOS.map((s) => s.name).join('|')} ...] [--rounds N] [--print-only] [--strict]`,
    );
    return 0;
  }
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)) {
    throw new Error('--rounds takes a whole number from 1 to 50');
  }
  const unknown = positionals.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  const selected = positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => positionals.includes(s.name));
  const writeReport = positionals.length === 0 && !values['print-only'];

  const servers = benchServers();
  const memcached = await serverVersions(servers);
  const started = performance.now();
  const loadBefore = os.loadavg();
  const cpus = os.cpus();
  console.log(
    `authring benchmarks: ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, Node ${process.version}, ` +
      `memcached ${[...new Set(memcached.values())].join(', ')} on ${servers.join(', ')}`,
  );

  const results: { scenario: Scenario; result: ScenarioResult }[] = [];
  for (const scenario of selected) {
    console.log(`\n== ${scenario.name}: ${scenario.title}`);
    const result = await scenario.run({
      servers,
      rounds: rounds ?? scenario.defaultRounds,
      log: (line) => console.log(line),
    });
    results.push({ scenario, result });
    for (const table of result.tables) console.log(`\n${textTable(table)}`);
    for (const note of result.notes) console.log(`  ${note}`);
  }

  const targets = results.flatMap(({ result }) => result.targets);
  console.log('\nTargets:');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.measured}, wanted ${t.criterion}`);

  const durationSec = (performance.now() - started) / 1000;
  if (writeReport) {
    const env: Environment = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      memcached,
      clients: await clientVersions(),
      loadBefore,
      loadAfter: os.loadavg(),
      durationSec,
    };
    for (const chart of results.flatMap(({ result }) => result.charts ?? [])) {
      await writeFile(fileURLToPath(new URL(`../docs/bench-${chart.name}.svg`, import.meta.url)), await renderSvg(chart.spec));
    }
    await writeFile(REPORT, markdownReport(env, results, await readFile(REPORT, 'utf8').catch(() => '')));
    console.log(`\nWrote ${REPORT}`);
  }
  console.log(`Done in ${durationSec.toFixed(1)} s.`);
  return values.strict && targets.some((t) => !t.pass) ? 1 : 0;
}

/** memcached's VERSION answer from each server; fails early, with a hint, when one is not up. */
async function serverVersions(servers: readonly string[]): Promise<Map<string, string>> {
  const cluster = new MemcacheCluster({ servers, timeoutMs: 1000 });
  try {
    const answers = await cluster.versions();
    const versions = new Map<string, string>();
    for (const [address, answer] of answers) {
      if (typeof answer !== 'string') {
        throw new Error(`memcached at ${address} does not answer (${answer.message}); start it with: npm run services`);
      }
      versions.set(address, answer);
    }
    return versions;
  } finally {
    cluster.close();
  }
}

/** Installed versions of authring and the compared packages, read from their package.json. */
async function clientVersions(): Promise<string> {
  const version = async (name: string, manifest: string): Promise<string> => {
    try {
      const file = fileURLToPath(new URL(manifest, import.meta.url));
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { version?: string };
      return `${name} ${parsed.version ?? '?'}`;
    } catch {
      return `${name} (version unknown)`;
    }
  };
  const packages = ['memjs', 'memcache-client', 'memcached', 'mysql2', 'hashring'];
  const list = await Promise.all([
    version('authring', '../package.json'),
    ...packages.map((pkg) => version(pkg, `../node_modules/${pkg}/package.json`)),
  ]);
  return list.join(', ');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
