/**
 * One simulated SIP proxy node, forked by demo/demo.ts (`node --import tsx demo/proxy-node.ts`).
 * It connects to its auth backend (MySQL directly, or authring from the cluster config file),
 * builds its workload, reports `ready`, replays the workload on `go`, reports the result and
 * exits. See demo/protocol.ts for the messages.
 */
import { createHash } from 'node:crypto';
import { loadConfig } from '../src/index.js';
import type { Answerer } from './answerer.js';
import { AuthringAnswerer } from './authring-answerer.js';
import { ClusterWatch } from './cluster-watch.js';
import { cacheDelta, serverDelta } from './counters.js';
import { DirectAnswerer } from './direct-answerer.js';
import { summarizeLatency } from './latency.js';
import { buildPopulation } from './population.js';
import { isParentMessage, type ChildMessage, type NodeResult, type StartMessage } from './protocol.js';
import { replay } from './replay.js';
import { sampleRing } from './ring-sample.js';
import { buildWorkload, type Question } from './workload.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

async function openAnswerer(start: StartMessage): Promise<Answerer> {
  if (start.mode === 'authring') return AuthringAnswerer.start(start.configPath);
  return DirectAnswerer.start(await loadConfig(start.configPath));
}

async function run(start: StartMessage, answerer: Answerer, questions: Question[]): Promise<NodeResult> {
  const auth = answerer instanceof AuthringAnswerer ? answerer.auth : undefined;
  const before = auth?.stats();
  const watch = auth ? new ClusterWatch(auth) : undefined;
  const outcome = await replay(answerer, questions, start.spec.concurrency, (done) => void send({ type: 'progress', done }));
  const observed = await watch?.stop();
  const after = auth?.stats();
  const { group, credentials, address } = outcome.latencies;
  // The per-user lookups (the ones phase A sends to MySQL); address checks are in memory in both phases.
  const perUser = new Float64Array(group.length * 2);
  perUser.set(group, 0);
  perUser.set(credentials, group.length);
  return {
    node: start.spec.node,
    requests: questions.length,
    wallMs: outcome.wallMs,
    latency: summarizeLatency(perUser),
    latencyByKind: { group: summarizeLatency(group), credentials: summarizeLatency(credentials), address: summarizeLatency(address) },
    checksum: createHash('sha256').update(outcome.answers.join('\n')).digest('hex'),
    answers: outcome.answers,
    errors: outcome.errors,
    workloadQueries: answerer.workloadQueries(),
    ...(before && after ? { cache: cacheDelta(before.cache, after.cache), memcached: serverDelta(before.memcached, after.memcached) } : {}),
    ...(observed ? { cluster: observed } : {}),
    ...(auth && start.spec.node === 0 ? { ring: await sampleRing(auth, questions) } : {}),
  };
}

async function main(start: StartMessage): Promise<void> {
  const population = buildPopulation(start.spec.subscribers, start.spec.populationSeed);
  const questions = buildWorkload(start.spec, population);
  const answerer = await openAnswerer(start);
  try {
    const go = new Promise<void>((resolve) => {
      process.on('message', (message: unknown) => {
        if (isParentMessage(message) && message.type === 'go') resolve();
      });
    });
    await send({ type: 'ready' });
    await go;
    await send({ type: 'result', result: await run(start, answerer, questions) });
  } finally {
    await answerer.close();
  }
}

if (!process.send) {
  console.error('demo/proxy-node.ts is started by demo/demo.ts (npm run demo), not directly');
  process.exit(2);
}
// The parent going away ends the node.
process.on('disconnect', () => process.exit(1));
process.once('message', (message: unknown) => {
  if (!isParentMessage(message) || message.type !== 'start') {
    void send({ type: 'error', message: 'expected a start message' }).then(() => process.exit(1));
    return;
  }
  main(message).then(
    () => {
      process.removeAllListeners('disconnect');
      process.disconnect();
    },
    (error: unknown) => {
      void send({ type: 'error', message: error instanceof Error ? error.message : String(error) }).then(() => process.exit(1));
    },
  );
});
