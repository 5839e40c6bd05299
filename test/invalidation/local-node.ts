/**
 * A proxy node with the local tier, for the local-tier tests: `ProxyNode.start()` on the config
 * file named in argv[2] (with `cache.local.enabled: true`), asking its questions every `askMs`
 * and printing one JSON line whenever a question's answer or whether it came from the local tier
 * changes: `{"q":0,"answer":"…","local":true,"at":<ms since epoch>}`; one line per round of
 * questions, `{"round":n,"at":…}`; and one when the tier takes a new namespace generation,
 * `{"generation":"…","at":…}`. On stdin, `sweep N` asks N distinct users' credentials and prints
 * `{"swept":N,"retried":…,"entries":…,"evictions":…}`. Run with tsx; settings as JSON in argv[3].
 */
import { ProxyNode, type LookupStatus } from '../../src/index.js';
import { createInterface } from 'node:readline';
import type { Question } from './observer-node.js';

interface Settings {
  readonly questions: readonly Question[];
  readonly askMs: number;
}

async function answer(node: ProxyNode, question: Question, status: LookupStatus): Promise<string> {
  if (question.kind === 'group') return String(await node.auth.isUserInGroup(question.user, question.domain, question.group, status));
  if (question.kind === 'credentials') return (await node.auth.getCredentials(question.user, question.domain, status))?.ha1 ?? 'none';
  throw new Error('the local tier holds group and credentials answers only');
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[3] ?? '{}') as Settings;
  const node = await ProxyNode.start({ configPath: process.argv[2] ?? '', watch: false });
  const say = (line: Record<string, unknown>): boolean => process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
  const local = node.auth.local;
  if (!local) throw new Error('cache.local.enabled is not true in the config file');
  local.follower.on('generation', (generation) => say({ generation: String(generation) }));
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  const lines = createInterface({ input: process.stdin });
  lines.on('close', () => (stopping = true));
  lines.on('line', (line) => {
    const [command, count] = line.split(' ');
    if (command !== 'sweep') return;
    void (async () => {
      // A lookup that misses its deadline on a loaded machine is asked again: the sweep is about
      // the tier's bound, and one lost answer would otherwise end it without a report.
      let retried = 0;
      for (let i = 0; i < Number(count); i++) {
        for (;;) {
          try {
            await node.auth.getCredentials(`sweep-user-${i}`, 'example.com');
            break;
          } catch {
            retried += 1;
          }
        }
      }
      const stats = node.auth.localStats();
      say({ swept: Number(count), retried, entries: stats?.entries, evictions: stats?.evictions, bytes: stats?.bytes });
    })();
  });
  const last = new Map<number, string>();
  let round = 0;
  while (!stopping) {
    for (const [q, question] of settings.questions.entries()) {
      const status: LookupStatus = {};
      try {
        const value = await answer(node, question, status);
        const fromLocal = status.source === 'local';
        const seen = `${value}|${fromLocal}`;
        if (last.get(q) !== seen) {
          last.set(q, seen);
          say({ q, answer: value, local: fromLocal });
        }
      } catch (error) {
        say({ q, error: (error as Error).message });
      }
    }
    round += 1;
    say({ round });
    await new Promise((resolve) => setTimeout(resolve, settings.askMs));
  }
  await node.close();
}

await main();
