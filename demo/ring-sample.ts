/**
 * Shows consistent hashing at work: which memcached server owns some of a node's keys
 * (`auth.keysFor` + `auth.cluster.serverFor`), and how all its distinct keys spread over the ring.
 * Every node computes the same owner for a key, which is why one node's load serves the others.
 */
import type { AuthCache } from '../src/index.js';
import type { RingSample } from './protocol.js';
import type { Question } from './workload.js';

/**
 * Samples the ring with a node's questions.
 *
 * @param samples how many of the hottest users to show.
 */
export async function sampleRing(auth: AuthCache, questions: readonly Question[], samples = 3): Promise<RingSample> {
  const asked = new Map<string, { question: Question; count: number }>();
  for (const q of questions) {
    const id = `${q.user}@${q.domain}/${q.group}`;
    const entry = asked.get(id);
    if (entry) entry.count += 1;
    else asked.set(id, { question: q, count: 1 });
  }
  const owners = new Map<string, string>();
  for (const { question } of asked.values()) {
    const keys = await auth.keysFor({ user: question.user, domain: question.domain, group: question.group });
    for (const key of [keys.credentials, keys.group]) {
      if (key !== undefined && !owners.has(key)) owners.set(key, auth.cluster.serverFor(key));
    }
  }
  const keysPerServer: Record<string, number> = {};
  for (const server of owners.values()) keysPerServer[server] = (keysPerServer[server] ?? 0) + 1;

  // The hottest users, each with the group it is asked about most.
  const users = new Map<string, { question: Question; count: number }>();
  for (const entry of [...asked.values()].sort((a, b) => b.count - a.count)) {
    const id = `${entry.question.user}@${entry.question.domain}`;
    const user = users.get(id);
    if (user) user.count += entry.count;
    else users.set(id, { ...entry });
  }
  const hottest = [...users.values()].sort((a, b) => b.count - a.count).slice(0, samples);
  const shown: RingSample['samples'][number][] = [];
  for (const { question: q, count } of hottest) {
    const keys = await auth.keysFor({ user: q.user, domain: q.domain, group: q.group });
    const who = `${q.user}@${q.domain} (${count.toLocaleString('en-US')} requests)`;
    shown.push({ question: `credentials of ${who}`, key: keys.credentials, server: auth.cluster.serverFor(keys.credentials) });
    if (keys.group !== undefined) {
      shown.push({ question: `is ${q.user}@${q.domain} in ${q.group}`, key: keys.group, server: auth.cluster.serverFor(keys.group) });
    }
  }
  const addressKey = await auth.addressKey();
  shown.push({ question: 'the whole address table', key: addressKey, server: auth.cluster.serverFor(addressKey) });
  return { samples: shown, keysPerServer };
}
