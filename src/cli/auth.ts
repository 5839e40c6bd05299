import type { AuthCache } from '../auth/auth-cache.js';
import { createAuthCache } from '../runtime/from-config.js';
import type { LookupStatus } from '../cache/engine.js';
import type { AuthringConfig } from '../config/index.js';

/**
 * Runs `work` with an {@link AuthCache} built from the config, and closes it afterwards (its
 * memcached sockets and MySQL pool), whatever happens.
 */
export async function withAuthCache<T>(config: AuthringConfig, work: (auth: AuthCache) => Promise<T>): Promise<T> {
  const auth = await createAuthCache(config);
  try {
    return await work(auth);
  } finally {
    await auth.close();
  }
}

/** Where an answer came from, as the CLI names it: `mysql` for this process's own load. */
export type AnswerSource = 'local' | 'cache' | 'mysql' | 'peer' | 'lease' | 'stale' | 'unknown';

/** The CLI's name for a {@link LookupStatus} source. */
export function answerSource(status: LookupStatus): AnswerSource {
  switch (status.source) {
    case 'source':
      return 'mysql';
    case undefined:
      return 'unknown';
    default:
      return status.source;
  }
}

/** The source described for people. */
export function describeSource(source: AnswerSource): string {
  switch (source) {
    case 'local':
      return 'local tier (this process, proven current)';
    case 'cache':
      return 'cache (memcached)';
    case 'mysql':
      return 'MySQL (loaded now, and stored in memcached)';
    case 'peer':
      return "another lookup's answer in this process, shared";
    case 'lease':
      return "MySQL (another node's load, waited for on its lease)";
    case 'stale':
      return 'cache (an expired entry: MySQL failed)';
    case 'unknown':
      return 'unknown';
  }
}
