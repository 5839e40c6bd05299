/**
 * A proxy node for the invalidation tests: asks its questions every `pollMs` through its own
 * AuthCache and prints one JSON line per question whenever the answer changes:
 * `{"q":0,"answer":"…","at":<ms since epoch>}`; one line per round of questions asked,
 * `{"round":n,"at":…}`; and one per memcached server it marks down or up,
 * `{"server":"127.0.0.1:…","state":"down"|"up","at":…}`. Run with tsx; configuration as JSON in
 * argv[2].
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
  const say = (line: Record<string, unknown>): boolean => process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
  auth.cluster.on('server-down', (server) => say({ server, state: 'down' }));
  auth.cluster.on('server-up', (server) => say({ server, state: 'up' }));
  const last = new Map<number, string>();
  let round = 0;
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
          say({ q, answer: value });
        }
      } catch (error) {
        say({ q, error: (error as Error).message });
      }
    }
    round += 1;
    say({ round });
    await new Promise((resolve) => setTimeout(resolve, config.pollMs));
  }
  await auth.close();
}

await main();
