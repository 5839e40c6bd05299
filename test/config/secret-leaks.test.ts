/**
 * No config error or warning ever shows a secret: whatever shape a password, a cache secret or a
 * URI holding one takes, the messages say what was expected and where, and never the value.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { MINIMAL, yaml } from './fixtures.js';

const SECRET = '8472910365528193';
const HEAD = MINIMAL.slice(0, 2);

/** Every text a parse produces: the error's message and every issue's fields, or the warnings. */
function outputs(text: string): string {
  try {
    const config = parseConfig(text, 'authring.yaml', {});
    return config.warnings.join('\n');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    return [configError.message, JSON.stringify(configError.issues), configError.expected, String(configError.stack)].join('\n');
  }
}

/** A file of secret-bearing values, each wrong in its own way. */
const CASES: ReadonlyArray<readonly [string, string]> = [
  ['a numeric password', yaml(...MINIMAL, `  password: ${SECRET}`)],
  ['a numeric password through an alias', yaml(...MINIMAL, `  password: &pw ${SECRET}`, `  pool_size: *pw`)],
  ['a password given as a list', yaml(...MINIMAL, `  password: [${SECRET}]`)],
  ['a boolean-looking password next to a bad key', yaml(...MINIMAL, `  password: ${SECRET}`, '  pool_size: 0')],
  ['a numeric cache secret', yaml(...MINIMAL, 'cache:', '  codec: signed', `  secret: ${SECRET}`)],
  ['a cache secret too short', yaml(...MINIMAL, 'cache:', '  codec: signed', `  secret: "${SECRET.slice(0, 8)}"`)],
  ['a numeric secret with the plain codec', yaml(...MINIMAL, 'cache:', `  secret: ${SECRET}`)],
  ['a URI with a query string', yaml(...HEAD, 'mysql:', `  uri: mysql://authring:${SECRET}@localhost/db?ssl=true`)],
  ['a URI with a fragment', yaml(...HEAD, 'mysql:', `  uri: mysql://authring:${SECRET}@localhost/db#x`)],
  ['a URI with the password in the query', yaml(...HEAD, 'mysql:', `  uri: mysql://authring@localhost/db?password=${SECRET}`)],
  ['a URI with a bad scheme', yaml(...HEAD, 'mysql:', `  uri: postgres://authring:${SECRET}@localhost/db`)],
  ['a URI that does not parse', yaml(...HEAD, 'mysql:', `  uri: mysql://authring:${SECRET}@local host/db`)],
  ['a URI with a bad %-escape', yaml(...HEAD, 'mysql:', `  uri: mysql://authring:${SECRET}%zz@localhost/db`)],
  ['a numeric URI', yaml(...HEAD, 'mysql:', `  uri: ${SECRET}`)],
  ['a URI password next to password_env', yaml(...HEAD, 'mysql:', `  uri: mysql://authring:${SECRET}@localhost/db`, '  password_env: PW')],
  ['a URI password (warning only)', yaml(...HEAD, 'mysql:', `  uri: mysql://authring:${SECRET}@localhost/db`)],
  ['an inline password (warning only)', yaml(...MINIMAL, `  password: "${SECRET}"`)],
  ['a password that YAML reads as an alias', yaml(...MINIMAL, `  password: *${SECRET}`)],
  ['a password with a bad escape', yaml(...MINIMAL, `  password: "\\q${SECRET}"`)],
  ['a password with an unknown tag', yaml(...MINIMAL, `  password: !${SECRET} x`)],
  ['a password with a bad block-scalar header', yaml(...MINIMAL, `  password: |${SECRET}`, '    x')],
];

describe('secrets in config errors and warnings', () => {
  it.each(CASES)('never shows %s', (_name, text) => {
    expect(text).toContain(SECRET.slice(0, 8));
    const output = outputs(text);
    expect(output).not.toBe('');
    expect(output).not.toContain(SECRET);
    // Not even a recognisable part of it.
    expect(output).not.toContain(SECRET.slice(0, 6));
  });

  it('still says what was wrong and where', () => {
    const numeric = outputs(yaml(...MINIMAL, `  password: ${SECRET}`));
    expect(numeric).toContain('authring.yaml:6:13: mysql.password: expected a string (quote it: YAML reads this as a number or boolean), got a number (not shown: a secret)');
    const query = outputs(yaml(...HEAD, 'mysql:', `  uri: mysql://authring:${SECRET}@localhost/db?ssl=true`));
    expect(query).toContain('authring.yaml:4:8: mysql.uri: expected "mysql://user[:password]@host[:port]/database" without ?options or #fragment');
    expect(query).toContain('got "mysql://authring:***@localhost/db?***"');
  });
});
