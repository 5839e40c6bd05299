/**
 * `npm run demo`: authring at work. Builds a Kamailio database with a few thousand subscribers,
 * then lets N proxy-node processes replay the same auth workload twice: (A) asking MySQL directly,
 * one query per question, as Kamailio does; (B) asking authring, which shares one memcached ring
 * between all nodes. Compares the SELECTs MySQL ran, latencies, and every answer. Exits non-zero
 * if any answer differs. See demo/README.md.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/index.js';
import { findKamailioSchemaFiles, KAMAILIO_SCHEMA_HINT } from '../tools/kamailio-schema.js';
import { killAllChildren } from './children.js';
import { writeDemoConfig } from './config-file.js';
import { createDemoDatabase, DEMO_DATABASE } from './database.js';
import { count, duration } from './format.js';
import { parseOptions, USAGE, type DemoOptions } from './options.js';
import { runPhase, type PhaseResult } from './phase.js';
import { buildPopulation } from './population.js';
import { Progress } from './progress.js';
import type { NodeMode } from './protocol.js';
import { buildReport, type DemoReport } from './report.js';
import { formatReport, formatRing } from './report-text.js';
import { SelectCounter } from './select-counter.js';
import { demoServices, unreachableServices } from './services.js';
import { buildWorkload, type WorkloadSpec } from './workload.js';

const POPULATION_SEED = 0x5eed_2024;
const WORKLOAD_SEED = 0xa1_1ce;
const ZIPF_EXPONENT = 1;
const UNKNOWN_SHARE = 0.02;

/** Share of requests whose lookups may fail (an overloaded machine) before the demo fails. */
const MAX_FAILED_SHARE = 0.01;

/** The exit code: 1 for any wrong answer, or for failed lookups beyond {@link MAX_FAILED_SHARE}. */
function verdict(report: DemoReport): number {
  const { answers } = report;
  if (!answers.agree) {
    console.error(`demo: FAILED: ${answers.wrong} requests got different answers with authring than from MySQL (report: answers.mismatches)`);
    return 1;
  }
  const failed = report.requests - answers.compared;
  if (failed > report.requests * MAX_FAILED_SHARE) {
    console.error(`demo: FAILED: ${failed} of ${report.requests} requests had a failed lookup (report: answers.failed, answers.failures)`);
    return 1;
  }
  if (failed > 0) console.error(`demo: warning: ${failed} requests had a failed lookup and were not compared (report: answers.failed)`);
  return 0;
}

async function main(options: DemoOptions): Promise<number> {
  const progress = new Progress(!options.json);
  const schemaFiles = findKamailioSchemaFiles();
  if (schemaFiles === undefined) {
    console.error(`demo: ${KAMAILIO_SCHEMA_HINT}.`);
    return 1;
  }
  const services = demoServices();
  const down = await unreachableServices(services);
  if (down.length > 0) {
    console.error(`demo: not reachable: ${down.join(', ')}. Start them with \`npm run services\` (npm run demo does it for you).`);
    return 1;
  }

  progress.say(
    `authring demo: ${options.nodes} proxy nodes × ${count(options.requests)} SIP requests each, ` +
      `3 auth questions per request, ${count(options.subscribers)} subscribers`,
  );
  const started = performance.now();
  const population = buildPopulation(options.subscribers, POPULATION_SEED);
  const database = await createDemoDatabase(services, schemaFiles, population);
  progress.say(
    `[1/4] MySQL database ${DEMO_DATABASE}: Kamailio's schema from kamailio-mysql-modules, ` +
      `${count(database.subscribers)} subscribers, ${count(database.groupRows)} grp rows, ` +
      `${count(database.addressRows)} address rows (${duration(performance.now() - started)})`,
  );

  const configFile = await writeDemoConfig(services, DEMO_DATABASE);
  const config = await loadConfig(configFile.path);
  progress.say(`[2/4] cluster config ${path.relative(process.cwd(), configFile.path) || configFile.path}: memcached ${config.memcached.servers.join(', ')}, key_prefix "${configFile.keyPrefix}"`);
  for (const warning of config.warnings) progress.say(`      warning: ${warning}`);

  const spec: Omit<WorkloadSpec, 'node'> = {
    requests: options.requests,
    concurrency: options.concurrency,
    seed: WORKLOAD_SEED,
    subscribers: options.subscribers,
    populationSeed: POPULATION_SEED,
    zipfExponent: ZIPF_EXPONENT,
    unknownShare: UNKNOWN_SHARE,
  };
  const counter = await SelectCounter.open(services);
  const total = options.nodes * options.requests;
  const phase = async (mode: NodeMode, label: string): Promise<PhaseResult> => {
    const result = await runPhase({
      mode,
      configPath: configFile.path,
      nodes: options.nodes,
      spec,
      counter,
      onProgress: (done, elapsedMs) => progress.update(label, done, total, elapsedMs),
    });
    progress.close();
    progress.say(
      `      nodes ready in ${duration(result.startupMs)}; workload done in ${duration(result.wallMs)}: ` +
        `MySQL ran ${count(result.workloadSelects)} SELECTs`,
    );
    return result;
  };
  let a: PhaseResult;
  let b: PhaseResult;
  try {
    progress.say('[3/4] phase A, without authring: each node asks MySQL directly, one query per is_user_in and per credentials lookup');
    a = await phase('direct', 'phase A');
    progress.say('[4/4] phase B, with authring: each node runs ProxyNode.start() on the shared config');
    b = await phase('authring', 'phase B');
  } finally {
    await counter.close();
  }

  const questionsOf = (node: number): ReturnType<typeof buildWorkload> => buildWorkload({ ...spec, node }, population);
  const report = buildReport(
    {
      nodes: options.nodes,
      requestsPerNode: options.requests,
      concurrency: options.concurrency,
      database: DEMO_DATABASE,
      population: database,
      configPath: configFile.path,
      keyPrefix: configFile.keyPrefix,
      zipfExponent: ZIPF_EXPONENT,
      unknownShare: UNKNOWN_SHARE,
    },
    a,
    b,
    questionsOf,
  );
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    progress.say();
    progress.say(formatRing(report));
    progress.say();
    progress.say(formatReport(report));
  }
  return verdict(report);
}

let parsed: DemoOptions | 'help';
try {
  parsed = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(2);
}
if (parsed === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
main(parsed).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killAllChildren();
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
