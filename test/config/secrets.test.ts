import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'authring-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CONFIG = join(dir, 'authring.yaml');

function secretFile(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe('mysql password', () => {
  it('reads password_env from the given environment', () => {
    const config = parseConfig(yaml(...MINIMAL, '  password_env: DB_PW'), CONFIG, { DB_PW: 's3cret' });
    expect(config.mysql.password).toBe('s3cret');
    expect(config.warnings).toEqual([]);
  });

  it('names the field when the variable is not set or empty', () => {
    const unset = configError(yaml(...MINIMAL, '  password_env: DB_PW'));
    expect(unset).toMatchObject({ line: 6, field: 'mysql.password_env', expected: 'environment variable DB_PW to be set' });
    expect(unset.message).toBe('authring.yaml:6:17: mysql.password_env: environment variable DB_PW is not set');
    const empty = configError(yaml(...MINIMAL, '  password_env: DB_PW'), { DB_PW: '' });
    expect(empty.message).toContain('the MySQL password (environment variable DB_PW) is empty');
    const badName = configError(yaml(...MINIMAL, '  password_env: "DB PW"'));
    expect(badName.expected).toBe('an environment variable name');
  });

  it('reads password_file relative to the config file, trimming the trailing newline', () => {
    secretFile('db.pw', 'pa ss\n');
    const config = parseConfig(yaml(...MINIMAL, '  password_file: db.pw'), CONFIG, {});
    expect(config.mysql.password).toBe('pa ss');
    mkdirSync(join(dir, 'abs'), { recursive: true });
    const absolute = secretFile('abs/db.pw', 'other\r\n');
    expect(parseConfig(yaml(...MINIMAL, `  password_file: ${absolute}`), CONFIG, {}).mysql.password).toBe('other');
  });

  it('names the field when the file cannot be read or is empty', () => {
    const missing = configError(yaml(...MINIMAL, '  password_file: nope.pw'), {}, CONFIG);
    expect(missing).toMatchObject({ line: 6, field: 'mysql.password_file', expected: 'a readable file' });
    expect(missing.message).toContain('cannot read the MySQL password file: ENOENT');
    secretFile('empty.pw', '\n');
    expect(configError(yaml(...MINIMAL, '  password_file: empty.pw'), {}, CONFIG).message).toContain('is empty');
  });

  it('warns about a password file others can read', () => {
    secretFile('open.pw', 'pw\n', 0o644);
    const config = parseConfig(yaml(...MINIMAL, '  password_file: open.pw'), CONFIG, {});
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/authring\.yaml:6:18: mysql\.password_file: .*open\.pw is open to other users \(mode 644\); chmod 600 it$/);
  });

  it('accepts an inline password with a warning, and refuses two sources', () => {
    const config = parseConfig(yaml(...MINIMAL, '  password: hunter2hunter2'), 'authring.yaml', {});
    expect(config.mysql.password).toBe('hunter2hunter2');
    expect(config.warnings).toEqual([
      'authring.yaml:6:13: mysql.password: the MySQL password is written in the config file; prefer password_env or password_file',
    ]);
    const two = configError(yaml(...MINIMAL, '  password: x', '  password_env: DB_PW'), { DB_PW: 'y' });
    expect(two).toMatchObject({ line: 7, field: 'mysql.password_env' });
    expect(two.message).toContain('set only one of password, password_env, password_file');
  });

  it('takes a password from the uri with a warning, or from password_env next to it', () => {
    const head = MINIMAL.slice(0, 2);
    const inUri = parseConfig(yaml(...head, 'mysql:', '  uri: mysql://authring:p%40ss@localhost:3307/authring_demo'), 'authring.yaml', {});
    expect(inUri.mysql).toMatchObject({ host: 'localhost', port: 3307, user: 'authring', password: 'p@ss', database: 'authring_demo' });
    expect(inUri.warnings[0]).toContain('authring.yaml:4:8: mysql.uri: the MySQL password is written in the config file');
    const fromEnv = parseConfig(yaml(...head, 'mysql:', '  uri: mysql://authring@localhost/authring_demo', '  password_env: DB_PW'), 'authring.yaml', { DB_PW: 'e' });
    expect(fromEnv.mysql.password).toBe('e');
    const both = configError(yaml(...head, 'mysql:', '  uri: mysql://authring:x@localhost/authring_demo', '  password_env: DB_PW'), { DB_PW: 'e' });
    expect(both).toMatchObject({ line: 5, field: 'mysql.password_env' });
  });
});

describe('cache secret', () => {
  const signed = (...lines: string[]) => yaml(...MINIMAL, 'cache:', '  codec: signed', ...lines);

  it('is required when codec is signed', () => {
    const error = configError(signed());
    expect(error).toMatchObject({ line: 6, field: 'cache.secret' });
    expect(error.message).toBe('authring.yaml:6:1: cache: missing required key `secret` (or `secret_env` or `secret_file`): codec is signed');
  });

  it('must be at least 16 bytes', () => {
    const error = configError(signed('  secret_env: CACHE_SECRET'), { CACHE_SECRET: 'fifteen-bytes!!' });
    expect(error).toMatchObject({ line: 8, field: 'cache.secret_env', expected: 'a secret of at least 16 bytes' });
    const ok = parseConfig(signed('  secret_env: CACHE_SECRET'), 'authring.yaml', { CACHE_SECRET: 'sixteen-bytes!!!' });
    expect(ok.cache).toMatchObject({ codec: 'signed', secret: 'sixteen-bytes!!!' });
  });

  it('comes from a file like the password, and is ignored (with a warning) under codec plain', () => {
    secretFile('cache.key', '0123456789abcdef0123\n');
    expect(parseConfig(signed('  secret_file: cache.key'), CONFIG, {}).cache.secret).toBe('0123456789abcdef0123');
    const plain = parseConfig(yaml(...MINIMAL, 'cache:', '  secret_file: cache.key'), CONFIG, {});
    expect(plain.cache.secret).toBeUndefined();
    expect(plain.warnings).toEqual([expect.stringMatching(/authring\.yaml:7:3: cache\.secret_file: ignored: codec is plain$/)]);
  });
});
