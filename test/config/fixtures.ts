import { expect } from 'vitest';
import { parseConfig, type Env } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

/** A YAML text whose line N is the Nth argument, so tests can state line numbers plainly. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The smallest valid file: lines 1-5. Append sections after it. */
export const MINIMAL = [
  'memcached:',
  '  servers: [127.0.0.1:11311]',
  'mysql:',
  '  user: authring',
  '  database: authring_demo',
] as const;

/** Parses text that must be invalid and returns the error. */
export function configError(text: string, env: Env = {}, file = 'authring.yaml'): ConfigError {
  try {
    parseConfig(text, file, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
