/**
 * Replays a node's questions against an {@link Answerer} from `concurrency` async loops (a SIP
 * proxy's workers), each handling one request at a time and asking its three questions in turn,
 * as a Kamailio route would. Records every answer, in request order, and every lookup's latency.
 */
import { performance } from 'node:perf_hooks';
import { encodeAnswers, type Answerer } from './answerer.js';
import type { Question } from './workload.js';

/** What a replay produced. */
export interface ReplayOutcome {
  /** One line per request, in request order (see {@link encodeAnswers}). */
  readonly answers: string[];
  /** Each lookup's latency in milliseconds, by question kind, indexed by request (0 when it threw). */
  readonly latencies: { readonly group: Float64Array; readonly credentials: Float64Array; readonly address: Float64Array };
  /** Requests whose lookups threw (their answer line starts with `ERR`). */
  readonly errors: number;
  /** Milliseconds from start to the last answer. */
  readonly wallMs: number;
}

/**
 * Runs the replay.
 *
 * @param onProgress called with the number of requests done, at most every `progressMs`.
 */
export async function replay(
  answerer: Answerer,
  questions: readonly Question[],
  concurrency: number,
  onProgress: (done: number) => void,
  progressMs = 200,
): Promise<ReplayOutcome> {
  const answers = new Array<string>(questions.length).fill('');
  const latencies = {
    group: new Float64Array(questions.length),
    credentials: new Float64Array(questions.length),
    address: new Float64Array(questions.length),
  };
  let next = 0;
  let done = 0;
  let errors = 0;
  const timed = async <T>(samples: Float64Array, index: number, lookup: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await lookup();
    samples[index] = performance.now() - started;
    return value;
  };
  const worker = async (): Promise<void> => {
    for (let i = next++; i < questions.length; i = next++) {
      const q = questions[i];
      if (q === undefined) break;
      try {
        const inGroup = await timed(latencies.group, i, () => answerer.isUserInGroup(q.user, q.domain, q.group));
        const credentials = await timed(latencies.credentials, i, () => answerer.getCredentials(q.user, q.domain));
        const allowed = await timed(latencies.address, i, () => answerer.allowAddress(q.ip, q.addressGroup, q.port));
        answers[i] = encodeAnswers(inGroup, credentials, allowed);
      } catch (error) {
        errors += 1;
        const code = (error as { code?: unknown }).code;
        answers[i] = `ERR ${typeof code === 'string' ? code : ''} ${(error as Error).message}`;
      }
      done += 1;
    }
  };
  const started = performance.now();
  const ticker = setInterval(() => onProgress(done), progressMs);
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    clearInterval(ticker);
  }
  onProgress(done);
  return { answers, latencies, errors, wallMs: performance.now() - started };
}
