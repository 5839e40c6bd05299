/**
 * A proxy node for the invalidation tests: asks its questions every `pollMs` through its own
 * AuthCache and prints one JSON line per question whenever the answer changes:
 * `{"q":0,"answer":"…","at":<ms since epoch>}`. Run with tsx; configuration as JSON in argv[2].
 */
import { AuthCache } from '../../src/index.js';

/** A question the node keeps asking. */
export type Question =
  | { readonly kind: 'group'; readonly user: string; readonly domain: string; readonly group: string }
  | { readonly kind: 'credentials'; readonly user: string; readonly domain: string }
  | { readonly kind: 'address'; readonly ip: string; readonly group: number; readonly port: number };

/** What the node is told. */
export interface ObserverConfig {
  readonly servers: readonly string[];
  readonly dbUrl: string;
  readonly keyPrefix: string;
  readonly questions: readonly Question[];
  readonly pollMs: number;
}

async function answer(auth: AuthCache, question: Question): Promise<string> {
  if (question.kind === 'group') return String(await auth.isUserInGroup(question.user, question.domain, question.group));
  if (question.kind === 'address') return String(await auth.allowAddress(question.ip, question.group, question.port));
  return (await auth.getCredentials(question.user, question.domain))?.ha1 ?? 'none';
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ObserverConfig;
  const auth = await AuthCache.create({
    memcached: { servers: config.servers, timeoutMs: 200, failureThreshold: 2, probeIntervalMs: 100 },
    mysql: { uri: config.dbUrl, poolSize: 2 },
    cache: { keyPrefix: config.keyPrefix, deadlineMs: 2000, addressCheckMs: 200, namespaceCheckMs: 200 },
  });
  const { useChangeLogForRecovery } = await import('../../src/index.js');
  useChangeLogForRecovery(auth);
  const last = new Map<number, string>();
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.stdin.on('end', () => (stopping = true));
  process.stdin.resume();
  while (!stopping) {
    for (const [q, question] of config.questions.entries()) {
      try {
        const value = await answer(auth, question);
        if (last.get(q) !== value) {
          last.set(q, value);
          process.stdout.write(`${JSON.stringify({ q, answer: value, at: Date.now() })}\n`);
        }
      } catch (error) {
        process.stdout.write(`${JSON.stringify({ q, error: (error as Error).message, at: Date.now() })}\n`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, config.pollMs));
  }
  await auth.close();
}

await main();
